//! SQL of the services catalogue. Archived services (`archived_at` set) are invisible here:
//! every query but the archive itself filters them out.

use super::{
    ServiceRef,
    model::{DEFAULT_CATEGORIES, Service, ServiceFilter, ServiceStatistics, ServiceStatus, ServiceValues},
};
use crate::{
    error::{AppError, constraint_of},
    ids::ServiceId,
    money::Money,
    tenancy::{Lock, TenantTx},
};

/// `query_as!` into [`Service`]: `$head` ends with `select` or `returning`, the columns of
/// [`Service`] follow it, then `$tail`.
macro_rules! query_service {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Service,
            $head
                + r#" id, name, description, category, duration_minutes as duration, price_minor as "price: Money",
                 color, is_active, case when archived_at is not null then 'archived' when is_active then 'active'
                 else 'inactive' end as "status!: ServiceStatus", created_at, updated_at "#
                + $tail
            $(, $arg)*
        )
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
    Ok(query_service!(
        "select",
        "from services
         where archived_at is null
           and ($1::text is null or name ilike $1 or description ilike $1)
           and ($2::text is null or lower(category) = lower($2))
           and ($3::boolean is null or is_active = $3)
         order by category, lower(name), id",
        search,
        category,
        filter.is_active,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The default categories plus every category a live service uses, sorted and deduplicated.
pub async fn categories(tx: &mut TenantTx) -> Result<Vec<String>, AppError> {
    let used: Vec<String> = sqlx::query_scalar!("select distinct category from services where archived_at is null")
        .fetch_all(tx.conn())
        .await?;
    let mut all: std::collections::BTreeSet<String> = used.into_iter().collect();
    all.extend(DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()));
    Ok(all.into_iter().collect())
}

/// A live service. `Lock::ForUpdate` takes its row `for no key update` (changes and archiving): it waits
/// for bookings that share-locked the service, without blocking foreign-key checks.
pub async fn find(tx: &mut TenantTx, id: ServiceId, lock: Lock) -> Result<Option<Service>, AppError> {
    // Each macro call has its own row-mapping type, so each branch fetches.
    Ok(if lock == Lock::ForUpdate {
        query_service!("select", "from services where id = $1 and archived_at is null for no key update", id as ServiceId)
            .fetch_optional(tx.conn())
            .await?
    } else {
        query_service!("select", "from services where id = $1 and archived_at is null", id as ServiceId)
            .fetch_optional(tx.conn())
            .await?
    })
}

pub async fn statistics(tx: &mut TenantTx, id: ServiceId) -> Result<ServiceStatistics, AppError> {
    use crate::calendar::facts::{self, Holder};
    let live: Vec<ServiceId> = sqlx::query_scalar!(r#"select id as "id: ServiceId" from services where archived_at is null"#)
        .fetch_all(tx.conn())
        .await?;
    if !live.contains(&id) {
        return Err(AppError::NotFound);
    }
    let per_service: std::collections::HashMap<ServiceId, i64> = facts::bookings_per_service(tx).await?.into_iter().collect();
    let count = |s: &ServiceId| per_service.get(s).copied().unwrap_or(0);
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
    query_service!(
        "insert into services (name, category, description, duration_minutes, price_minor, color, is_active)
         values ($1, $2, coalesce($3, ''), $4, $5, nullif($6, ''), $7)
         returning",
        "",
        v.name,
        v.category,
        v.description,
        v.duration,
        v.price as Option<Money>,
        v.color,
        v.is_active,
    )
    .fetch_one(tx.conn())
    .await
    .map_err(name_taken)
}

pub async fn update(tx: &mut TenantTx, id: ServiceId, v: &ServiceValues) -> Result<Option<Service>, AppError> {
    query_service!(
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
         returning",
        "",
        id as ServiceId,
        v.name,
        v.category,
        v.description,
        v.duration,
        v.price as Option<Money>,
        v.color,
        v.is_active,
    )
    .fetch_optional(tx.conn())
    .await
    .map_err(name_taken)
}

pub async fn archive(tx: &mut TenantTx, id: ServiceId) -> Result<Option<Service>, AppError> {
    Ok(query_service!(
        "update services set archived_at = now(), is_active = false, updated_at = now()
         where id = $1 and archived_at is null
         returning",
        "",
        id as ServiceId,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// `query_as!` into [`ServiceRef`]: `select`, its columns from `services s`, then `$tail`.
macro_rules! query_ref {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ServiceRef,
            r#"select s.id, s.name, s.duration_minutes, s.price_minor as "price: Money" "# + $tail
            $(, $arg)*
        )
    };
}

pub async fn refs_by_names(tx: &mut TenantTx, names: &[String]) -> Result<Vec<ServiceRef>, AppError> {
    // Both sides are lower-cased by PostgreSQL, the same function the unique index uses, so the
    // match agrees with what the index calls "the same name".
    Ok(query_ref!(
        "from unnest($1::text[]) with ordinality as n (name, ord)
         join services s on lower(s.name) = lower(btrim(n.name)) and s.archived_at is null
         order by n.ord
         for share of s",
        names,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A live service without locking it, for read-only paths (a row lock makes the
/// transaction a writer that must flush WAL at commit).
pub async fn peek_ref(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRef>, AppError> {
    Ok(query_ref!("from services s where s.id = $1 and s.archived_at is null", id as ServiceId)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn ref_by_id(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRef>, AppError> {
    Ok(query_ref!("from services s where s.id = $1 and s.archived_at is null for share", id as ServiceId)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn live_ids(tx: &mut TenantTx, ids: &[ServiceId]) -> Result<Vec<ServiceId>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select id as "id: ServiceId" from services where id = any($1) and archived_at is null order by id"#,
        ids as &[ServiceId],
    )
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
