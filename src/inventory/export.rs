//! `GET /inventory/export`: the product list as an .xlsx sheet (needs
//! `inventory.movements.export`).
//!
//! Headers are Ukrainian; quantities and money are number cells; units, default categories and
//! stock statuses are written as Ukrainian labels, which the import reads back.

use rust_xlsxwriter::{Workbook, XlsxError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    columns::{Column, category_label},
    model::{Product, ProductFilter, StockStatus},
};
use crate::{
    error::AppError,
    money::Money,
    xlsx::{self, Cells, Formats},
};

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
    pub stock_status: Option<StockStatus>,
    pub is_active: Option<bool>,
}

impl ExportQuery {
    pub(super) fn columns(&self, cost_visible: bool) -> Vec<Column> {
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

    pub(super) fn filter(&self) -> ProductFilter {
        ProductFilter {
            search: self.search.clone(),
            category: self.category.clone(),
            kind: self.kind.clone(),
            stock_status: self.stock_status,
            is_active: self.is_active,
        }
    }
}

/// The workbook of `products` with `columns`, built on the blocking pool.
pub(super) async fn workbook_off_thread(columns: Vec<Column>, products: Vec<Product>) -> Result<Vec<u8>, AppError> {
    let span = tracing::Span::current();
    let bytes = tokio::task::spawn_blocking(move || span.in_scope(|| workbook(&columns, &products)))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
    Ok(bytes)
}

/// Stock value at cost, rounded to the kopiyka.
fn total_value(p: &Product) -> Money {
    let exact = i128::from(p.quantity.milli()) * i128::from(p.cost_price.minor());
    let rounded = (exact + exact.signum() * 500) / 1000;
    Money(i64::try_from(rounded).unwrap_or(i64::MAX))
}

fn workbook(columns: &[Column], products: &[Product]) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::default();
    let headers: Vec<(&str, f64)> = columns.iter().map(|c| (c.header(), width(c))).collect();
    let mut sheet = xlsx::sheet("Товари", &headers, &f)?;
    for (r, p) in products.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, column) in columns.iter().enumerate() {
            let c = c as u16;
            match column {
                Column::Name => sheet.text(r, c, &p.name),
                Column::Sku => sheet.text(r, c, &p.sku),
                Column::Category => sheet.text(r, c, category_label(&p.category)),
                Column::Kind => sheet.text(r, c, p.kind.as_deref().unwrap_or("")),
                Column::Quantity => sheet.write_number(r, c, p.quantity.to_f64()),
                Column::Unit => sheet.text(r, c, p.unit.label()),
                Column::MinQuantity => sheet.write_number(r, c, p.min_quantity.to_f64()),
                Column::Status => sheet.text(r, c, p.stock_status.label()),
                Column::CostPrice => sheet.money(r, c, p.cost_price, &f),
                Column::Price => sheet.money(r, c, p.price, &f),
                Column::TotalValue => sheet.money(r, c, total_value(p), &f),
                Column::PackageVolume => match p.package_volume {
                    Some(v) => sheet.write_number(r, c, v.to_f64()),
                    None => continue,
                },
                Column::Description => sheet.text(r, c, &p.description),
            }?;
        }
    }
    let mut book = Workbook::new();
    book.push_worksheet(sheet);
    book.save_to_buffer()
}

fn width(column: &Column) -> f64 {
    match column {
        Column::Name | Column::Description => 36.0,
        Column::Category | Column::MinQuantity | Column::TotalValue => 20.0,
        _ => 14.0,
    }
}
