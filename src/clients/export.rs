//! `GET /clients/export`: the salon's clients as an .xlsx workbook with Ukrainian headers,
//! readable back by the import. Rows stream from the database into a writer on the blocking
//! pool, so they are never held as a list besides the workbook itself.

use chrono_tz::Tz;
use futures_util::TryStreamExt;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use super::{
    model::{Category, Client, ClientFilter, Gender, Percent, Segment, SortBy, SortOrder},
    store::{ListArgs, list_query, query_client},
};
use crate::{
    auth::CurrentUser,
    calendar::Status,
    clock::{HhMm, Ymd},
    error::AppError,
    ids::ClientId,
    money::Money,
    tenancy::{SalonClock, TenantTx},
    xlsx::{self, Cells, Formats},
};

/// Filters of the list, plus what the export screen sends.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    pub search: Option<String>,
    pub segment: Option<Segment>,
    pub gender: Option<Gender>,
    pub source: Option<Category>,
    /// Only clients with a completed visit on or after this date; also bounds the visits sheet.
    pub date_from: Option<Ymd>,
    /// Only clients with a completed visit on or before this date; also bounds the visits sheet.
    pub date_to: Option<Ymd>,
    #[param(inline)]
    pub sort_by: Option<SortBy>,
    #[param(inline)]
    pub sort_order: Option<SortOrder>,
    /// Adds a sheet "Візити" with the completed visits of the exported clients.
    pub include_visits: Option<bool>,
    /// Accepted and ignored: product sales are not recorded yet.
    #[allow(dead_code)]
    pub include_products: Option<bool>,
}

impl ExportQuery {
    fn filter(&self) -> ClientFilter {
        ClientFilter {
            search: self.search.clone(),
            segment: self.segment,
            gender: self.gender,
            source: self.source,
            date_from: self.date_from,
            date_to: self.date_to,
            sort_by: self.sort_by,
            sort_order: self.sort_order,
            ..ClientFilter::default()
        }
    }
}

/// A completed visit on the visits sheet.
#[derive(Debug)]
struct VisitRow {
    client_id: ClientId,
    client_name: String,
    phone: String,
    date: Ymd,
    start_time: HhMm,
    service_name: String,
    staff_name: String,
    status: Status,
    price: Money,
    notes: String,
}

enum Row {
    Client(Box<Client>),
    Visit(Box<VisitRow>),
}

