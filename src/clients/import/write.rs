//! Writing imported cards in batches: one multi-row statement per batch (arrays bound as
//! parameters and `unnest`ed), inside the caller's transaction.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rows::Card;
use crate::{http::error::AppError, tenancy::TenantTx};

/// What to do with a row whose phone belongs to a live client of the salon already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Leave the existing client as it is; the row counts as `skipped`.
    #[default]
    Skip,
    /// Fill the existing client with the row's non-empty cells; the row counts as `updated`.
    Update,
}

impl OnDuplicate {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Skip => "skip",
            OnDuplicate::Update => "update",
        }
    }
}

/// Counts of one batch or of a whole import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub imported: usize,
    pub updated: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.imported += o.imported;
        self.updated += o.updated;
        self.skipped += o.skipped;
    }
}

/// The cards' columns as arrays, in the order of the `unnest` below.
#[derive(Default)]
struct Columns {
    id: Vec<i64>,
    first_name: Vec<String>,
    middle_name: Vec<Option<String>>,
    last_name: Vec<Option<String>>,
    phone: Vec<String>,
    email: Vec<Option<String>>,
    birth_date: Vec<Option<NaiveDate>>,
    gender: Vec<Option<String>>,
    source: Vec<Option<String>>,
    card_number: Vec<Option<String>>,
    discount_bp: Vec<Option<i32>>,
    bonus_minor: Vec<Option<i64>>,
    notes: Vec<Option<String>>,
}

impl Columns {
    fn push(&mut self, id: i64, c: &Card) {
        self.id.push(id);
        self.first_name.push(c.first_name.clone());
        self.middle_name.push(c.middle_name.clone());
        self.last_name.push(c.last_name.clone());
        self.phone.push(c.phone.clone());
        self.email.push(c.email.clone());
        self.birth_date.push(c.birth_date);
        self.gender.push(c.gender.clone());
        self.source.push(c.source.clone());
        self.card_number.push(c.card_number.clone());
        self.discount_bp.push(c.discount_bp);
        self.bonus_minor.push(c.bonus_minor);
        self.notes.push(c.notes.clone());
    }
}

/// `$1`..`$13` of both statements: the columns as arrays.
macro_rules! unnest_columns {
    () => {
        "unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],
                $8::text[], $9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[])
             as u (id, first_name, middle_name, last_name, phone, email, birth_date, gender, source,
                   card_number, discount_bp, bonus_minor, notes)"
    };
}

fn bind_columns<'q, O>(
    q: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    c: &'q Columns,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    q.bind(&c.id)
        .bind(&c.first_name)
        .bind(&c.middle_name)
        .bind(&c.last_name)
        .bind(&c.phone)
        .bind(&c.email)
        .bind(&c.birth_date)
        .bind(&c.gender)
        .bind(&c.source)
        .bind(&c.card_number)
        .bind(&c.discount_bp)
        .bind(&c.bonus_minor)
        .bind(&c.notes)
}

/// Writes one batch of cards (phones distinct within the import). New phones are inserted;
/// phones of live clients follow `policy`. A phone taken by a concurrent change between the
/// lookup and the insert is counted as skipped.
pub async fn batch(tx: &mut TenantTx, cards: &[Card], policy: OnDuplicate) -> Result<Counts, AppError> {
    let phones: Vec<&str> = cards.iter().map(|c| c.phone.as_str()).collect();
    let existing: HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("select phone, id from clients where deleted_at is null and phone = any($1)")
            .bind(&phones)
            .fetch_all(tx.conn())
            .await?
            .into_iter()
            .collect();
    let (mut fresh, mut known) = (Columns::default(), Columns::default());
    for card in cards {
        match existing.get(&card.phone) {
            Some(id) => known.push(*id, card),
            None => fresh.push(0, card),
        }
    }
    let mut counts = Counts::default();
    if !fresh.id.is_empty() {
        let inserted: i64 = bind_columns(
            sqlx::query_scalar(concat!(
                "with ins as (
                     insert into clients (first_name, middle_name, last_name, phone, email, birth_date, gender,
                                          source, card_number, discount_bp, bonus_balance_minor, notes)
                     select first_name, coalesce(middle_name, ''), coalesce(last_name, ''), phone, email, birth_date,
                            gender, source, card_number, coalesce(discount_bp, 0), coalesce(bonus_minor, 0),
                            coalesce(notes, '')
                     from ", unnest_columns!(), "
                     on conflict (salon_id, phone) where deleted_at is null do nothing
                     returning 1
                 )
                 select count(*) from ins"
            )),
            &fresh,
        )
        .fetch_one(tx.conn())
        .await?;
        counts.imported = inserted as usize;
        counts.skipped += fresh.id.len() - inserted as usize;
    }
    if known.id.is_empty() {
        return Ok(counts);
    }
    if policy == OnDuplicate::Skip {
        counts.skipped += known.id.len();
        return Ok(counts);
    }
    let updated: i64 = bind_columns(
        sqlx::query_scalar(concat!(
            "with upd as (
                 update clients c set
                     first_name          = u.first_name,
                     middle_name         = coalesce(u.middle_name, c.middle_name),
                     last_name           = coalesce(u.last_name, c.last_name),
                     email               = coalesce(u.email, c.email),
                     birth_date          = coalesce(u.birth_date, c.birth_date),
                     gender              = coalesce(u.gender, c.gender),
                     source              = coalesce(u.source, c.source),
                     card_number         = coalesce(u.card_number, c.card_number),
                     discount_bp         = coalesce(u.discount_bp, c.discount_bp),
                     bonus_balance_minor = coalesce(u.bonus_minor, c.bonus_balance_minor),
                     notes               = coalesce(u.notes, c.notes),
                     updated_at          = now()
                 from ", unnest_columns!(), "
                 where c.id = u.id and c.deleted_at is null
                 returning 1
             )
             select count(*) from upd"
        )),
        &known,
    )
    .fetch_one(tx.conn())
    .await?;
    counts.updated = updated as usize;
    counts.skipped += known.id.len() - updated as usize;
    Ok(counts)
}
