//! SQL of the records list. A read model: it reads appointments with their staff member,
//! service, client, author and visit payment (finance operations) directly, one query per page.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::{
    Window,
    records::{PaymentStatus, RecordStatistics, RecordsQuery, Source},
};
use crate::{
    calendar::{Kind, Status},
    clock::{HhMm, Ymd},
    http::error::AppError,
    money::Money,
    tenancy::TenantTx,
};

/// Every live appointment with what the overview shows of it. The payment is the completed
/// operation linked to the appointment (at most one: a unique key) that no completed
/// reversal cancels.
macro_rules! records {
    () => {
        "select a.id, a.client_id, a.client_name,
                coalesce(nullif(a.client_phone, ''), cl.phone, '') as phone,
                a.staff_id, coalesce(btrim(st.first_name || ' ' || st.last_name), '') as employee,
                a.service_id, a.service_name, coalesce(sv.category, '') as service_category,
                a.date, a.start_time, a.end_time, a.starts_at, a.status, a.type, a.price_minor, a.notes,
                a.created_at,
                coalesce(nullif(btrim(u.first_name || ' ' || u.last_name), ''), u.email, '') as created_by,
                coalesce(p.amount_minor, 0) as paid_minor, p.method_type, p.method_name,
                case when p.amount_minor is null then 'unpaid'
                     when p.amount_minor >= a.price_minor then 'paid'
                     else 'partial' end as payment_status,
                case when a.created_by is null then 'online' else 'admin' end as source,
                z.tz
         from appointments a
         cross join (select timezone as tz from salons) z
         left join clients cl on cl.salon_id = a.salon_id and cl.id = a.client_id
         left join staff st on st.salon_id = a.salon_id and st.id = a.staff_id
         left join services sv on sv.salon_id = a.salon_id and sv.id = a.service_id
         left join users u on u.salon_id = a.salon_id and u.id = a.created_by
         left join lateral (
             select o.amount_minor, pm.type as method_type,
                    coalesce(pm.name, nullif(o.payment_method_text, '')) as method_name
             from finance_operations o
             left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
             where o.salon_id = a.salon_id and o.appointment_id = a.id and o.status = 'completed'
               and o.direction = 'in'
               and not exists (select 1 from finance_operations r
                               where r.salon_id = o.salon_id and r.reversal_of = o.id and r.status = 'completed')
         ) p on true
         where a.deleted_at is null"
    };
}

/// The filters; created dates are salon-local days turned into instants in the salon's zone.
macro_rules! filters {
    () => {
        " where ($1::date is null or r.date >= $1)
            and ($2::date is null or r.date <= $2)
            and ($3::date is null or r.created_at >= ($3::date::timestamp at time zone r.tz))
            and ($4::date is null or r.created_at < (($4::date + 1)::timestamp at time zone r.tz))
            and ($5::bigint is null or r.staff_id = $5)
            and ($7::text is null
                 or ($6::bigint is not null and r.client_id = $6)
                 or strpos(lower(r.client_name), lower($7)) > 0
                 or ($8::text <> '' and strpos(regexp_replace(r.phone, '[^0-9]', '', 'g'), $8) > 0))
            and ($9::text is null or lower(r.service_category) = lower($9))
            and ($10::text[] is null or r.status = any($10))
            and ($11::text is null or r.payment_status = $11)
            and ($12::text is null or r.source = $12)
            and ($13::bigint is null
                 or exists (select 1 from staff st where st.id = r.staff_id and st.user_id = $13)
                 or exists (select 1 from appointments a
                            join staff st on st.salon_id = a.salon_id and st.id = a.staff_id
                            where a.client_id = r.client_id and a.deleted_at is null and st.user_id = $13))"
    };
}

/// The records list's filters, resolved from the query.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    visit_from: Option<NaiveDate>,
    visit_to: Option<NaiveDate>,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    staff_id: Option<i64>,
    client_id: Option<i64>,
    client_text: Option<String>,
    client_digits: String,
    service_category: Option<String>,
    statuses: Option<Vec<String>>,
    payment_status: Option<PaymentStatus>,
    source: Option<Source>,
    /// `clients.show` = `own`: only records of this user's staff profile or of clients it served.
    own_user: Option<i64>,
}

impl Filter {
    /// Limits the records to those a user with `clients.show` = `own` may see.
    pub fn own(mut self, own_user: Option<i64>) -> Self {
        self.own_user = own_user;
        self
    }
}

