//! SQL of staff members and the services they perform. Soft-deleted members (`deleted_at`
//! set) are invisible to every query here but the ones that say otherwise.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    StaffRef,
    model::{Staff, StaffFilter, StaffStatistics, StaffValues, WeekHours},
    schedule_store,
};
use crate::{
    calendar::{self, facts::Holder},
    catalog,
    clock::Ymd,
    error::AppError,
    ids::{ServiceId, StaffId, UserId},
    money::Money,
    tenancy::{Lock, TenantTx},
};

/// A row of `staff` as [`Staff`] carries it; the schedule and services are filled in after.
struct StaffRow {
    id: StaffId,
    first_name: String,
    last_name: String,
    middle_name: String,
    phone: String,
    email: Option<String>,
    position: String,
    specializations: Vec<String>,
    hire_date: Option<Ymd>,
    salary: Money,
    commission: f64,
    avatar: Option<String>,
    color: Option<String>,
    is_active: bool,
    user_id: Option<UserId>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<StaffRow> for Staff {
    fn from(r: StaffRow) -> Self {
        Staff {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            middle_name: r.middle_name,
            phone: r.phone,
            email: r.email,
            position: r.position,
            specializations: r.specializations,
            hire_date: r.hire_date,
            salary: r.salary,
            commission: r.commission,
            avatar: r.avatar,
            color: r.color,
            is_active: r.is_active,
            schedule: WeekHours::default(),
            service_ids: Vec::new(),
            user_id: r.user_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `sqlx::query_as!(StaffRow, ..)` selecting the columns of [`StaffRow`], then `$tail`.
macro_rules! query_staff {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            StaffRow,
            r#"select id, first_name, last_name, middle_name, phone, email, position, specializations,
                      hire_date as "hire_date: Ymd", salary_minor as "salary: Money",
                      commission::float8 as "commission!", avatar_url as avatar, color, is_active,
                      user_id as "user_id: UserId", created_at, updated_at
               from staff "#
                + $tail
            $(, $arg)*
        )
    };
}

pub async fn list(tx: &mut TenantTx, filter: &StaffFilter) -> Result<Vec<Staff>, AppError> {
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(catalog::contains_pattern);
    let position = filter.position.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut staff: Vec<Staff> = query_staff!(
        "where deleted_at is null
           and ($1::text is null or first_name ilike $1 or last_name ilike $1 or middle_name ilike $1
                or phone ilike $1 or email ilike $1)
           and ($2::text is null or lower(position) = lower($2))
           and ($3::boolean is null or is_active = $3)
         order by last_name, first_name, id",
        search,
        position,
        filter.is_active,
    )
    .fetch_all(tx.conn())
    .await?
    .into_iter()
    .map(Staff::from)
    .collect();
    fill(tx, &mut staff).await?;
    Ok(staff)
}

/// A member who is not deleted. `Lock::ForUpdate` takes the row `for no key update`: it serialises writers
/// and waits for bookings that share-locked the member, without blocking foreign-key checks.
pub async fn find(tx: &mut TenantTx, id: StaffId, lock: Lock) -> Result<Option<Staff>, AppError> {
    let row = if lock == Lock::ForUpdate {
        query_staff!("where id = $1 and deleted_at is null for no key update", id as StaffId).fetch_optional(tx.conn()).await?
    } else {
        query_staff!("where id = $1 and deleted_at is null", id as StaffId).fetch_optional(tx.conn()).await?
    };
    let Some(member) = row.map(Staff::from) else {
        return Ok(None);
    };
    let mut one = [member];
    fill(tx, &mut one).await?;
    let [member] = one;
    Ok(Some(member))
}

/// Fills `schedule` and `serviceIds` of loaded members: two queries for all of them.
async fn fill(tx: &mut TenantTx, staff: &mut [Staff]) -> Result<(), AppError> {
    if staff.is_empty() {
        return Ok(());
    }
    let ids: Vec<StaffId> = staff.iter().map(|s| s.id).collect();
    let pattern = schedule_store::pattern_of(tx, &ids).await?;
    let links: Vec<(StaffId, ServiceId)> = sqlx::query!(
        r#"select staff_id as "staff_id: StaffId", service_id as "service_id: ServiceId"
         from staff_services where staff_id = any($1) order by service_id"#,
        &ids[..] as &[StaffId],
    )
    .map(|l| (l.staff_id, l.service_id))
    .fetch_all(tx.conn())
    .await?;
    // Archived services stay linked (history); only live ones are shown.
    let mut linked: Vec<ServiceId> = links.iter().map(|l| l.1).collect();
    linked.sort_unstable();
    linked.dedup();
    let live = catalog::live_ids(tx, &linked).await?;
    let mut services: HashMap<StaffId, Vec<ServiceId>> = HashMap::new();
    for (staff_id, service_id) in links {
        if live.binary_search(&service_id).is_ok() {
            services.entry(staff_id).or_default().push(service_id);
        }
    }
    for member in staff {
        member.schedule = WeekHours::from_pattern(pattern.iter().filter(|p| p.staff_id == member.id));
        member.service_ids = services.remove(&member.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn statistics(tx: &mut TenantTx, id: StaffId) -> Result<StaffStatistics, AppError> {
    let totals = calendar::facts::totals(tx, Holder::Member(id)).await?;
    Ok(StaffStatistics {
        total_appointments: totals.appointments,
        completed_appointments: totals.completed,
        total_revenue: totals.revenue,
        average_rating: 0.0,
        clients_served: totals.clients,
    })
}

pub async fn insert(tx: &mut TenantTx, v: &StaffValues, user_id: Option<UserId>) -> Result<StaffId, AppError> {
    Ok(sqlx::query_scalar!(
        r#"insert into staff (first_name, last_name, middle_name, phone, email, position, specializations,
                            hire_date, salary_minor, commission, avatar_url, color, user_id)
         values ($1, coalesce($2, ''), coalesce($3, ''), coalesce($4, ''), nullif($5, ''),
                 coalesce(nullif($6, ''), 'master'), coalesce($7::text[], '{}'), nullif($8, '')::date,
                 coalesce($9, 0), coalesce($10::float8::numeric, 0), nullif($11, ''), nullif($12, ''), $13)
         returning id as "id: StaffId""#,
        v.first_name,
        v.last_name,
        v.middle_name,
        v.phone,
        v.email,
        v.position,
        v.specializations.as_deref(),
        v.hire_date,
        v.salary as Option<Money>,
        v.commission,
        v.avatar,
        v.color,
        user_id as Option<UserId>,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Applies the present values; `user_id` links an account when given.
pub async fn update(tx: &mut TenantTx, id: StaffId, v: &StaffValues, user_id: Option<UserId>) -> Result<(), AppError> {
    sqlx::query!(
        "update staff set
            first_name      = coalesce($2, first_name),
            last_name       = coalesce($3, last_name),
            middle_name     = coalesce($4, middle_name),
            phone           = coalesce($5, phone),
            email           = case when $6::text is null then email else nullif($6, '') end,
            position        = coalesce($7, position),
            specializations = coalesce($8, specializations),
            hire_date       = case when $9::text is null then hire_date else nullif($9, '')::date end,
            salary_minor    = coalesce($10, salary_minor),
            commission      = coalesce($11::float8::numeric, commission),
            avatar_url      = case when $12::text is null then avatar_url else nullif($12, '') end,
            color           = case when $13::text is null then color else nullif($13, '') end,
            is_active       = coalesce($14, is_active),
            user_id         = coalesce($15, user_id),
            updated_at      = now()
         where id = $1 and deleted_at is null",
        id as StaffId,
        v.first_name,
        v.last_name,
        v.middle_name,
        v.phone,
        v.email,
        v.position,
        v.specializations.as_deref(),
        v.hire_date,
        v.salary as Option<Money>,
        v.commission,
        v.avatar,
        v.color,
        v.is_active,
        user_id as Option<UserId>,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces the services a member performs. `ids` must already be checked live.
pub async fn replace_services(tx: &mut TenantTx, id: StaffId, ids: &[ServiceId]) -> Result<(), AppError> {
    sqlx::query!("delete from staff_services where staff_id = $1", id as StaffId).execute(tx.conn()).await?;
    sqlx::query!(
        "insert into staff_services (staff_id, service_id) select $1, unnest($2::bigint[])",
        id as StaffId,
        ids as &[ServiceId],
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn soft_delete(tx: &mut TenantTx, id: StaffId) -> Result<(), AppError> {
    sqlx::query!(
        "update staff set is_active = false, deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null",
        id as StaffId,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An active member without locking the row (read-only paths).
pub async fn peek_member(tx: &mut TenantTx, id: StaffId) -> Result<Option<StaffRef>, AppError> {
    Ok(sqlx::query_as!(
        StaffRef,
        r#"select id, user_id as "user_id: UserId", first_name, last_name from staff
         where id = $1 and is_active and deleted_at is null"#,
        id as StaffId,
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn active_member(tx: &mut TenantTx, id: StaffId) -> Result<Option<StaffRef>, AppError> {
    Ok(sqlx::query_as!(
        StaffRef,
        r#"select id, user_id as "user_id: UserId", first_name, last_name from staff
         where id = $1 and is_active and deleted_at is null for no key update"#,
        id as StaffId,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Active members linked to the service; all active members when none is.
pub async fn performing(tx: &mut TenantTx, service_id: ServiceId) -> Result<Vec<StaffId>, AppError> {
    let linked: Vec<StaffId> = sqlx::query_scalar!(
        r#"select s.id as "id: StaffId" from staff s
         join staff_services ss on ss.salon_id = s.salon_id and ss.staff_id = s.id
         where ss.service_id = $1 and s.is_active and s.deleted_at is null order by s.id"#,
        service_id as ServiceId,
    )
    .fetch_all(tx.conn())
    .await?;
    if linked.is_empty() { all_active(tx).await } else { Ok(linked) }
}

pub async fn all_active(tx: &mut TenantTx) -> Result<Vec<StaffId>, AppError> {
    Ok(sqlx::query_scalar!(r#"select id as "id: StaffId" from staff where is_active and deleted_at is null order by id"#)
        .fetch_all(tx.conn())
        .await?)
}
