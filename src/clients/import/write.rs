//! Writing imported cards in batches: one multi-row statement per batch (arrays bound as
//! parameters and `unnest`ed), inside the caller's transaction.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rows::Card;
use crate::{error::AppError, tenancy::TenantTx};

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
    messages_opt_out: Vec<Option<bool>>,
}

impl Columns {
    fn of<'a>(cards: impl Iterator<Item = &'a Card>) -> Self {
        let mut c = Columns::default();
        for card in cards {
            c.first_name.push(card.first_name.clone());
            c.middle_name.push(card.middle_name.clone());
            c.last_name.push(card.last_name.clone());
            c.phone.push(card.phone.clone());
            c.email.push(card.email.clone());
            c.birth_date.push(card.birth_date);
            c.gender.push(card.gender.clone());
            c.source.push(card.source.clone());
            c.card_number.push(card.card_number.clone());
            c.discount_bp.push(card.discount_bp);
            c.bonus_minor.push(card.bonus_minor);
            c.notes.push(card.notes.clone());
            c.messages_opt_out.push(card.messages_opt_out);
        }
        c
    }
}

/// `query_scalar!($head + <the columns of `$c` unnested as `u`> + $tail)`, the arrays bound as
/// `$1`..`$13` (element nullability is not checked at compile time, hence the casts).
macro_rules! query_unnested {
    ($head:literal, $tail:literal, $c:expr) => {
        sqlx::query_scalar!(
            $head
                + "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[],
                          $8::text[], $9::text[], $10::int[], $11::bigint[], $12::text[], $13::bool[])
                       as u (first_name, middle_name, last_name, phone, email, birth_date, gender, source,
                             card_number, discount_bp, bonus_minor, notes, messages_opt_out) "
                + $tail,
            $c.first_name.as_slice(),
            &$c.middle_name as &[Option<String>],
            &$c.last_name as &[Option<String>],
            $c.phone.as_slice(),
            &$c.email as &[Option<String>],
            &$c.birth_date as &[Option<NaiveDate>],
            &$c.gender as &[Option<String>],
            &$c.source as &[Option<String>],
            &$c.card_number as &[Option<String>],
            &$c.discount_bp as &[Option<i32>],
            &$c.bonus_minor as &[Option<i64>],
            &$c.notes as &[Option<String>],
            &$c.messages_opt_out as &[Option<bool>],
        )
    };
}

/// Writes one batch of cards (phones distinct within the import). Every card is offered for
/// insertion and the salon's unique phone index decides which phones exist already (an index
/// probe per row, whatever the table's statistics say); those follow `policy`.
pub async fn batch(tx: &mut TenantTx, cards: &[Card], policy: OnDuplicate) -> Result<Counts, AppError> {
    let all = Columns::of(cards.iter());
    let inserted: Vec<String> = query_unnested!(
        "insert into clients (first_name, middle_name, last_name, phone, email, birth_date, gender,
                              source, card_number, discount_bp, bonus_balance_minor, notes, messages_opt_out)
         select first_name, coalesce(middle_name, ''), coalesce(last_name, ''), phone, email, birth_date,
                gender, source, card_number, coalesce(discount_bp, 0), coalesce(bonus_minor, 0),
                coalesce(notes, ''), coalesce(messages_opt_out, false)
         from ",
        r#"on conflict (salon_id, phone) where deleted_at is null do nothing
         returning phone as "phone!""#,
        all
    )
    .fetch_all(tx.conn())
    .await?;
    let mut counts = Counts { imported: inserted.len(), ..Counts::default() };
    let existing = cards.len() - inserted.len();
    if existing == 0 {
        return Ok(counts);
    }
    if policy == OnDuplicate::Skip {
        counts.skipped = existing;
        return Ok(counts);
    }
    let inserted: HashSet<&str> = inserted.iter().map(String::as_str).collect();
    let known = Columns::of(cards.iter().filter(|c| !inserted.contains(c.phone.as_str())));
    let updated: i64 = query_unnested!(
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
                 messages_opt_out    = coalesce(u.messages_opt_out, c.messages_opt_out),
                 updated_at          = now()
             from ",
        r#"where c.phone = u.phone and c.deleted_at is null
             returning 1
         )
         select count(*) as "count!" from upd"#,
        known
    )
    .fetch_one(tx.conn())
    .await?;
    counts.updated = updated as usize;
    // A client deleted by a concurrent change between the two statements.
    counts.skipped = existing - counts.updated;
    Ok(counts)
}