impl From<&RecordsQuery> for Filter {
    fn from(q: &RecordsQuery) -> Self {
        let later = |a: Option<Ymd>, b: Option<Ymd>| a.max(b).map(|d| d.0);
        let earlier = |a: Option<Ymd>, b: Option<Ymd>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b).0),
            (a, b) => a.or(b).map(|d| d.0),
        };
        let client = q.client.as_deref().map(str::trim).filter(|c| !c.is_empty());
        Filter {
            visit_from: later(q.date_from, q.visit_from),
            visit_to: earlier(q.date_to, q.visit_to),
            created_from: q.created_from.map(|d| d.0),
            created_to: q.created_to.map(|d| d.0),
            staff_id: q.employee,
            client_id: client.and_then(|c| c.parse().ok()),
            client_text: client.map(str::to_owned),
            client_digits: client.map(phone_digits).unwrap_or_default(),
            service_category: q
                .service_category
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            statuses: q
                .visit_status
                .map(|s| s.stored().iter().map(|s| (*s).to_owned()).collect()),
            payment_status: q.payment_status,
            source: q.source,
            own_user: None,
        }
    }
}

/// The digits of a phone fragment worth searching for: five or more (a shorter number is an id
/// or part of a name, and would match almost every phone).
fn phone_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 5 {
        digits
    } else {
        String::new()
    }
}

fn bind_filter<'q, O>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    f: &'q Filter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(f.visit_from)
        .bind(f.visit_to)
        .bind(f.created_from)
        .bind(f.created_to)
        .bind(f.staff_id)
        .bind(f.client_id)
        .bind(f.client_text.as_deref())
        .bind(f.client_digits.as_str())
        .bind(f.service_category.as_deref())
        .bind(f.statuses.as_deref())
        .bind(f.payment_status)
        .bind(f.source)
        .bind(f.own_user)
}

#[derive(Debug, sqlx::FromRow)]
pub struct RecordRow {
    pub id: i64,
    pub client_id: Option<i64>,
    pub client_name: String,
    pub phone: String,
    pub staff_id: Option<i64>,
    pub employee: String,
    pub service_id: Option<i64>,
    pub service_name: String,
    pub service_category: String,
    pub date: Ymd,
    pub start_time: HhMm,
    pub end_time: HhMm,
    pub starts_at: DateTime<Utc>,
    pub status: Status,
    #[sqlx(rename = "type")]
    pub kind: Kind,
    #[sqlx(rename = "price_minor")]
    pub price: Money,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[sqlx(rename = "paid_minor")]
    pub paid: Money,
    pub method_type: Option<String>,
    pub method_name: Option<String>,
    pub payment_status: PaymentStatus,
    pub source: Source,
}

/// One page of matching records, newest visit first.
pub async fn list(tx: &mut TenantTx, f: &Filter, w: Window) -> Result<Vec<RecordRow>, AppError> {
    let query = sqlx::query_as(concat!(
        "select * from (",
        records!(),
        ") r",
        filters!(),
        " order by r.starts_at desc, r.id desc limit $14 offset $15"
    ));
    Ok(bind_filter(query, f)
        .bind(w.limit)
        .bind(w.offset)
        .fetch_all(tx.conn())
        .await?)
}

#[derive(sqlx::FromRow)]
struct StatsRow {
    total: i64,
    completed: i64,
    cancelled: i64,
    no_show: i64,
    revenue: Money,
}

/// Totals over every matching record.
pub async fn statistics(tx: &mut TenantTx, f: &Filter) -> Result<RecordStatistics, AppError> {
    let query = sqlx::query_as(concat!(
        "select count(*) as total,
                count(*) filter (where r.status = 'completed') as completed,
                count(*) filter (where r.status = 'cancelled') as cancelled,
                count(*) filter (where r.status = 'no-show') as no_show,
                coalesce(sum(r.paid_minor), 0)::bigint as revenue
         from (",
        records!(),
        ") r",
        filters!()
    ));
    let s: StatsRow = bind_filter(query, f).fetch_one(tx.conn()).await?;
    Ok(RecordStatistics {
        total: s.total,
        completed: s.completed,
        cancelled: s.cancelled,
        no_show: s.no_show,
        total_revenue: s.revenue,
    })
}

/// An audit entry of a record.
#[derive(Debug, sqlx::FromRow)]
pub struct ChangeRow {
    pub entity_id: i64,
    pub created_at: DateTime<Utc>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub author: String,
}

/// The audit entries (`entity = 'record'`) of these records, oldest first, by record id.
pub async fn history(
    tx: &mut TenantTx,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ChangeRow>>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "select c.entity_id, c.created_at, c.action, c.before, c.after,
                coalesce(nullif(btrim(u.first_name || ' ' || u.last_name), ''), u.email, '') as author
         from changes c
         left join users u on u.salon_id = c.salon_id and u.id = c.user_id
         where c.entity = 'record' and c.entity_id = any($1)
         order by c.created_at, c.id",
    )
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    let mut by_record: HashMap<i64, Vec<ChangeRow>> = HashMap::new();
    for row in rows {
        by_record.entry(row.entity_id).or_default().push(row);
    }
    Ok(by_record)
}
