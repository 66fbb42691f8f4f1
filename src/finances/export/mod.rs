//! `GET /finances/export`: the period report as an .xlsx workbook (Ukrainian headers, real
//! dates, money as numbers with two decimals) or, with `format=pdf`, as an A4 PDF.

mod report;
mod xlsx;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    dashboard::{self, Dashboard},
    enums::{Direction, OperationStatus, OperationType},
    operations::{model::{Operation, OperationFilter}, store as operations},
};
use crate::{
    clock::Ymd,
    error::AppError,
    http::page::Rows,
    tenancy::{SalonClock, TenantTx},
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
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
    pub date_from: Option<Ymd>,
    /// Inclusive; default the last day of this month.
    pub date_to: Option<Ymd>,
    /// `xlsx` (default) or `pdf`.
    #[param(inline)]
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

/// The report of the period `q` asks for.
pub(super) async fn load(tx: &mut TenantTx, q: &ExportQuery) -> Result<Report, AppError> {
    let period = dashboard::Period { date_from: q.date_from, date_to: q.date_to };
    let (from, to) = period.resolve(tx).await?;
    let summary = dashboard::compute(tx, from, to).await?;
    let filter = OperationFilter { date_from: Some(Ymd(from)), date_to: Some(Ymd(to)), ..Default::default() };
    let mut ops = operations::list(tx, &filter, Rows::ALL).await?;
    ops.reverse();
    let salon = crate::tenancy::salon::name(tx).await?;
    let clock = SalonClock::read(tx).await?;
    Ok(Report { salon, zone: clock.zone(), generated_at: clock.now(), from, to, summary, operations: ops })
}

/// The report as a file of `format`, built on the blocking pool.
pub(super) async fn build(format: Format, report: Report) -> Result<Vec<u8>, AppError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        span.in_scope(|| match format {
            Format::Xlsx => xlsx::build(&report),
            Format::Pdf => report::build(&report),
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(AppError::Internal)
}