/// The live clients matching the filters (every match, sorted like the list) as the bytes of
/// an .xlsx workbook, with only the card fields `user` may see in the list.
pub(super) async fn workbook(tx: &mut TenantTx, user: &CurrentUser, q: &ExportQuery) -> Result<Vec<u8>, AppError> {
    if let (Some(from), Some(to)) = (q.date_from, q.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let zone = SalonClock::read(tx).await?.zone();
    let with_visits = q.include_visits.unwrap_or(false);
    let (sender, receiver) = mpsc::channel::<Row>(1024);
    let writer = tokio::task::spawn_blocking(move || write_book(receiver, zone, with_visits));

    // The list's rules: a user who may not see contacts, surnames, notes or bonuses in the list
    // does not get them in the workbook either.
    let shown = super::redact::Shown::list(user);
    let args = ListArgs::new(&q.filter(), super::own_scope(user), shown.contacts());
    {
        let query = list_query!(query_client ["select",] [] args);
        let mut clients = query.fetch(tx.conn());
        while let Some(client) = clients.try_next().await? {
            if sender.send(Row::Client(Box::new(shown.apply(client)))).await.is_err() {
                break;
            }
        }
    }
    if with_visits {
        let query = list_query!(sqlx::query_as [
            VisitRow,
            r#"select a.client_id as "client_id!", c.name as client_name, coalesce(c.phone, '') as "phone!",
                    a.date as "date!: Ymd", a.start_time as "start_time!: HhMm", a.service_name as "service_name!",
                    coalesce(m.name, '') as "staff_name!",
                    a.status as "status!: Status", a.price_minor as "price!: Money", a.notes as "notes!"
             from calendar_appointments a
             join clients c on c.salon_id = a.salon_id and c.id = a.client_id
             left join staff_names m on m.salon_id = a.salon_id and m.id = a.staff_id
             where a.deleted_at is null and a.status = 'completed'
               and ($7::date is null or a.date >= $7) and ($8::date is null or a.date <= $8)
               and a.client_id in (select c.id "# +
        ] [+ ") order by lower(c.name), c.id, a.starts_at"] args);
        let mut visits = query.fetch(tx.conn());
        while let Some(mut visit) = visits.try_next().await? {
            visit.phone = shown.phone(&visit.phone);
            if !shown.surname() {
                visit.client_name = super::redact::first_word(&visit.client_name);
            }
            if sender.send(Row::Visit(Box::new(visit))).await.is_err() {
                break;
            }
        }
    }
    drop(sender);
    writer
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export writer stopped: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export workbook: {e}")))
}

/// Headers of the clients sheet; the import recognises the card's columns by these names and
/// ignores the figures.
const CLIENT_HEADERS: [(&str, f64); 20] = [
    ("ID", 8.0), ("Ім'я", 16.0), ("По батькові", 16.0), ("Прізвище", 18.0), ("Телефон", 16.0), ("Email", 24.0),
    ("Дата народження", 16.0), ("Стать", 9.0), ("Категорія", 12.0), ("Номер картки", 14.0), ("Знижка, %", 10.0),
    ("Бонуси", 10.0), ("Примітки", 30.0), ("Без повідомлень", 12.0), ("Сегмент", 14.0), ("Візитів", 8.0), ("Витрачено, ₴", 13.0),
    ("Перший візит", 17.0), ("Останній візит", 17.0), ("Додано", 17.0),
];
const VISIT_HEADERS: [(&str, f64); 10] = [
    ("ID клієнта", 10.0), ("Клієнт", 24.0), ("Телефон", 16.0), ("Дата", 12.0), ("Час", 7.0), ("Послуга", 24.0),
    ("Майстер", 20.0), ("Статус", 12.0), ("Сума, ₴", 11.0), ("Примітки", 30.0),
];

fn write_book(mut rows: mpsc::Receiver<Row>, zone: Tz, with_visits: bool) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::default();
    let mut clients = xlsx::sheet("Клієнти", &CLIENT_HEADERS, &f)?;
    let mut visits = if with_visits { Some(xlsx::sheet("Візити", &VISIT_HEADERS, &f)?) } else { None };
    let (mut client_row, mut visit_row) = (0u32, 0u32);
    while let Some(row) = rows.blocking_recv() {
        match row {
            Row::Client(c) => {
                client_row += 1;
                write_client(&mut clients, client_row, &c, zone, &f)?;
            }
            Row::Visit(v) => {
                if let Some(sheet) = visits.as_mut() {
                    visit_row += 1;
                    write_visit(sheet, visit_row, &v, &f)?;
                }
            }
        }
    }
    clients.autofilter(0, 0, client_row, CLIENT_HEADERS.len() as u16 - 1)?;
    let mut book = Workbook::new();
    book.push_worksheet(clients);
    if let Some(sheet) = visits {
        book.push_worksheet(sheet);
    }
    book.save_to_buffer()
}

fn write_client(s: &mut Worksheet, r: u32, c: &Client, zone: Tz, f: &Formats) -> Result<(), XlsxError> {
    s.write_number(r, 0, c.id.get() as f64)?;
    s.text(r, 1, &c.first_name)?;
    s.text(r, 2, &c.middle_name)?;
    s.text(r, 3, &c.last_name)?;
    s.text(r, 4, &c.phone)?;
    if let Some(email) = &c.email {
        s.text(r, 5, email)?;
    }
    if let Some(birth) = c.birth_date {
        s.date(r, 6, birth.0, f)?;
    }
    if let Some(gender) = c.gender {
        s.text(r, 7, gender_label(gender))?;
    }
    if let Some(source) = c.source {
        s.text(r, 8, category_label(source))?;
    }
    if let Some(card) = &c.card_number {
        s.text(r, 9, card)?;
    }
    s.write_number(r, 10, f64::from(c.discount.0) / 100.0)?;
    s.money(r, 11, c.bonus_balance, f)?;
    if !c.notes.is_empty() {
        s.text(r, 12, &c.notes)?;
    }
    if c.messages_opt_out {
        s.text(r, 13, "так")?;
    }
    s.text(r, 14, segment_label(c.segment))?;
    s.write_number(r, 15, f64::from(c.total_visits))?;
    s.money(r, 16, c.total_spent, f)?;
    if let Some(first) = c.first_visit {
        s.local_datetime(r, 17, first, zone, f)?;
    }
    if let Some(last) = c.last_visit {
        s.local_datetime(r, 18, last, zone, f)?;
    }
    s.local_datetime(r, 19, c.created_at, zone, f)?;
    Ok(())
}

fn write_visit(s: &mut Worksheet, r: u32, v: &VisitRow, f: &Formats) -> Result<(), XlsxError> {
    s.write_number(r, 0, v.client_id.get() as f64)?;
    s.text(r, 1, &v.client_name)?;
    s.text(r, 2, &v.phone)?;
    s.date(r, 3, v.date.0, f)?;
    s.text(r, 4, &v.start_time.to_string())?;
    s.text(r, 5, &v.service_name)?;
    s.text(r, 6, &v.staff_name)?;
    s.text(r, 7, if v.status == Status::Completed { "Завершено" } else { "" })?;
    s.money(r, 8, v.price, f)?;
    if !v.notes.is_empty() {
        s.text(r, 9, &v.notes)?;
    }
    Ok(())
}

fn gender_label(g: Gender) -> &'static str {
    match g {
        Gender::Female => "Жінка",
        Gender::Male => "Чоловік",
        Gender::Other => "Інше",
    }
}

fn category_label(c: Category) -> &'static str {
    match c {
        Category::Vip => "VIP",
        Category::Regular => "Постійний",
        Category::New => "Новий",
        Category::Inactive => "Неактивний",
    }
}

fn segment_label(s: Segment) -> &'static str {
    match s {
        Segment::New => "Новий",
        Segment::Repeat => "Повторний",
        Segment::Lost => "Втрачений",
        Segment::SubscriptionEnding => "Закінчується абонемент",
    }
}
