//! Handlers of `/inventory/products` and `/inventory/categories`.
//!
//! Reads need `inventory`; creating, editing and deleting products need
//! `inventory.management`. Users without `inventory.cost.view` see `costPrice` as 0 and cannot
//! change it.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
};
use serde::Serialize;

use super::{
    input::{NewProduct, ProductChanges},
    model::{Product, ProductFilter},
    products, stock, store,
};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp, CurrentUser},
    http::{AppJson, AppPath, AppQuery, error::AppError},
    permission,
    tenancy::TenantTx,
};

permission!(InventoryView = "inventory");
permission!(InventoryManage = "inventory.management");
permission!(StockCreate = "inventory.transactions.create");
permission!(MovementsView = "inventory.movements.view");
permission!(InventoryExport = "inventory.movements.export");

/// The permission that reveals cost prices.
pub const COST_VIEW: &str = "inventory.cost.view";

pub(super) fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// The product as `user` may see it.
pub(super) fn shown(user: &CurrentUser, p: Product) -> Product {
    if user.may(COST_VIEW) { p } else { p.without_cost() }
}

pub(super) fn total_header(total: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    headers
}

/// Live products matching the filters, by name: every match unless `limit` is given (the total
/// is in `X-Total-Count`).
#[utoipa::path(get, path = "/inventory/products", tag = "inventory", security(("bearer" = [])),
    params(ProductFilter),
    responses((status = 200, body = [Product], headers(("X-Total-Count" = i64, description = "matches before paging"))),
              (status = 403), (status = 422)))]
pub async fn list_products(
    Can(user, ..): Can<InventoryView>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<ProductFilter>,
) -> Result<(HeaderMap, Json<Vec<Product>>), AppError> {
    let list = store::list(&mut tx, &filter).await?;
    let total = store::count(&mut tx, &filter).await?;
    tx.commit().await?;
    let list = list.into_iter().map(|p| shown(&user, p)).collect();
    Ok((total_header(total), Json(list)))
}

/// The browser's five default categories in its order, then every other slug a live product
/// uses (categories are managed in the browser; contract open point 21).
#[utoipa::path(get, path = "/inventory/categories", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, body = [String]), (status = 403)))]
pub async fn list_categories(_: Can<InventoryView>, mut tx: TenantTx) -> Result<Json<Vec<String>>, AppError> {
    let categories = store::categories(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(categories))
}

#[utoipa::path(get, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Product), (status = 403), (status = 404)))]
pub async fn get_product(
    Can(user, ..): Can<InventoryView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Product>, AppError> {
    let product = store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(shown(&user, product)))
}

/// Adds a product. A positive `quantity` is recorded as an `in` movement ("Початковий
/// залишок"). SKUs are unique among live products, ignoring case (409 `sku_taken`).
#[utoipa::path(post, path = "/inventory/products", tag = "inventory", security(("bearer" = [])),
    request_body = NewProduct,
    responses((status = 201, body = Product), (status = 403), (status = 409, description = "SKU taken"),
              (status = 422)))]
pub async fn create_product(
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    let values = input.validate()?;
    let product = products::create(&mut tx, &values, user.id, "Початковий залишок").await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(product.id), action: "created",
        before: None, after: Some(json(&product)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(shown(&user, product))))
}

/// Changes the keys present in the body; the answer is the whole product. A `quantity` that
/// differs from the stock is recorded as an `adjustment` movement (it may raise the low-stock
/// alert). `costPrice` is ignored for users without `inventory.cost.view`.
#[utoipa::path(put, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    request_body = ProductChanges, params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 403), (status = 404),
              (status = 409, description = "SKU taken"), (status = 422)))]
pub async fn update_product(
    State(state): State<AppState>,
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<ProductChanges>,
) -> Result<Json<Product>, AppError> {
    let mut values = changes.validate()?;
    if !user.may(COST_VIEW) {
        values.cost_price = None;
    }
    let edited = products::update(&mut tx, id, &values, user.id, "Зміна кількості в картці товару")
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(id), action: "updated",
        before: Some(json(&edited.before)?), after: Some(json(&edited.after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    if let Some(low) = &edited.low_stock {
        stock::announce(&state, user.salon, low).await;
    }
    Ok(Json(shown(&user, edited.after)))
}

/// Archives a product: it disappears from lists, its SKU is free again, its movements stay.
#[utoipa::path(delete, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_product(
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let before = store::find(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    if !store::archive(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(id), action: "deleted",
        before: Some(json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
