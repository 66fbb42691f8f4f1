//! SQL of staff members and the services they perform. Soft-deleted members (`deleted_at`
//! set) are invisible to every query here but the ones that say otherwise.

use std::collections::HashMap;

use super::{
    StaffRef,
    model::{Staff, StaffFilter, StaffStatistics, StaffValues, WeekHours},
    schedule_store,
};
use crate::{
    calendar::{self, facts::Holder},catalog, http::error::AppError, tenancy::TenantTx};

/// The columns of [`Staff`], as a literal for `concat!`.
macro_rules! staff_columns {
    () => {
        "id, first_name, last_name, middle_name, phone, email, position, specializations, hire_date,
         salary_minor as salary, commission::float8 as commission, avatar_url as avatar, color, is_active,
         user_id, created_at, updated_at"
    };
}

pub async fn list(tx: &mut TenantTx, filter: &StaffFilter) -> Result<Vec<Staff>, AppError> {
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(catalog::contains_pattern);
    let position = filter.position.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut staff: Vec<Staff> = sqlx::query_as(concat!(
        "select ", staff_columns!(), " from staff
         where deleted_at is null
           and ($1::text is null or first_name ilike $1 or last_name ilike $1 or middle_name ilike $1
                or phone ilike $1 or email ilike $1)
           and ($2::text is null or lower(position) = lower($2))
           and ($3::boolean is null or is_active = $3)
         order by last_name, first_name, id"
    ))
    .bind(search)
    .bind(position)
    .bind(filter.is_active)
    .fetch_all(tx.conn())
    .await?;
    fill(tx, &mut staff).await?;
    Ok(staff)
}

/// A member who is not deleted. `lock` takes the row `for no key update`: it serialises writers
/// and waits for bookings that share-locked the member, without blocking foreign-key checks.
pub async fn find(tx: &mut TenantTx, id: i64, lock: bool) -> Result<Option<Staff>, AppError> {
    let sql = if lock {
        concat!("select ", staff_columns!(), " from staff where id = $1 and deleted_at is null for no key update")
    } else {
        concat!("select ", staff_columns!(), " from staff where id = $1 and deleted_at is null")
    };
    let Some(member) = sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await? else {
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
    let ids: Vec<i64> = staff.iter().map(|s| s.id).collect();
    let pattern = schedule_store::pattern_of(tx, &ids).await?;
    let links: Vec<(i64, i64)> =
        sqlx::query_as("select staff_id, service_id from staff_services where staff_id = any($1) order by service_id")
            .bind(&ids)
            .fetch_all(tx.conn())
            .await?;
    // Archived services stay linked (history); only live ones are shown.
    let mut linked: Vec<i64> = links.iter().map(|l| l.1).collect();
    linked.sort_unstable();
    linked.dedup();
    let live = catalog::live_ids(tx, &linked).await?;
    let mut services: HashMap<i64, Vec<i64>> = HashMap::new();
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

pub async fn statistics(tx: &mut TenantTx, id: i64) -> Result<StaffStatistics, AppError> {
    let totals = calendar::facts::totals(tx, Holder::Member(id)).await?;
    Ok(StaffStatistics {
        total_appointments: totals.appointments,
        completed_appointments: totals.completed,
        total_revenue: totals.revenue,
        average_rating: 0.0,
        clients_served: totals.clients,
    })
}

pub async fn insert(tx: &mut TenantTx, v: &StaffValues, user_id: Option<i64>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "insert into staff (first_name, last_name, middle_name, phone, email, position, specializations,
                            hire_date, salary_minor, commission, avatar_url, color, user_id)
         values ($1, coalesce($2, ''), coalesce($3, ''), coalesce($4, ''), nullif($5, ''),
                 coalesce(nullif($6, ''), 'master'), coalesce($7, '{}'), nullif($8, '')::date,
                 coalesce($9, 0), coalesce($10::float8::numeric, 0), nullif($11, ''), nullif($12, ''), $13)
         returning id",
    )
    .bind(&v.first_name)
    .bind(&v.last_name)
    .bind(&v.middle_name)
    .bind(&v.phone)
    .bind(&v.email)
    .bind(&v.position)
    .bind(&v.specializations)
    .bind(&v.hire_date)
    .bind(v.salary)
    .bind(v.commission)
    .bind(&v.avatar)
    .bind(&v.color)
    .bind(user_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Applies the present values; `user_id` links an account when given.
pub async fn update(tx: &mut TenantTx, id: i64, v: &StaffValues, user_id: Option<i64>) -> Result<(), AppError> {
    sqlx::query(
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
    )
    .bind(id)
    .bind(&v.first_name)
    .bind(&v.last_name)
    .bind(&v.middle_name)
    .bind(&v.phone)
    .bind(&v.email)
    .bind(&v.position)
    .bind(&v.specializations)
    .bind(&v.hire_date)
    .bind(v.salary)
    .bind(v.commission)
    .bind(&v.avatar)
    .bind(&v.color)
    .bind(v.is_active)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces the services a member performs. `ids` must already be checked live.
pub async fn replace_services(tx: &mut TenantTx, id: i64, ids: &[i64]) -> Result<(), AppError> {
    sqlx::query("delete from staff_services where staff_id = $1").bind(id).execute(tx.conn()).await?;
    sqlx::query("insert into staff_services (staff_id, service_id) select $1, unnest($2::bigint[])")
        .bind(id)
        .bind(ids)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn soft_delete(tx: &mut TenantTx, id: i64) -> Result<(), AppError> {
    sqlx::query("update staff set is_active = false, deleted_at = now(), updated_at = now() where id = $1 and deleted_at is null")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// An active member without locking the row (read-only paths).
pub async fn peek_member(tx: &mut TenantTx, id: i64) -> Result<Option<StaffRef>, AppError> {
    Ok(sqlx::query_as(
        "select id, user_id, first_name, last_name from staff where id = $1 and is_active and deleted_at is null",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn active_member(tx: &mut TenantTx, id: i64) -> Result<Option<StaffRef>, AppError> {
    Ok(sqlx::query_as(
        "select id, user_id, first_name, last_name from staff
         where id = $1 and is_active and deleted_at is null for no key update",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Active members linked to the service; all active members when none is.
pub async fn performing(tx: &mut TenantTx, service_id: i64) -> Result<Vec<i64>, AppError> {
    let linked: Vec<i64> = sqlx::query_scalar(
        "select s.id from staff s
         join staff_services ss on ss.salon_id = s.salon_id and ss.staff_id = s.id
         where ss.service_id = $1 and s.is_active and s.deleted_at is null order by s.id",
    )
    .bind(service_id)
    .fetch_all(tx.conn())
    .await?;
    if linked.is_empty() { all_active(tx).await } else { Ok(linked) }
}

pub async fn all_active(tx: &mut TenantTx) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar("select id from staff where is_active and deleted_at is null order by id")
        .fetch_all(tx.conn())
        .await?)
}
