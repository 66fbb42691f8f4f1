//! SQL of products. Archived products (`archived_at` set) are invisible here: every query but
//! the archive itself filters them out.

use super::{
    input::ProductValues,
    model::{DEFAULT_CATEGORIES, Product, ProductFilter},
};
use crate::{
    catalog::contains_pattern,
    http::error::{AppError, constraint_of},
    tenancy::TenantTx,
};

/// The stock status of `p`, as SQL: `out` at or below zero, `low` up to the minimum.
macro_rules! status_expr {
    () => {
        "(case when p.quantity_milli <= 0 then 'out'
               when p.quantity_milli <= p.min_quantity_milli then 'low' else 'ok' end)"
    };
}

/// The columns of [`Product`] from `products p`, as a literal for `concat!`.
macro_rules! product_columns {
    () => {
        concat!(
            "p.id, p.name, p.sku, p.category, p.kind, p.quantity_milli as quantity,
             p.min_quantity_milli as min_quantity, p.price_minor as price, p.cost_price_minor as cost_price,
             p.unit, p.package_volume_milli as package_volume, p.description, p.is_active,
             (p.last_restock_at at time zone (select timezone from salons))::date as last_restock_date, ",
            status_expr!(),
            " as stock_status, p.created_at, p.updated_at"
        )
    };
}

/// The list filters over `products p`, binding $1..$5.
macro_rules! filter_clause {
    () => {
        concat!(
            " where p.archived_at is null
                and ($1::text is null or p.name ilike $1 or p.sku ilike $1)
                and ($2::text is null or p.category = $2)
                and ($3::text is null or lower(p.kind) = lower($3))
                and ($4::text is null or ",
            status_expr!(),
            " = $4)
                and ($5::boolean is null or p.is_active = $5)"
        )
    };
}

fn sku_taken(e: sqlx::Error) -> AppError {
    match constraint_of(&e) {
        Some("products_sku_per_salon") => AppError::conflict("sku_taken", "Товар з таким артикулом вже існує"),
        _ => e.into(),
    }
}

struct FilterArgs {
    search: Option<String>,
    category: Option<String>,
    kind: Option<String>,
    status: Option<&'static str>,
}

fn args(f: &ProductFilter) -> FilterArgs {
    FilterArgs {
        search: f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(contains_pattern),
        category: f.category(),
        kind: f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        status: f.stock_status.map(|s| s.code()),
    }
}

/// Live products matching the filters, by name, within the filter's window.
pub async fn list(tx: &mut TenantTx, filter: &ProductFilter) -> Result<Vec<Product>, AppError> {
    let a = args(filter);
    let (limit, offset) = filter.window();
    Ok(sqlx::query_as(concat!(
        "select ", product_columns!(), " from products p", filter_clause!(),
        " order by lower(p.name), p.id limit $6 offset $7"
    ))
    .bind(a.search)
    .bind(a.category)
    .bind(a.kind)
    .bind(a.status)
    .bind(filter.is_active)
    .bind(limit)
    .bind(offset)
    .fetch_all(tx.conn())
    .await?)
}

/// How many live products match the filters (the window aside).
pub async fn count(tx: &mut TenantTx, filter: &ProductFilter) -> Result<i64, AppError> {
    let a = args(filter);
    Ok(sqlx::query_scalar(concat!("select count(*) from products p", filter_clause!()))
        .bind(a.search)
        .bind(a.category)
        .bind(a.kind)
        .bind(a.status)
        .bind(filter.is_active)
        .fetch_one(tx.conn())
        .await?)
}

/// The default categories in the browser's order, then every other slug a live product uses.
pub async fn categories(tx: &mut TenantTx) -> Result<Vec<String>, AppError> {
    let used: Vec<String> =
        sqlx::query_scalar("select distinct category from products where archived_at is null order by category")
            .fetch_all(tx.conn())
            .await?;
    let mut all: Vec<String> = DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
    all.extend(used.into_iter().filter(|c| !DEFAULT_CATEGORIES.contains(&c.as_str())));
    Ok(all)
}

/// A live product. `lock` takes its row `for update`: stock movements lock it the same way, so
/// a change and a movement never interleave.
pub async fn find(tx: &mut TenantTx, id: i64, lock: bool) -> Result<Option<Product>, AppError> {
    let sql = if lock {
        concat!("select ", product_columns!(), " from products p where p.id = $1 and p.archived_at is null for update of p")
    } else {
        concat!("select ", product_columns!(), " from products p where p.id = $1 and p.archived_at is null")
    };
    Ok(sqlx::query_as(sql).bind(id).fetch_optional(tx.conn()).await?)
}

/// The live product with this SKU (ignoring case), locked for update.
pub async fn find_by_sku(tx: &mut TenantTx, sku: &str) -> Result<Option<Product>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select ", product_columns!(),
        " from products p where lower(p.sku) = lower($1) and p.archived_at is null for update of p"
    ))
    .bind(sku)
    .fetch_optional(tx.conn())
    .await?)
}

/// Inserts a product with zero stock (the caller records the initial quantity as a movement)
/// and returns its id.
pub async fn insert(tx: &mut TenantTx, v: &ProductValues) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "insert into products (name, sku, category, kind, unit, price_minor, cost_price_minor,
                               min_quantity_milli, package_volume_milli, description, is_active)
         values ($1, $2, $3, $4, $5, coalesce($6, 0), coalesce($7, 0), coalesce($8, 0), $9,
                 coalesce($10, ''), $11)
         returning id",
    )
    .bind(&v.name)
    .bind(&v.sku)
    .bind(&v.category)
    .bind(v.kind.clone().flatten())
    .bind(v.unit)
    .bind(v.price)
    .bind(v.cost_price)
    .bind(v.min_quantity)
    .bind(v.package_volume.flatten())
    .bind(&v.description)
    .bind(v.is_active)
    .fetch_one(tx.conn())
    .await
    .map_err(sku_taken)
}

/// Applies every field of `v` but the quantity (movements own it). `false` when not found.
pub async fn update(tx: &mut TenantTx, id: i64, v: &ProductValues) -> Result<bool, AppError> {
    let done = sqlx::query(
        "update products set
            name                 = coalesce($2, name),
            sku                  = coalesce($3, sku),
            category             = coalesce($4, category),
            kind                 = case when $5 then $6 else kind end,
            unit                 = coalesce($7, unit),
            price_minor          = coalesce($8, price_minor),
            cost_price_minor     = coalesce($9, cost_price_minor),
            min_quantity_milli   = coalesce($10, min_quantity_milli),
            package_volume_milli = case when $11 then $12 else package_volume_milli end,
            description          = coalesce($13, description),
            is_active            = coalesce($14, is_active),
            updated_at           = now()
         where id = $1 and archived_at is null",
    )
    .bind(id)
    .bind(&v.name)
    .bind(&v.sku)
    .bind(&v.category)
    .bind(v.kind.is_some())
    .bind(v.kind.clone().flatten())
    .bind(v.unit)
    .bind(v.price)
    .bind(v.cost_price)
    .bind(v.min_quantity)
    .bind(v.package_volume.is_some())
    .bind(v.package_volume.flatten())
    .bind(&v.description)
    .bind(v.is_active)
    .execute(tx.conn())
    .await
    .map_err(sku_taken)?;
    Ok(done.rows_affected() == 1)
}

/// Archives a product: hidden everywhere, its movements kept, its SKU free again.
pub async fn archive(tx: &mut TenantTx, id: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "update products set archived_at = now(), is_active = false, updated_at = now()
         where id = $1 and archived_at is null",
    )
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
