//! `GET /finances/dashboard`: revenue, expenses and net income of a period, revenue per day,
//! expenses per category and the best-selling services, all summed in SQL over completed
//! operations grouped by their salon-local date.
//!
//! Revenue is payments and income minus refunds; expenses are `expense` operations. Deposits,
//! withdrawals and transfers move money without earning or spending it. A reversal carries its
//! original's type with the opposite direction, so it cancels the original here too.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    clock::Ymd,
    error::AppError,
    money::Money,
    tenancy::{SalonClock, TenantTx},
};

/// A period of salon-local dates; absent ends default to the current month.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct Period {
    /// Inclusive; default the first day of this month.
    pub date_from: Option<Ymd>,
    /// Inclusive; default the last day of this month.
    pub date_to: Option<Ymd>,
}

impl Period {
    /// The inclusive range, at most 366 days long (422 otherwise).
    pub async fn resolve(&self, tx: &mut TenantTx) -> Result<(NaiveDate, NaiveDate), AppError> {
        let today = SalonClock::read(tx).await?.today();
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayAmount {
    pub date: Ymd,
    #[schema(schema_with = crate::money::total)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryAmount {
    pub category: String,
    #[schema(schema_with = crate::money::total)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopService {
    pub name: String,
    #[schema(schema_with = crate::money::total)]
    pub revenue: Money,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub date_from: Ymd,
    pub date_to: Ymd,
    #[schema(schema_with = crate::money::total)]
    pub total_revenue: Money,
    #[schema(schema_with = crate::money::total)]
    pub total_expenses: Money,
    #[schema(schema_with = crate::money::total)]
    pub net_income: Money,
    /// Every day of the period, zero included.
    pub revenue_by_day: Vec<DayAmount>,
    pub expenses_by_category: Vec<CategoryAmount>,
    /// Up to ten services by revenue: receipt lines, and paid visits without receipt lines.
    pub top_services: Vec<TopService>,
}

/// The figures of completed operations `o` dated in the period. An operation's signed revenue
/// is `case when o.type in ('payment', 'income', 'refund') then ±amount else 0 end` and its
/// signed expense `case when o.type = 'expense' then ±amount else 0 end` (`+` for the
/// direction that earns or spends); the queries below spell them out.
pub async fn compute(tx: &mut TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Dashboard, AppError> {
    let totals = sqlx::query!(
        r#"select coalesce(sum(case when o.type in ('payment', 'income', 'refund')
                                    then case o.direction when 'in' then o.amount_minor else -o.amount_minor end
                                    else 0 end), 0)::bigint as "revenue!: Money",
                  coalesce(sum(case when o.type = 'expense'
                                    then case o.direction when 'out' then o.amount_minor else -o.amount_minor end
                                    else 0 end), 0)::bigint as "expenses!: Money"
         from finance_operations o where o.status = 'completed' and o.date between $1 and $2"#,
        from,
        to,
    )
    .fetch_one(tx.conn())
    .await?;
    let (revenue, expenses) = (totals.revenue, totals.expenses);
    let revenue_by_day = sqlx::query_as!(
        DayAmount,
        r#"select d::date as "date!: Ymd",
                  coalesce(sum(case when o.type in ('payment', 'income', 'refund')
                                    then case o.direction when 'in' then o.amount_minor else -o.amount_minor end
                                    else 0 end), 0)::bigint as "amount!: Money"
         from generate_series($1::date, $2::date, interval '1 day') d
         left join finance_operations o on o.date = d::date and o.status = 'completed'
         group by d order by d"#,
        from,
        to,
    )
    .fetch_all(tx.conn())
    .await?;
    let expenses_by_category = sqlx::query_as!(
        CategoryAmount,
        r#"select coalesce(nullif(btrim(o.category), ''), 'Без категорії') as "category!",
                sum(case when o.type = 'expense'
                         then case o.direction when 'out' then o.amount_minor else -o.amount_minor end
                         else 0 end)::bigint as "amount!: Money"
         from finance_operations o
         where o.status = 'completed' and o.type = 'expense' and o.date between $1 and $2
         group by 1 having sum(case when o.type = 'expense'
                                    then case o.direction when 'out' then o.amount_minor else -o.amount_minor end
                                    else 0 end) <> 0
         order by 2 desc, 1"#,
        from,
        to,
    )
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
    Ok(sqlx::query_as!(
        TopService,
        r#"with sold as (
             select i.name, i.total_minor as revenue, i.quantity_milli as quantity
             from finance_document_items i
             join finance_receipts r on r.salon_id = i.salon_id and r.document_id = i.document_id
             join finance_documents d on d.salon_id = i.salon_id and d.id = i.document_id
             where i.kind = 'service' and r.status <> 'cancelled' and d.date between $1 and $2
             union all
             select a.service_name, o.amount_minor, 1000
             from finance_operations o
             join calendar_appointments a on a.salon_id = o.salon_id and a.id = o.appointment_id
             where o.status = 'completed' and o.date between $1 and $2 and btrim(a.service_name) <> ''
               and not exists (select 1 from finance_operations x where x.salon_id = o.salon_id and x.reversal_of = o.id)
               and not exists (select 1 from finance_receipts r
                               join finance_document_items i on i.salon_id = r.salon_id and i.document_id = r.document_id
                               where r.salon_id = o.salon_id and r.operation_id = o.id and i.kind = 'service')
         )
         select min(btrim(name)) as "name!", sum(revenue)::bigint as "revenue!: Money",
                (sum(quantity) / 1000)::bigint as "count!"
         from sold group by lower(btrim(name))
         order by 2 desc, 3 desc, 1
         limit 10"#,
        from,
        to,
    )
    .fetch_all(tx.conn())
    .await?)
}
