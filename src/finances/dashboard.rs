//! `GET /finances/dashboard`: revenue, expenses and net income of a period, revenue per day,
//! expenses per category and the best-selling services, all summed in SQL over completed
//! operations grouped by their salon-local date.
//!
//! Revenue is payments and income minus refunds; expenses are `expense` operations. Deposits,
//! withdrawals and transfers move money without earning or spending it. A reversal carries its
//! original's type with the opposite direction, so it cancels the original here too.

use axum::Json;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    MovementsView,
    common::{local_today, salon_zone},
};
use crate::{auth::Can, clock::Ymd, http::{AppQuery, error::AppError}, money::Money, tenancy::TenantTx};

/// A period of salon-local dates; absent ends default to the current month.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct Period {
    /// Inclusive; default the first day of this month.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Inclusive; default the last day of this month.
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
}

impl Period {
    /// The inclusive range, at most 366 days long (422 otherwise).
    pub async fn resolve(&self, tx: &mut TenantTx) -> Result<(NaiveDate, NaiveDate), AppError> {
        let today = local_today(salon_zone(tx).await?, Utc::now());
        let first = today.with_day(1).unwrap_or(today);
        let next_month = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        };
        let last = next_month.map(|d| d - Duration::days(1)).unwrap_or(today);
        let from = self.date_from.map(|d| d.0).unwrap_or(first);
        let to = self.date_to.map(|d| d.0).unwrap_or(last);
        if from > to {
            return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
        }
        if (to - from).num_days() > 366 {
            return Err(AppError::field("dateTo", "Період — не довше за рік"));
        }
        Ok((from, to))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DayAmount {
    pub date: Ymd,
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CategoryAmount {
    pub category: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct TopService {
    pub name: String,
    pub revenue: Money,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub date_from: Ymd,
    pub date_to: Ymd,
    pub total_revenue: Money,
    pub total_expenses: Money,
    pub net_income: Money,
    /// Every day of the period, zero included.
    pub revenue_by_day: Vec<DayAmount>,
    pub expenses_by_category: Vec<CategoryAmount>,
    /// Up to ten services by revenue: receipt lines, and paid visits without receipt lines.
    pub top_services: Vec<TopService>,
}

/// Signed revenue of an operation row `o` (0 for types that are not revenue).
macro_rules! revenue {
    () => {
        "case when o.type in ('payment', 'income', 'refund')
              then case o.direction when 'in' then o.amount_minor else -o.amount_minor end else 0 end"
    };
}

/// Signed expense of an operation row `o`.
macro_rules! expense {
    () => {
        "case when o.type = 'expense' then case o.direction when 'out' then o.amount_minor else -o.amount_minor end
              else 0 end"
    };
}

pub async fn compute(tx: &mut TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Dashboard, AppError> {
    let (revenue, expenses): (Money, Money) = sqlx::query_as(concat!(
        "select coalesce(sum(", revenue!(), "), 0)::bigint, coalesce(sum(", expense!(), "), 0)::bigint
         from finance_operations o where o.status = 'completed' and o.date between $1 and $2"
    ))
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await?;
    let revenue_by_day: Vec<DayAmount> = sqlx::query_as(concat!(
        "select d::date as date, coalesce(sum(", revenue!(), "), 0)::bigint as amount
         from generate_series($1::date, $2::date, interval '1 day') d
         left join finance_operations o on o.date = d::date and o.status = 'completed'
         group by d order by d"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?;
    let expenses_by_category: Vec<CategoryAmount> = sqlx::query_as(concat!(
        "select coalesce(nullif(btrim(o.category), ''), 'Без категорії') as category,
                sum(", expense!(), ")::bigint as amount
         from finance_operations o
         where o.status = 'completed' and o.type = 'expense' and o.date between $1 and $2
         group by 1 having sum(", expense!(), ") <> 0
         order by amount desc, category"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?;
    let top_services = top_services(tx, from, to).await?;
    Ok(Dashboard {
        date_from: Ymd(from),
        date_to: Ymd(to),
        total_revenue: revenue,
        total_expenses: expenses,
        net_income: Money(revenue.minor() - expenses.minor()),
        revenue_by_day,
        expenses_by_category,
        top_services,
    })
}

/// Services by revenue: service lines of live receipts, plus paid visits (not reversed) whose
/// receipt has no service lines, named by the appointment's service text.
async fn top_services(tx: &mut TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Vec<TopService>, AppError> {
    Ok(sqlx::query_as(
        "with sold as (
             select i.name, i.total_minor as revenue, i.quantity_milli as quantity
             from finance_document_items i
             join finance_receipts r on r.salon_id = i.salon_id and r.document_id = i.document_id
             join finance_documents d on d.salon_id = i.salon_id and d.id = i.document_id
             where i.kind = 'service' and r.status <> 'cancelled' and d.date between $1 and $2
             union all
             select a.service_name, o.amount_minor, 1000
             from finance_operations o
             join appointments a on a.salon_id = o.salon_id and a.id = o.appointment_id
             where o.status = 'completed' and o.date between $1 and $2 and btrim(a.service_name) <> ''
               and not exists (select 1 from finance_operations x where x.salon_id = o.salon_id and x.reversal_of = o.id)
               and not exists (select 1 from finance_receipts r
                               join finance_document_items i on i.salon_id = r.salon_id and i.document_id = r.document_id
                               where r.salon_id = o.salon_id and r.operation_id = o.id and i.kind = 'service')
         )
         select min(btrim(name)) as name, sum(revenue)::bigint as revenue, (sum(quantity) / 1000)::bigint as count
         from sold group by lower(btrim(name))
         order by revenue desc, count desc, name
         limit 10",
    )
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?)
}

/// The period's figures (default: this month, salon time).
#[utoipa::path(get, path = "/finances/dashboard", tag = "finances", security(("bearer" = [])),
    params(Period), responses((status = 200, body = Dashboard), (status = 403), (status = 422)))]
pub async fn get_dashboard(
    _: Can<MovementsView>,
    mut tx: TenantTx,
    AppQuery(period): AppQuery<Period>,
) -> Result<Json<Dashboard>, AppError> {
    let (from, to) = period.resolve(&mut tx).await?;
    let dashboard = compute(&mut tx, from, to).await?;
    tx.commit().await?;
    Ok(Json(dashboard))
}
