//! SQL of the services catalogue. Archived services (`archived_at` set) are invisible here:
//! every query but the archive itself filters them out.

use super::{
    ServiceRef,
    model::{DEFAULT_CATEGORIES, Service, ServiceFilter, ServiceStatistics, ServiceValues},
};
use crate::{
    http::error::{AppError, constraint_of},
    tenancy::TenantTx,
};

/// The columns of [`Service`], as a literal for `concat!`.
macro_rules! service_columns {
    () => {
        "id, name, description, category, duration_minutes as duration, price_minor as price, color,
         is_active, case when archived_at is not null then 'archived' when is_active then 'active'
         else 'inactive' end as status, created_at, updated_at"
    };
}

fn name_taken(e: sqlx::Error) -> AppError {
    match constraint_of(&e) {
        Some("services_name_per_salon") => {
            AppError::conflict("service_name_taken", "Послуга з такою назвою вже існує")
        }
        _ => e.into(),
    }
}

/// `%text%` for `ilike`, with the pattern characters of the text itself escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub async fn list(tx: &mut TenantTx, filter: &ServiceFilter) -> Result<Vec<Service>, AppError> {
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(contains_pattern);
    let category = filter.category.as_deref().map(str::trim).filter(|s| !s.is_empty());
    Ok(sqlx::query_as(concat!(
        "select ", service_columns!(), " from services
         where archived_at is null
           and ($1::text is null or name ilike $1 or description ilike $1)
           and ($2::text is null or lower(category) = lower($2))
           and ($3::boolean is null or is_active = $3)
         order by category, lower(name), id"
    ))
    .bind(search)
    .bind(category)
    .bind(filter.is_active)
    .fetch_all(tx.conn())
    .await?)
}

/// The default categories plus every category a live service uses, sorted and deduplicated.
pub async fn categories(tx: &mut TenantTx) -> Result<Vec<String>, AppError> {
    let used: Vec<String> = sqlx::query_scalar("select distinct category from services where archived_at is null")
        .fetch_all(tx.conn())
        .await?;
    let mut all: std::collections::BTreeSet<String> = used.into_iter().collect();
    all.extend(DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()));
    Ok(all.into_iter().collect())
}

/// A live service. `lock` takes its row `for no key update` (changes and archiving): it waits
/// for bookings that share-locked the service, without blocking foreign-key checks.
pub async fn find(tx: &mut TenantTx, id: i64, lock: bool) -> Result<Option<Service>, AppError> {
    let sql = if lock {
        concat!("select ", service_columns!(), " from services where id = $1 and archived_at is null for no key update")
    } else {
        concat!("select ", service_columns!(), " from services where id = $1 and archived_at is null")
    };
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?)
}

pub async fn statistics(tx: &mut TenantTx, id: i64) -> Result<ServiceStatistics, AppError> {
    use crate::calendar::facts::{self, Holder};
    let live: Vec<i64> = sqlx::query_scalar("select id from services where archived_at is null")
        .fetch_all(tx.conn())
        .await?;
    if !live.contains(&id) {
        return Err(AppError::NotFound);
    }
    let per_service: std::collections::HashMap<i64, i64> = facts::bookings_per_service(tx).await?.into_iter().collect();
    let count = |s: &i64| per_service.get(s).copied().unwrap_or(0);
    let mine = count(&id);
    let totals = facts::totals(tx, Holder::Service(id)).await?;
    Ok(ServiceStatistics {
        total_bookings: mine,
        total_revenue: totals.revenue,
        average_rating: 0.0,
        // Ties share a rank, as SQL's rank() would give.
        popularity_rank: 1 + live.iter().filter(|s| count(s) > mine).count() as i64,
    })
}

pub async fn insert(tx: &mut TenantTx, v: &ServiceValues) -> Result<Service, AppError> {
    sqlx::query_as(concat!(
        "insert into services (name, category, description, duration_minutes, price_minor, color, is_active)
         values ($1, $2, coalesce($3, ''), $4, $5, nullif($6, ''), $7)
         returning ",
        service_columns!()
    ))
    .bind(&v.name)
    .bind(&v.category)
    .bind(&v.description)
    .bind(v.duration)
    .bind(v.price)
    .bind(&v.color)
    .bind(v.is_active)
    .fetch_one(tx.conn())
    .await
    .map_err(name_taken)
}

pub async fn update(tx: &mut TenantTx, id: i64, v: &ServiceValues) -> Result<Option<Service>, AppError> {
    sqlx::query_as(concat!(
        "update services set
            name             = coalesce($2, name),
            category         = coalesce($3, category),
            description      = coalesce($4, description),
            duration_minutes = coalesce($5, duration_minutes),
            price_minor      = coalesce($6, price_minor),
            color            = case when $7::text is null then color else nullif($7, '') end,
            is_active        = coalesce($8, is_active),
            updated_at       = now()
         where id = $1 and archived_at is null
         returning ",
        service_columns!()
    ))
    .bind(id)
    .bind(&v.name)
    .bind(&v.category)
    .bind(&v.description)
    .bind(v.duration)
    .bind(v.price)
    .bind(&v.color)
    .bind(v.is_active)
    .fetch_optional(tx.conn())
    .await
    .map_err(name_taken)
}

pub async fn archive(tx: &mut TenantTx, id: i64) -> Result<Option<Service>, AppError> {
    Ok(sqlx::query_as(concat!(
        "update services set archived_at = now(), is_active = false, updated_at = now()
         where id = $1 and archived_at is null
         returning ",
        service_columns!()
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// The columns of [`ServiceRef`].
macro_rules! ref_columns {
    () => {
        "s.id, s.name, s.duration_minutes, s.price_minor as price"
    };
}

pub async fn refs_by_names(tx: &mut TenantTx, names: &[String]) -> Result<Vec<ServiceRef>, AppError> {
    // Both sides are lower-cased by PostgreSQL, the same function the unique index uses, so the
    // match agrees with what the index calls "the same name".
    Ok(sqlx::query_as(concat!(
        "select ", ref_columns!(), "
         from unnest($1::text[]) with ordinality as n (name, ord)
         join services s on lower(s.name) = lower(btrim(n.name)) and s.archived_at is null
         order by n.ord
         for share of s"
    ))
    .bind(names)
    .fetch_all(tx.conn())
    .await?)
}

/// A live service without locking it, for read-only paths (a row lock makes the
/// transaction a writer that must flush WAL at commit).
pub async fn peek_ref(tx: &mut TenantTx, id: i64) -> Result<Option<ServiceRef>, AppError> {
    Ok(sqlx::query_as(concat!("select ", ref_columns!(), " from services s where s.id = $1 and s.archived_at is null"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn ref_by_id(tx: &mut TenantTx, id: i64) -> Result<Option<ServiceRef>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select ", ref_columns!(), " from services s where s.id = $1 and s.archived_at is null for share"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn live_ids(tx: &mut TenantTx, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar("select id from services where id = any($1) and archived_at is null order by id")
        .bind(ids)
        .fetch_all(tx.conn())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_text_is_literal() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern("Стрижка"), "%Стрижка%");
    }
}
