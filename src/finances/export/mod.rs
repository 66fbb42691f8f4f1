//! `GET /finances/export`: the period report as an .xlsx workbook (Ukrainian headers, real
//! dates, money as numbers with two decimals) or, with `format=pdf`, as an A4 PDF.

mod report;
mod xlsx;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    ReportsPeriod,
    common::salon_zone,
    dashboard::{self, Dashboard},
    enums::{Direction, OperationStatus, OperationType},
    operations::{model::{Operation, OperationFilter}, store as operations},
    receipts::http::pdf_response,
};
use crate::{
    auth::Can,
    clock::Ymd,
    http::{AppQuery, error::AppError},
    tenancy::TenantTx,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Xlsx,
    Pdf,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    /// Inclusive; default the first day of this month.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Inclusive; default the last day of this month.
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    /// `xlsx` (default) or `pdf`.
    #[param(value_type = Option<String>)]
    pub format: Option<Format>,
}

/// Everything a report shows.
pub struct Report {
    pub salon: String,
    pub zone: Tz,
    pub generated_at: DateTime<Utc>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub summary: Dashboard,
    pub operations: Vec<Operation>,
}

pub fn type_label(t: OperationType) -> &'static str {
    match t {
        OperationType::Payment => "Оплата",
        OperationType::Refund => "Повернення",
        OperationType::Transfer => "Переміщення",
        OperationType::Withdrawal => "Вилучення",
        OperationType::Deposit => "Внесення",
        OperationType::Income => "Дохід",
        OperationType::Expense => "Витрата",
    }
}

pub fn status_label(s: OperationStatus) -> &'static str {
    match s {
        OperationStatus::Completed => "Проведено",
        OperationStatus::Pending => "Очікує",
        OperationStatus::Cancelled => "Скасовано",
    }
}

/// The operation's amount with its sign: positive in, negative out.
pub fn signed_minor(o: &Operation) -> i64 {
    if o.direction == Direction::In { o.amount.minor() } else { -o.amount.minor() }
}

pub fn day(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

async fn load(tx: &mut TenantTx, q: &ExportQuery) -> Result<Report, AppError> {
    let period = dashboard::Period { date_from: q.date_from, date_to: q.date_to };
    let (from, to) = period.resolve(tx).await?;
    let summary = dashboard::compute(tx, from, to).await?;
    let filter = OperationFilter { date_from: Some(Ymd(from)), date_to: Some(Ymd(to)), ..Default::default() };
    let mut ops = operations::list(tx, &filter).await?;
    ops.reverse();
    let salon: String = sqlx::query_scalar("select name from salons").fetch_one(tx.conn()).await?;
    let zone = salon_zone(tx).await?;
    Ok(Report { salon, zone, generated_at: Utc::now(), from, to, summary, operations: ops })
}

/// The period's operations and totals as a file: `.xlsx` by default, PDF with `format=pdf`.
#[utoipa::path(get, path = "/finances/export", tag = "finances", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "the file",
               content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                       (Vec<u8> = "application/pdf"))),
              (status = 403), (status = 422)))]
pub async fn export_finances(
    _: Can<ReportsPeriod>,
    _slot: crate::http::limits::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let report = load(&mut tx, &q).await?;
    tx.commit().await?;
    let format = q.format.unwrap_or_default();
    let name = format!("finances-{}-{}", report.from, report.to);
    let span = tracing::Span::current();
    let bytes = tokio::task::spawn_blocking(move || {
        span.in_scope(|| match format {
            Format::Xlsx => xlsx::build(&report),
            Format::Pdf => report::build(&report),
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))??;
    Ok(match format {
        Format::Pdf => pdf_response(bytes, &format!("{name}.pdf")),
        Format::Xlsx => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\"")),
            ],
            bytes,
        )
            .into_response(),
    })
}
