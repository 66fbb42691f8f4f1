//! SQL of products. Archived products (`archived_at` set) are invisible here: every query but
//! the archive itself filters them out.

use super::{
    input::ProductValues,
    model::{DEFAULT_CATEGORIES, Product, ProductFilter, StockStatus, Unit},
    quantity::Quantity,
};
use crate::{
    catalog::contains_pattern,
    clock::Ymd,
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::ProductId,
    money::Money,
    tenancy::{Lock, TenantTx},
};

/// `query_as!` into [`Product`]: its columns from `products p`, then `$tail`. The stock status
/// is `out` at or below zero, `low` up to the minimum, else `ok`; the list filters repeat it.
macro_rules! query_product {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Product,
            r#"select p.id, p.name, p.sku, p.category, p.kind, p.quantity_milli as "quantity: Quantity",
                 p.min_quantity_milli as "min_quantity: Quantity", p.price_minor as "price: Money",
                 p.cost_price_minor as "cost_price: Money", p.unit as "unit: Unit",
                 p.package_volume_milli as "package_volume: Quantity", p.description, p.is_active,
                 (p.last_restock_at at time zone (select timezone from salon_facts))::date as "last_restock_date: Ymd",
                 (case when p.quantity_milli <= 0 then 'out'
                       when p.quantity_milli <= p.min_quantity_milli then 'low' else 'ok' end)
                   as "stock_status!: StockStatus",
                 p.created_at, p.updated_at
             from products p "# + $tail
            $(, $arg)*
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

/// Live products matching the filters, by name: the `rows` asked for.
pub async fn list(tx: &mut TenantTx, filter: &ProductFilter, rows: Rows) -> Result<Vec<Product>, AppError> {
    let a = args(filter);
    // The same filters as `count`.
    Ok(query_product!(
        "where p.archived_at is null
           and ($1::text is null or p.name ilike $1 or p.sku ilike $1)
           and ($2::text is null or p.category = $2)
           and ($3::text is null or lower(p.kind) = lower($3))
           and ($4::text is null or (case when p.quantity_milli <= 0 then 'out'
                                          when p.quantity_milli <= p.min_quantity_milli then 'low' else 'ok' end) = $4)
           and ($5::boolean is null or p.is_active = $5)
         order by lower(p.name), p.id limit $6 offset $7",
        a.search,
        a.category,
        a.kind,
        a.status,
        filter.is_active,
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// How many live products match the filters (the window aside).
pub async fn count(tx: &mut TenantTx, filter: &ProductFilter) -> Result<i64, AppError> {
    let a = args(filter);
    // The same filters as `list`.
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "count!" from products p
         where p.archived_at is null
           and ($1::text is null or p.name ilike $1 or p.sku ilike $1)
           and ($2::text is null or p.category = $2)
           and ($3::text is null or lower(p.kind) = lower($3))
           and ($4::text is null or (case when p.quantity_milli <= 0 then 'out'
                                          when p.quantity_milli <= p.min_quantity_milli then 'low' else 'ok' end) = $4)
           and ($5::boolean is null or p.is_active = $5)"#,
        a.search,
        a.category,
        a.kind,
        a.status,
        filter.is_active,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The default categories in the browser's order, then every other slug a live product uses.
pub async fn categories(tx: &mut TenantTx) -> Result<Vec<String>, AppError> {
    let used: Vec<String> =
        sqlx::query_scalar!("select distinct category from products where archived_at is null order by category")
            .fetch_all(tx.conn())
            .await?;
    let mut all: Vec<String> = DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()).collect();
    all.extend(used.into_iter().filter(|c| !DEFAULT_CATEGORIES.contains(&c.as_str())));
    Ok(all)
}

/// A live product. `Lock::ForUpdate` takes its row `for update`: stock movements lock it the same way, so
/// a change and a movement never interleave.
pub async fn find(tx: &mut TenantTx, id: ProductId, lock: Lock) -> Result<Option<Product>, AppError> {
    // Each macro call has its own row-mapping type, so each branch fetches.
    Ok(if lock == Lock::ForUpdate {
        query_product!("where p.id = $1 and p.archived_at is null for update of p", id as ProductId)
            .fetch_optional(tx.conn())
            .await?
    } else {
        query_product!("where p.id = $1 and p.archived_at is null", id as ProductId).fetch_optional(tx.conn()).await?
    })
}

/// The live product with this SKU (ignoring case), locked for update.
pub async fn find_by_sku(tx: &mut TenantTx, sku: &str) -> Result<Option<Product>, AppError> {
    Ok(query_product!("where lower(p.sku) = lower($1) and p.archived_at is null for update of p", sku)
    .fetch_optional(tx.conn())
    .await?)
}

/// Inserts a product with zero stock (the caller records the initial quantity as a movement)
/// and returns its id.
pub async fn insert(tx: &mut TenantTx, v: &ProductValues) -> Result<ProductId, AppError> {
    sqlx::query_scalar!(
        r#"insert into products (name, sku, category, kind, unit, price_minor, cost_price_minor,
                               min_quantity_milli, package_volume_milli, description, is_active)
         values ($1, $2, $3, $4, $5, coalesce($6, 0), coalesce($7, 0), coalesce($8, 0), $9,
                 coalesce($10, ''), $11)
         returning id as "id: ProductId""#,
        v.name,
        v.sku,
        v.category,
        v.kind.clone().flatten(),
        v.unit as Option<Unit>,
        v.price as Option<Money>,
        v.cost_price as Option<Money>,
        v.min_quantity as Option<Quantity>,
        v.package_volume.flatten() as Option<Quantity>,
        v.description,
        v.is_active,
    )
    .fetch_one(tx.conn())
    .await
    .map_err(sku_taken)
}

/// Applies every field of `v` but the quantity (movements own it). `false` when not found.
pub async fn update(tx: &mut TenantTx, id: ProductId, v: &ProductValues) -> Result<bool, AppError> {
    let done = sqlx::query!(
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
        id as ProductId,
        v.name,
        v.sku,
        v.category,
        v.kind.is_some(),
        v.kind.clone().flatten(),
        v.unit as Option<Unit>,
        v.price as Option<Money>,
        v.cost_price as Option<Money>,
        v.min_quantity as Option<Quantity>,
        v.package_volume.is_some(),
        v.package_volume.flatten() as Option<Quantity>,
        v.description,
        v.is_active,
    )
    .execute(tx.conn())
    .await
    .map_err(sku_taken)?;
    Ok(done.rows_affected() == 1)
}

/// Archives a product: hidden everywhere, its movements kept, its SKU free again.
pub async fn archive(tx: &mut TenantTx, id: ProductId) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update products set archived_at = now(), is_active = false, updated_at = now()
         where id = $1 and archived_at is null",
        id as ProductId,
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
