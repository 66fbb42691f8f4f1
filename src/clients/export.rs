//! `GET /clients/export`: the salon's clients as an .xlsx workbook with Ukrainian headers,
//! readable back by the import. Rows stream from the database into a writer on the blocking
//! pool, so they are never held as a list besides the workbook itself.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use super::{
    ClientsExport,
    model::{Category, Client, ClientFilter, Gender, Segment, SortBy, SortOrder},
    store::{ListArgs, bind_list_args, client_columns, list_body, segment_expr},
};
use crate::{
    auth::Can,
    calendar::Status,
    clock::{HhMm, Ymd},
    http::{AppQuery, error::AppError},
    money::Money,
    tenancy::TenantTx,
    text,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Filters of the list, plus what the export screen sends.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    pub search: Option<String>,
    #[param(value_type = Option<Segment>)]
    pub segment: Option<Segment>,
    #[param(value_type = Option<Gender>)]
    pub gender: Option<Gender>,
    #[param(value_type = Option<Category>)]
    pub source: Option<Category>,
    /// Only clients with a completed visit on or after this date; also bounds the visits sheet.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Only clients with a completed visit on or before this date; also bounds the visits sheet.
    #[param(value_type = Option<String>)]
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
#[derive(Debug, sqlx::FromRow)]
struct VisitRow {
    client_id: i64,
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

/// The live clients matching the filters (every match, sorted like the list) as `clients.xlsx`:
/// a sheet "Клієнти" with Ukrainian headers, dates as Excel dates, phones as text, and with
/// `includeVisits=true` a sheet "Візити". The import reads this file back.
#[utoipa::path(get, path = "/clients/export", tag = "clients", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "clients.xlsx",
               content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 403), (status = 422)))]
pub async fn export_clients(
    Can(user, ..): Can<ClientsExport>,
    _slot: crate::http::limits::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    if let (Some(from), Some(to)) = (q.date_from, q.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let zone: String = sqlx::query_scalar("select timezone from salons").fetch_one(tx.conn()).await?;
    let zone = crate::clock::zone(&zone);
    let with_visits = q.include_visits.unwrap_or(false);
    let (sender, receiver) = mpsc::channel::<Row>(1024);
    let writer = tokio::task::spawn_blocking(move || write_book(receiver, zone, with_visits));

    // The list's rules: a user who may not see contacts, surnames, notes or bonuses in the list
    // does not get them in the workbook either.
    let shown = super::redact::Shown::list(&user);
    let args = ListArgs::new(&q.filter(), super::own_scope(&user), shown.contacts());
    {
        let query = sqlx::query_as::<_, Client>(concat!("select ", client_columns!(), list_body!()));
        let mut clients = bind_list_args!(query, args).fetch(tx.conn());
        while let Some(client) = clients.try_next().await? {
            if sender.send(Row::Client(Box::new(shown.apply(client)))).await.is_err() {
                break;
            }
        }
    }
    if with_visits {
        let query = sqlx::query_as::<_, VisitRow>(concat!(
            "select a.client_id, c.name as client_name, coalesce(c.phone, '') as phone, a.date, a.start_time,
                    a.service_name, coalesce(btrim(m.first_name || ' ' || m.last_name), '') as staff_name,
                    a.status, a.price_minor as price, a.notes
             from appointments a
             join clients c on c.salon_id = a.salon_id and c.id = a.client_id
             left join staff m on m.salon_id = a.salon_id and m.id = a.staff_id
             where a.deleted_at is null and a.status = 'completed'
               and ($7::date is null or a.date >= $7) and ($8::date is null or a.date <= $8)
               and a.client_id in (select c.id", list_body!(), ")
             order by lower(c.name), c.id, a.starts_at"
        ));
        let mut visits = bind_list_args!(query, args).fetch(tx.conn());
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
    let bytes = writer
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export writer stopped: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export workbook: {e}")))?;
    tx.commit().await?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(XLSX)),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"clients.xlsx\"")),
        ],
        bytes,
    )
        .into_response())
}

/// Headers of the clients sheet; the import recognises the card's columns by these names and
/// ignores the figures.
const CLIENT_HEADERS: [(&str, f64); 19] = [
    ("ID", 8.0), ("Ім'я", 16.0), ("По батькові", 16.0), ("Прізвище", 18.0), ("Телефон", 16.0), ("Email", 24.0),
    ("Дата народження", 16.0), ("Стать", 9.0), ("Категорія", 12.0), ("Номер картки", 14.0), ("Знижка, %", 10.0),
    ("Бонуси", 10.0), ("Примітки", 30.0), ("Сегмент", 14.0), ("Візитів", 8.0), ("Витрачено, ₴", 13.0),
    ("Перший візит", 17.0), ("Останній візит", 17.0), ("Додано", 17.0),
];
const VISIT_HEADERS: [(&str, f64); 10] = [
    ("ID клієнта", 10.0), ("Клієнт", 24.0), ("Телефон", 16.0), ("Дата", 12.0), ("Час", 7.0), ("Послуга", 24.0),
    ("Майстер", 20.0), ("Статус", 12.0), ("Сума, ₴", 11.0), ("Примітки", 30.0),
];

struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
    money: Format,
}

fn sheet(name: &str, headers: &[(&str, f64)], f: &Formats) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    for (col, (title, width)) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &f.header)?;
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

fn write_book(mut rows: mpsc::Receiver<Row>, zone: Tz, with_visits: bool) -> Result<Vec<u8>, XlsxError> {
    let f = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format("dd.mm.yyyy"),
        datetime: Format::new().set_num_format("dd.mm.yyyy hh:mm"),
        money: Format::new().set_num_format("#,##0.00"),
    };
    let mut clients = sheet("Клієнти", &CLIENT_HEADERS, &f)?;
    let mut visits = if with_visits { Some(sheet("Візити", &VISIT_HEADERS, &f)?) } else { None };
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

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// An instant as the salon's wall-clock date and time.
fn excel_local(t: DateTime<Utc>, zone: Tz) -> Result<ExcelDateTime, XlsxError> {
    let local = t.with_timezone(&zone).naive_local();
    excel_date(local.date())?.and_hms(local.hour() as u16, local.minute() as u8, local.second())
}

fn minor_to_number(minor: i64) -> f64 {
    minor as f64 / 100.0
}

fn write_client(s: &mut Worksheet, r: u32, c: &Client, zone: Tz, f: &Formats) -> Result<(), XlsxError> {
    s.write_number(r, 0, c.id as f64)?;
    s.write_string(r, 1, text::for_cell(&c.first_name))?;
    s.write_string(r, 2, text::for_cell(&c.middle_name))?;
    s.write_string(r, 3, text::for_cell(&c.last_name))?;
    s.write_string(r, 4, &c.phone)?;
    if let Some(email) = &c.email {
        s.write_string(r, 5, email)?;
    }
    if let Some(birth) = c.birth_date {
        s.write_datetime_with_format(r, 6, excel_date(birth.0)?, &f.date)?;
    }
    if let Some(gender) = c.gender {
        s.write_string(r, 7, gender_label(gender))?;
    }
    if let Some(source) = c.source {
        s.write_string(r, 8, category_label(source))?;
    }
    if let Some(card) = &c.card_number {
        s.write_string(r, 9, card)?;
    }
    s.write_number(r, 10, f64::from(c.discount.0) / 100.0)?;
    s.write_number_with_format(r, 11, minor_to_number(c.bonus_balance.minor()), &f.money)?;
    if !c.notes.is_empty() {
        s.write_string(r, 12, text::for_cell(&c.notes))?;
    }
    s.write_string(r, 13, segment_label(c.segment))?;
    s.write_number(r, 14, f64::from(c.total_visits))?;
    s.write_number_with_format(r, 15, minor_to_number(c.total_spent.minor()), &f.money)?;
    if let Some(first) = c.first_visit {
        s.write_datetime_with_format(r, 16, excel_local(first, zone)?, &f.datetime)?;
    }
    if let Some(last) = c.last_visit {
        s.write_datetime_with_format(r, 17, excel_local(last, zone)?, &f.datetime)?;
    }
    s.write_datetime_with_format(r, 18, excel_local(c.created_at, zone)?, &f.datetime)?;
    Ok(())
}

fn write_visit(s: &mut Worksheet, r: u32, v: &VisitRow, f: &Formats) -> Result<(), XlsxError> {
    s.write_number(r, 0, v.client_id as f64)?;
    s.write_string(r, 1, text::for_cell(&v.client_name))?;
    s.write_string(r, 2, &v.phone)?;
    s.write_datetime_with_format(r, 3, excel_date(v.date.0)?, &f.date)?;
    s.write_string(r, 4, v.start_time.to_string())?;
    s.write_string(r, 5, text::for_cell(&v.service_name))?;
    s.write_string(r, 6, text::for_cell(&v.staff_name))?;
    s.write_string(r, 7, if v.status == Status::Completed { "Завершено" } else { "" })?;
    s.write_number_with_format(r, 8, minor_to_number(v.price.minor()), &f.money)?;
    if !v.notes.is_empty() {
        s.write_string(r, 9, text::for_cell(&v.notes))?;
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
