//! SQL of reviews. Names and phones are read from clients and staff at read time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    Window,
    reviews::{Review, ReviewStatistics},
};
use crate::{
    http::error::{AppError, constraint_of},
    tenancy::TenantTx,
};

macro_rules! columns {
    () => {
        "select rv.id, rv.rating, rv.text, rv.created_at, rv.client_id, rv.staff_id, rv.appointment_id,
                coalesce(cl.name, '') as client_name, coalesce(cl.phone, '') as phone,
                coalesce(btrim(st.first_name || ' ' || st.last_name), '') as employee
         from reviews rv
         left join clients cl on cl.salon_id = rv.salon_id and cl.id = rv.client_id
         left join staff st on st.salon_id = rv.salon_id and st.id = rv.staff_id "
    };
}

/// Created dates are salon-local days turned into instants in the salon's zone.
macro_rules! filters {
    () => {
        " where rv.deleted_at is null
            and ($1::date is null or rv.created_at >= ($1::date::timestamp at time zone (select timezone from salons)))
            and ($2::date is null or rv.created_at < (($2::date + 1)::timestamp at time zone (select timezone from salons)))
            and rv.rating between $3 and $4
            and ($5::bigint is null or rv.staff_id = $5)
            and ($6::bigint is null or rv.client_id = $6)"
    };
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// Inclusive rating bounds.
    pub low: i16,
    pub high: i16,
    pub staff_id: Option<i64>,
    pub client_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    rating: i16,
    text: String,
    created_at: DateTime<Utc>,
    client_id: Option<i64>,
    staff_id: Option<i64>,
    appointment_id: Option<i64>,
    client_name: String,
    phone: String,
    employee: String,
}

impl From<Row> for Review {
    fn from(r: Row) -> Self {
        Review {
            id: r.id,
            author: r.client_name.clone(),
            client_name: r.client_name,
            employee: r.employee,
            rating: r.rating,
            phone: r.phone,
            date: r.created_at,
            comment: r.text.clone(),
            text: r.text,
            client_id: r.client_id,
            staff_id: r.staff_id,
            appointment_id: r.appointment_id,
        }
    }
}

pub async fn list(tx: &mut TenantTx, f: &Filter, w: Window) -> Result<Vec<Review>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        columns!(),
        filters!(),
        " order by rv.created_at desc, rv.id desc limit $7 offset $8"
    ))
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.low)
    .bind(f.high)
    .bind(f.staff_id)
    .bind(f.client_id)
    .bind(w.limit)
    .bind(w.offset)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn statistics(tx: &mut TenantTx, f: &Filter) -> Result<ReviewStatistics, AppError> {
    let counts: Vec<(i16, i64)> = sqlx::query_as(concat!(
        "select rv.rating, count(*) from reviews rv",
        filters!(),
        " group by rv.rating"
    ))
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.low)
    .bind(f.high)
    .bind(f.staff_id)
    .bind(f.client_id)
    .fetch_all(tx.conn())
    .await?;
    Ok(summarise(&counts))
}

/// Statistics from the count of each rating.
fn summarise(counts: &[(i16, i64)]) -> ReviewStatistics {
    let mut distribution: BTreeMap<String, i64> = (1..=5).map(|r| (r.to_string(), 0)).collect();
    let (mut total, mut sum) = (0i64, 0i64);
    for &(rating, n) in counts {
        distribution.insert(rating.to_string(), n);
        total += n;
        sum += i64::from(rating) * n;
    }
    // Two decimals, rounded half up, computed in integers.
    let average_rating = if total == 0 {
        0.0
    } else {
        ((sum * 200 + total) / (2 * total)) as f64 / 100.0
    };
    ReviewStatistics {
        average_rating,
        total_reviews: total,
        rating_distribution: distribution,
    }
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Review>, AppError> {
    let row: Option<Row> = sqlx::query_as(concat!(
        columns!(),
        " where rv.id = $1 and rv.deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Into::into))
}

/// A review to insert, its references already checked in this transaction.
#[derive(Debug)]
pub struct NewRow {
    pub rating: i16,
    pub text: String,
    pub client_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub created_by: i64,
}

pub async fn insert(tx: &mut TenantTx, r: &NewRow) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "insert into reviews (rating, text, client_id, staff_id, appointment_id, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(r.rating)
    .bind(&r.text)
    .bind(r.client_id)
    .bind(r.staff_id)
    .bind(r.appointment_id)
    .bind(r.created_by)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        // The composite keys are the last word if a row vanished since the checks.
        Some("reviews_salon_id_client_id_fkey") => {
            AppError::field("clientId", "Клієнта не знайдено")
        }
        Some("reviews_salon_id_staff_id_fkey") => {
            AppError::field("staffId", "Співробітника не знайдено")
        }
        Some("reviews_salon_id_appointment_id_fkey") => {
            AppError::field("appointmentId", "Запис не знайдено")
        }
        _ => e.into(),
    })
}

/// The client and staff member of a live appointment of this salon; `None` when there is none.
pub async fn appointment_people(
    tx: &mut TenantTx,
    id: i64,
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "select client_id, staff_id from appointments where id = $1 and deleted_at is null",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn client_exists(tx: &mut TenantTx, id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from clients where id = $1 and deleted_at is null)",
    )
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn staff_exists(tx: &mut TenantTx, id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from staff where id = $1 and deleted_at is null)",
    )
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_round_to_two_decimals() {
        let s = summarise(&[(5, 2), (4, 1)]);
        assert_eq!((s.average_rating, s.total_reviews), (4.67, 3));
        assert_eq!(s.rating_distribution["5"], 2);
        assert_eq!(s.rating_distribution["1"], 0);
        assert_eq!(summarise(&[]).average_rating, 0.0);
    }
}
