//! SQL of reviews. Names and phones are read at read time from the views the clients and
//! staff export (`client_contacts`, `staff_names`); see [`super`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    reviews::{Review, ReviewStatistics},
};
use crate::{
    error::{AppError, constraint_of},
    http::page::Page,
    ids::{AppointmentId, ClientId, StaffId, UserId},
    tenancy::TenantTx,
};

/// `sqlx::query_as!(Row, <columns> + $sql.., $arg..)`: reviews `rv` with their client's name
/// and phone and their member's name, then the `+`-joined `$sql` literals.
macro_rules! query_review {
    ($sql:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"select rv.id, rv.rating, rv.text, rv.created_at, rv.client_id as "client_id: ClientId",
                    rv.staff_id as "staff_id: StaffId", rv.appointment_id as "appointment_id: AppointmentId",
                    coalesce(cl.name, '') as "client_name!", coalesce(cl.phone, '') as "phone!",
                    coalesce(st.name, '') as "employee!"
             from reviews rv
             left join client_contacts cl on cl.salon_id = rv.salon_id and cl.id = rv.client_id
             left join staff_names st on st.salon_id = rv.salon_id and st.id = rv.staff_id "#
                + $sql $(+ $more)*
            $(, $arg)*
        )
    };
}

/// `sqlx::query!(<count per rating> + $sql.., $arg..)` over reviews `rv`.
macro_rules! query_counts {
    ($sql:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        sqlx::query!(r#"select rv.rating, count(*) as "count!" from reviews rv "# + $sql $(+ $more)* $(, $arg)*)
    };
}

/// `$query!(" where <filter>" + $tail, <filter> $(, $arg)*)`: `query_review!` or `query_counts!`
/// over the live reviews that pass `$f` ($1..$6); further arguments are $7 on. Created dates are
/// salon-local days turned into instants in the salon's zone.
macro_rules! filtered {
    ($query:ident! $f:expr, $tail:literal $(, $arg:expr)* $(,)?) => {
        $query!(
            "where rv.deleted_at is null
               and ($1::date is null or rv.created_at >= ($1::date::timestamp at time zone (select timezone from salon_facts)))
               and ($2::date is null or rv.created_at < (($2::date + 1)::timestamp at time zone (select timezone from salon_facts)))
               and rv.rating between $3 and $4
               and ($5::bigint is null or rv.staff_id = $5)
               and ($6::bigint is null or rv.client_id = $6)"
                + $tail,
            $f.date_from,
            $f.date_to,
            $f.low,
            $f.high,
            $f.staff_id as Option<StaffId>,
            $f.client_id as Option<ClientId>,
            $($arg,)*
        )
    };
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// Inclusive rating bounds.
    pub low: i16,
    pub high: i16,
    pub staff_id: Option<StaffId>,
    pub client_id: Option<ClientId>,
}

struct Row {
    id: i64,
    rating: i16,
    text: String,
    created_at: DateTime<Utc>,
    client_id: Option<ClientId>,
    staff_id: Option<StaffId>,
    appointment_id: Option<AppointmentId>,
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

pub async fn list(tx: &mut TenantTx, f: &Filter, w: Page) -> Result<Vec<Review>, AppError> {
    let rows = filtered!(query_review! f, " order by rv.created_at desc, rv.id desc limit $7 offset $8", w.limit, w.offset)
        .fetch_all(tx.conn())
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn statistics(tx: &mut TenantTx, f: &Filter) -> Result<ReviewStatistics, AppError> {
    let counts: Vec<(i16, i64)> = filtered!(query_counts! f, " group by rv.rating")
        .map(|r| (r.rating, r.count))
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
    let row = query_review!("where rv.id = $1 and rv.deleted_at is null", id).fetch_optional(tx.conn()).await?;
    Ok(row.map(Into::into))
}

/// A review to insert, its references already checked in this transaction.
#[derive(Debug)]
pub struct NewRow {
    pub rating: i16,
    pub text: String,
    pub client_id: Option<ClientId>,
    pub staff_id: Option<StaffId>,
    pub appointment_id: Option<AppointmentId>,
    pub created_by: UserId,
}

pub async fn insert(tx: &mut TenantTx, r: &NewRow) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "insert into reviews (rating, text, client_id, staff_id, appointment_id, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
        r.rating,
        r.text,
        r.client_id as Option<ClientId>,
        r.staff_id as Option<StaffId>,
        r.appointment_id as Option<AppointmentId>,
        r.created_by as UserId,
    )
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
