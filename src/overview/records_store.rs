//! SQL of the records list: a read model over the views the owning domains export
//! (see [`super`]): the calendar's appointments with the staff member's name, the service's
//! category, the client's phone, the author's name and the visit's payment, one query per page.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::{
    records::{PaymentStatus, RecordStatistics, RecordsQuery, Source},
};
use crate::{
    calendar::{Kind, Status},
    clock::{HhMm, Ymd},
    error::AppError,
    http::page::Page,
    ids::{ClientId, ServiceId, StaffId, UserId},
    money::Money,
    tenancy::TenantTx,
};

/// `sqlx::$query!($lead.., $head + " from <records> r where <filter>" + $tail, <filter> $(, $arg)*)`:
/// one of sqlx's query macros over the live records `r` that pass `$f` ($1..$13); further
/// arguments are $14 on.
///
/// A record is a live appointment with what the overview shows of it. Its payment is the
/// visit's payment the finances export (`finance_visit_payments`: completed, incoming, not
/// reversed). Created dates are salon-local days turned into instants in the salon's zone.
/// `clients.show` = `own` ($13) keeps the records of the user's staff profile and of the
/// clients it has served.
macro_rules! records {
    ($query:ident!($($lead:ty,)?) $f:expr, $head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            $($lead,)?
            $head
                + " from (
                    select a.id, a.client_id, a.client_name,
                           coalesce(nullif(a.client_phone, ''), cl.phone, '') as phone,
                           a.staff_id, coalesce(st.name, '') as employee,
                           a.service_id, a.service_name, coalesce(sv.category, '') as service_category,
                           a.date, a.start_time, a.end_time, a.starts_at, a.status, a.type, a.price_minor,
                           a.notes, a.created_at, coalesce(u.name, '') as created_by,
                           coalesce(p.amount_minor, 0) as paid_minor, p.method_type, p.method_name,
                           case when p.amount_minor is null then 'unpaid'
                                when p.amount_minor >= a.price_minor then 'paid'
                                else 'partial' end as payment_status,
                           case when a.created_by is null then 'online' else 'admin' end as source,
                           z.timezone as tz
                    from calendar_appointments a
                    cross join salon_facts z
                    left join client_contacts cl on cl.salon_id = a.salon_id and cl.id = a.client_id
                    left join staff_names st on st.salon_id = a.salon_id and st.id = a.staff_id
                    left join catalog_services sv on sv.salon_id = a.salon_id and sv.id = a.service_id
                    left join user_names u on u.salon_id = a.salon_id and u.id = a.created_by
                    left join finance_visit_payments p on p.salon_id = a.salon_id and p.appointment_id = a.id
                    where a.deleted_at is null
                  ) r
                  where ($1::date is null or r.date >= $1)
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
                         or exists (select 1 from staff_names st where st.id = r.staff_id and st.user_id = $13)
                         or exists (select 1 from calendar_appointments a
                                    join staff_names st on st.salon_id = a.salon_id and st.id = a.staff_id
                                    where a.client_id = r.client_id and a.deleted_at is null and st.user_id = $13))"
                + $tail,
            $f.visit_from,
            $f.visit_to,
            $f.created_from,
            $f.created_to,
            $f.staff_id as Option<StaffId>,
            $f.client_id as Option<ClientId>,
            $f.client_text.as_deref(),
            $f.client_digits.as_str(),
            $f.service_category.as_deref(),
            $f.statuses.as_deref(),
            $f.payment_status as Option<PaymentStatus>,
            $f.source as Option<Source>,
            $f.own_user as Option<UserId>,
            $($arg,)*
        )
    };
}

/// The records list's filters, resolved from the query.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    visit_from: Option<NaiveDate>,
    visit_to: Option<NaiveDate>,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    staff_id: Option<StaffId>,
    client_id: Option<ClientId>,
    client_text: Option<String>,
    client_digits: String,
    service_category: Option<String>,
    statuses: Option<Vec<String>>,
    payment_status: Option<PaymentStatus>,
    source: Option<Source>,
    /// `clients.show` = `own`: only records of this user's staff profile or of clients it served.
    own_user: Option<UserId>,
}

impl Filter {
    /// Limits the records to those a user with `clients.show` = `own` may see.
    pub fn own(mut self, own_user: Option<UserId>) -> Self {
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
            client_id: client.and_then(|c| c.parse::<i64>().ok()).map(ClientId),
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

#[derive(Debug)]
pub struct RecordRow {
    pub id: i64,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    pub phone: String,
    pub staff_id: Option<StaffId>,
    pub employee: String,
    pub service_id: Option<ServiceId>,
    pub service_name: String,
    pub service_category: String,
    pub date: Ymd,
    pub start_time: HhMm,
    pub end_time: HhMm,
    pub starts_at: DateTime<Utc>,
    pub status: Status,
    pub kind: Kind,
    pub price: Money,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub paid: Money,
    pub method_type: Option<String>,
    pub method_name: Option<String>,
    pub payment_status: PaymentStatus,
    pub source: Source,
}

/// One page of matching records, newest visit first.
pub async fn list(tx: &mut TenantTx, f: &Filter, w: Page) -> Result<Vec<RecordRow>, AppError> {
    Ok(records!(
        query_as!(RecordRow,) f,
        r#"select r.id as "id!", r.client_id as "client_id: ClientId", r.client_name as "client_name!",
                r.phone as "phone!", r.staff_id as "staff_id: StaffId", r.employee as "employee!",
                r.service_id as "service_id: ServiceId", r.service_name as "service_name!",
                r.service_category as "service_category!", r.date as "date!: Ymd",
                r.start_time as "start_time!: HhMm", r.end_time as "end_time!: HhMm",
                r.starts_at as "starts_at!", r.status as "status!: Status", r.type as "kind!: Kind",
                r.price_minor as "price!: Money", r.notes as "notes!", r.created_at as "created_at!",
                r.created_by as "created_by!", r.paid_minor as "paid!: Money", r.method_type, r.method_name,
                r.payment_status as "payment_status!: PaymentStatus", r.source as "source!: Source""#,
        " order by r.starts_at desc, r.id desc limit $14 offset $15",
        w.limit,
        w.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Totals over every matching record.
pub async fn statistics(tx: &mut TenantTx, f: &Filter) -> Result<RecordStatistics, AppError> {
    Ok(records!(
        query_as!(RecordStatistics,) f,
        r#"select count(*) as "total!",
                count(*) filter (where r.status = 'completed') as "completed!",
                count(*) filter (where r.status = 'cancelled') as "cancelled!",
                count(*) filter (where r.status = 'no-show') as "no_show!",
                coalesce(sum(r.paid_minor), 0)::bigint as "total_revenue!: Money""#,
        "",
    )
    .fetch_one(tx.conn())
    .await?)
}

/// An audit entry of a record.
#[derive(Debug)]
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
    let rows: Vec<ChangeRow> = sqlx::query_as!(
        ChangeRow,
        r#"select c.entity_id as "entity_id!", c.created_at as "created_at!", c.action as "action!",
                c.before, c.after, coalesce(u.name, '') as "author!"
         from audit_trail c
         left join user_names u on u.salon_id = c.salon_id and u.id = c.user_id
         where c.entity = 'record' and c.entity_id = any($1)
         order by c.created_at, c.id"#,
        ids,
    )
    .fetch_all(tx.conn())
    .await?;
    let mut by_record: HashMap<i64, Vec<ChangeRow>> = HashMap::new();
    for row in rows {
        by_record.entry(row.entity_id).or_default().push(row);
    }
    Ok(by_record)
}
