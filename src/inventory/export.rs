//! `GET /inventory/export`: the product list as an .xlsx sheet (needs
//! `inventory.movements.export`).
//!
//! Headers are Ukrainian; quantities and money are number cells; units, default categories and
//! stock statuses are written as Ukrainian labels, which the import reads back.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    columns::{Column, category_label},
    http::{COST_VIEW, InventoryExport},
    model::{Product, ProductFilter, StockStatus},
    store,
};
use crate::{auth::Can, http::{AppQuery, error::AppError}, money::Money, tenancy::TenantTx, text};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Column groups (contract §3.8) and the list's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    /// Name, SKU, category, type. Default true.
    pub include_basic_info: Option<bool>,
    /// Quantity, unit, minimum, status. Default true.
    pub include_stock_info: Option<bool>,
    /// Cost price, price, total value at cost (cost columns only with `inventory.cost.view`).
    /// Default true.
    pub include_financial_info: Option<bool>,
    /// Default false.
    pub include_description: Option<bool>,
    /// A category slug, or `all`.
    pub category: Option<String>,
    pub search: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    #[param(value_type = Option<String>)]
    pub stock_status: Option<StockStatus>,
    pub is_active: Option<bool>,
}

impl ExportQuery {
    fn columns(&self, cost_visible: bool) -> Vec<Column> {
        let mut columns = Vec::new();
        if self.include_basic_info.unwrap_or(true) {
            columns.extend([Column::Name, Column::Sku, Column::Category, Column::Kind]);
        }
        if self.include_stock_info.unwrap_or(true) {
            columns.extend([Column::Quantity, Column::Unit, Column::MinQuantity, Column::Status]);
        }
        if self.include_financial_info.unwrap_or(true) {
            if cost_visible {
                columns.push(Column::CostPrice);
            }
            columns.push(Column::Price);
            if cost_visible {
                columns.push(Column::TotalValue);
            }
        }
        if self.include_description.unwrap_or(false) {
            columns.push(Column::Description);
        }
        columns
    }

    fn filter(&self) -> ProductFilter {
        ProductFilter {
            search: self.search.clone(),
            category: self.category.clone(),
            kind: self.kind.clone(),
            stock_status: self.stock_status,
            is_active: self.is_active,
            ..ProductFilter::default()
        }
    }
}

/// The products matching the filters as `inventory.xlsx`.
#[utoipa::path(get, path = "/inventory/export", tag = "inventory", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "the .xlsx file", content_type = XLSX), (status = 403), (status = 422)))]
pub async fn export_products(
    Can(user, ..): Can<InventoryExport>,
    _slot: crate::http::limits::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let products = store::list(&mut tx, &q.filter()).await?;
    tx.commit().await?;
    let columns = q.columns(user.may(COST_VIEW));
    let span = tracing::Span::current();
    let bytes = tokio::task::spawn_blocking(move || span.in_scope(|| workbook(&columns, &products)))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(XLSX)),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"inventory.xlsx\"")),
    ];
    Ok((headers, bytes).into_response())
}

/// Stock value at cost, rounded to the kopiyka.
fn total_value(p: &Product) -> Money {
    let exact = i128::from(p.quantity.milli()) * i128::from(p.cost_price.minor());
    let rounded = (exact + exact.signum() * 500) / 1000;
    Money(i64::try_from(rounded).unwrap_or(i64::MAX))
}

fn money(m: Money) -> f64 {
    m.minor() as f64 / 100.0
}

fn workbook(columns: &[Column], products: &[Product]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let hryvnias = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("Товари")?;
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, column.header(), &bold)?;
        let width = match column {
            Column::Name | Column::Description => 36.0,
            Column::Category | Column::MinQuantity | Column::TotalValue => 20.0,
            _ => 14.0,
        };
        sheet.set_column_width(c, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (r, p) in products.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, column) in columns.iter().enumerate() {
            let c = c as u16;
            match column {
                Column::Name => sheet.write_string(r, c, text::for_cell(&p.name)),
                Column::Sku => sheet.write_string(r, c, &p.sku),
                Column::Category => sheet.write_string(r, c, category_label(&p.category)),
                Column::Kind => sheet.write_string(r, c, p.kind.as_deref().unwrap_or("")),
                Column::Quantity => sheet.write_number(r, c, p.quantity.to_f64()),
                Column::Unit => sheet.write_string(r, c, p.unit.label()),
                Column::MinQuantity => sheet.write_number(r, c, p.min_quantity.to_f64()),
                Column::Status => sheet.write_string(r, c, p.stock_status.label()),
                Column::CostPrice => sheet.write_number_with_format(r, c, money(p.cost_price), &hryvnias),
                Column::Price => sheet.write_number_with_format(r, c, money(p.price), &hryvnias),
                Column::TotalValue => sheet.write_number_with_format(r, c, money(total_value(p)), &hryvnias),
                Column::PackageVolume => match p.package_volume {
                    Some(v) => sheet.write_number(r, c, v.to_f64()),
                    None => continue,
                },
                Column::Description => sheet.write_string(r, c, text::for_cell(&p.description)),
            }?;
        }
    }
    book.save_to_buffer()
}
