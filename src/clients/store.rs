//! SQL of client cards. Every function runs inside a [`TenantTx`]; soft-deleted clients
//! (`deleted_at` set) are invisible unless a function says otherwise.

use sqlx::Acquire;

use super::{
    Deleted,
    input::ClientValues,
    model::{Category, Client, ClientFilter, ClientStatistics, Gender, Percent, Segment, SortBy, SortOrder},
};
use crate::{
    catalog::contains_pattern,
    clock::Ymd,
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::{ClientId, UserId},
    money::Money,
    tenancy::{Lock, TenantTx},
};

/// `query_as!` into [`Client`]: `$head` (`select`), the columns of [`Client`] over
/// `clients c join salon_facts s on s.salon_id = c.salon_id` (or a data-changing CTE `c` instead of the
/// table), then `$tail` and more literals joined by `+`. `counted:` fills `total_count` with the
/// number of matches before `limit`/`offset`; otherwise it is 0.
///
/// `segment` is the read-time segment: the stored `new`/`repeat` (kept by the appointments
/// trigger), or `lost` once the last visit (or the day the client was added) is older than the
/// salon's `lost_after_days`. The list's segment filter repeats the expression.
macro_rules! query_client {
    (counted: $head:literal, $tail:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        query_client!(@ $head, r#", count(*) over () as "total_count!" "#, $tail $(+ $more)* $(, $arg)*)
    };
    ($head:literal, $tail:literal $(+ $more:literal)* $(, $arg:expr)* $(,)?) => {
        query_client!(@ $head, r#", 0::bigint as "total_count!" "#, $tail $(+ $more)* $(, $arg)*)
    };
    (@ $head:literal, $count:literal, $tail:literal $(+ $more:literal)* $(, $arg:expr)*) => {
        sqlx::query_as!(
            Client,
            $head
                + r#" c.id as "id!", c.first_name as "first_name!", c.middle_name as "middle_name!",
                 c.last_name as "last_name!", c.name as "name!", coalesce(c.phone, '') as "phone!",
                 c.email as "email?", c.birth_date as "birth_date?: Ymd", c.card_number as "card_number?",
                 (case when c.segment <> 'subscription-ending'
                            and coalesce(c.last_visit_at, c.created_at) < now() - make_interval(days => s.lost_after_days)
                       then 'lost' else c.segment end) as "segment!: Segment",
                 c.gender as "gender?: Gender", c.source as "source?: Category", c.notes as "notes!",
                 c.messages_opt_out as "messages_opt_out!",
                 c.discount_bp as "discount!: Percent", c.bonus_balance_minor as "bonus_balance!: Money",
                 c.completed_visits as "total_visits!", c.total_spent_minor as "total_spent!: Money",
                 c.last_visit_at as "last_visit?", c.first_visit_at as "first_visit?",
                 c.created_at as "created_at!", c.updated_at as "updated_at!", c.deleted_at as "deleted_at?" "#
                + $count
                + $tail
                $(+ $more)*
            $(, $arg)*
        )
    };
}

/// The list's filter, sort and window as bind values; shared with the export.
pub(super) struct ListArgs {
    pub deleted: bool,
    pub search: Option<String>,
    pub phone_digits: Option<String>,
    pub segment: Option<&'static str>,
    pub gender: Option<&'static str>,
    pub source: Option<&'static str>,
    pub date_from: Option<chrono::NaiveDate>,
    pub date_to: Option<chrono::NaiveDate>,
    pub sort_by: &'static str,
    pub desc: bool,
    /// Only clients this user has served (`clients.show` = `own`).
    pub own_user: Option<UserId>,
    /// Whether the search may match phones and e-mails: only for a user who sees them in the
    /// list, or a search would tell who has a number the user cannot see.
    pub by_contacts: bool,
}

impl ListArgs {
    pub fn new(f: &ClientFilter, own_user: Option<UserId>, by_contacts: bool) -> Self {
        let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let digits: Option<String> = search
            .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|d| by_contacts && d.len() >= 3)
            .map(|d| format!("%{d}%"));
        ListArgs {
            deleted: f.deleted.unwrap_or(false),
            search: search.map(contains_pattern),
            phone_digits: digits,
            segment: f.segment.map(Segment::as_str),
            gender: f.gender.map(Gender::as_str),
            source: f.source.map(Category::as_str),
            date_from: f.date_from.map(|d| d.0),
            date_to: f.date_to.map(|d| d.0),
            sort_by: match f.sort_by.unwrap_or_default() {
                SortBy::Name => "name",
                SortBy::CreatedAt => "createdAt",
                SortBy::LastVisit => "lastVisit",
                SortBy::TotalVisits => "totalVisits",
                SortBy::TotalSpent => "totalSpent",
            },
            desc: f.sort_order.unwrap_or_default() == SortOrder::Desc,
            own_user,
            by_contacts,
        }
    }
}

/// A query over the list's filter and order (the list, its count and the export):
/// `$($mac)::+!($($before)* "from ... where ... order by ..." $($after)*, <ListArgs $a as $1..$12> $(, $arg)*)`.
macro_rules! list_query {
    ($($mac:ident)::+ [$($before:tt)*] [$($after:tt)*] $a:expr $(, $arg:expr)* $(,)?) => {
        $($mac)::+!(
            $($before)*
            "from clients c join salon_facts s on s.salon_id = c.salon_id
             where (case when $1 then c.deleted_at is not null else c.deleted_at is null end)
               and ($2::text is null or c.name ilike $2 or ($12 and c.email ilike $2) or c.card_number ilike $2
                    or ($3::text is not null and c.phone like $3))
               and ($4::text is null or (case when c.segment <> 'subscription-ending'
                                                   and coalesce(c.last_visit_at, c.created_at)
                                                       < now() - make_interval(days => s.lost_after_days)
                                              then 'lost' else c.segment end) = $4)
               and ($5::text is null or c.gender = $5)
               and ($6::text is null or c.source = $6)
               and (($7::date is null and $8::date is null) or exists (
                    select 1 from calendar_appointments a
                    where a.salon_id = c.salon_id and a.client_id = c.id and a.status = 'completed'
                      and a.deleted_at is null
                      and ($7::date is null or a.date >= $7) and ($8::date is null or a.date <= $8)))
               and ($11::bigint is null or exists (
                    select 1 from calendar_appointments a
                    join staff_names st on st.salon_id = a.salon_id and st.id = a.staff_id
                    where a.salon_id = c.salon_id and a.client_id = c.id and a.deleted_at is null
                      and st.user_id = $11))
             order by
               case when $9 = 'name' and not $10 then lower(c.name) end asc,
               case when $9 = 'name' and $10 then lower(c.name) end desc,
               case when $9 = 'createdAt' and not $10 then c.created_at end asc,
               case when $9 = 'createdAt' and $10 then c.created_at end desc,
               case when $9 = 'lastVisit' and not $10 then c.last_visit_at end asc nulls last,
               case when $9 = 'lastVisit' and $10 then c.last_visit_at end desc nulls last,
               case when $9 = 'totalVisits' and not $10 then c.completed_visits end asc,
               case when $9 = 'totalVisits' and $10 then c.completed_visits end desc,
               case when $9 = 'totalSpent' and not $10 then c.total_spent_minor end asc,
               case when $9 = 'totalSpent' and $10 then c.total_spent_minor end desc,
               c.id "
            $($after)*,
            $a.deleted,
            $a.search,
            $a.phone_digits,
            $a.segment,
            $a.gender,
            $a.source,
            $a.date_from,
            $a.date_to,
            $a.sort_by,
            $a.desc,
            $a.own_user as Option<crate::ids::UserId>,
            $a.by_contacts
            $(, $arg)*
        )
    };
}

pub(super) use {list_query, query_client};

/// Every match (or the `rows` asked for), each with the total before the window.
pub async fn list(tx: &mut TenantTx, args: ListArgs, rows: Rows) -> Result<Vec<Client>, AppError> {
    Ok(list_query!(
        query_client [counted: "select",] [+ "limit $13 offset $14"] args,
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The number of matches of the list's filter.
pub async fn count(tx: &mut TenantTx, args: ListArgs) -> Result<i64, AppError> {
    Ok(list_query!(sqlx::query_scalar [r#"select count(*) as "count!" from (select c.id "# +] [+ ") m"] args)
        .fetch_one(tx.conn())
        .await?)
}

/// Whether the user's staff profile has (had) an appointment with the client.
pub async fn served_by(tx: &mut TenantTx, client_id: ClientId, user_id: UserId) -> Result<bool, AppError> {
    crate::calendar::facts::client_served_by(tx, client_id.get(), user_id.get()).await
}

/// A client; `Deleted::Included` also finds a soft-deleted one. `Lock::ForUpdate` takes the row
/// for a change.
pub async fn find(tx: &mut TenantTx, id: ClientId, deleted: Deleted, lock: Lock) -> Result<Option<Client>, AppError> {
    let with_deleted = deleted == Deleted::Included;
    // Each macro call has its own row-mapping type, so each branch fetches.
    Ok(if lock == Lock::ForUpdate {
        query_client!(
            "select",
            "from clients c join salon_facts s on s.salon_id = c.salon_id
             where c.id = $1 and ($2 or c.deleted_at is null) for no key update of c",
            id as ClientId,
            with_deleted,
        )
        .fetch_optional(tx.conn())
        .await?
    } else {
        query_client!(
            "select",
            "from clients c join salon_facts s on s.salon_id = c.salon_id where c.id = $1 and ($2 or c.deleted_at is null)",
            id as ClientId,
            with_deleted,
        )
        .fetch_optional(tx.conn())
        .await?
    })
}

/// The live client holding `phone`, other than `except`.
pub async fn phone_owner(tx: &mut TenantTx, phone: &str, except: Option<ClientId>) -> Result<Option<ClientId>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select id as "id: ClientId" from clients
         where phone = $1 and deleted_at is null and ($2::bigint is null or id <> $2)"#,
        phone,
        except as Option<ClientId>,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// 409 naming the client that already has the phone.
pub fn phone_taken(id: ClientId) -> AppError {
    AppError::ConflictWith {
        code: "client_phone_taken",
        message: "Клієнт з таким номером телефону вже існує".to_owned(),
        conflict: serde_json::json!({ "id": id }),
    }
}

/// Inserts a client; a live client with the same phone is a 409 naming it.
pub async fn insert(tx: &mut TenantTx, v: &ClientValues) -> Result<Client, AppError> {
    let created: Option<Client> = query_client!(
        "with c as (
             insert into clients (first_name, middle_name, last_name, phone, email, card_number, birth_date,
                                  gender, source, notes, discount_bp, bonus_balance_minor, messages_opt_out)
             values ($1, coalesce($2, ''), coalesce($3, ''), $4, nullif($5, ''), nullif($6, ''),
                     nullif($7, '')::date, nullif($8, ''), nullif($9, ''), coalesce($10, ''),
                     coalesce($11, 0), coalesce($12, 0), coalesce($13, false))
             on conflict (salon_id, phone) where deleted_at is null do nothing
             returning *
         )
         select",
        "from c join salon_facts s on s.salon_id = c.salon_id",
        v.first_name,
        v.middle_name,
        v.last_name,
        v.phone,
        v.email,
        v.card_number,
        v.birth_date,
        v.gender,
        v.source,
        v.notes,
        v.discount as Option<Percent>,
        v.bonus_balance as Option<Money>,
        v.messages_opt_out,
    )
    .fetch_optional(tx.conn())
    .await?;
    match created {
        Some(c) => Ok(c),
        None => {
            let phone = v.phone.as_deref().unwrap_or_default();
            let owner = phone_owner(tx, phone, None).await?;
            Err(owner.map(phone_taken).unwrap_or_else(|| AppError::conflict("client_phone_taken", "Клієнт з таким номером телефону вже існує")))
        }
    }
}

/// Changes the given fields of a live client. A phone another live client holds is a 409
/// naming it, also when a concurrent change takes it first (the update runs in a savepoint).
pub async fn update(tx: &mut TenantTx, id: ClientId, v: &ClientValues) -> Result<Option<Client>, AppError> {
    if let Some(phone) = &v.phone
        && let Some(owner) = phone_owner(tx, phone, Some(id)).await?
    {
        return Err(phone_taken(owner));
    }
    let mut savepoint = tx.conn().begin().await?;
    let result = query_client!(
        "with c as (
             update clients set
                 first_name          = coalesce($2, first_name),
                 middle_name         = coalesce($3, middle_name),
                 last_name           = coalesce($4, last_name),
                 phone               = coalesce($5, phone),
                 email               = case when $6::text is null then email else nullif($6, '') end,
                 card_number         = case when $7::text is null then card_number else nullif($7, '') end,
                 birth_date          = case when $8::text is null then birth_date else nullif($8, '')::date end,
                 gender              = case when $9::text is null then gender else nullif($9, '') end,
                 source              = case when $10::text is null then source else nullif($10, '') end,
                 notes               = coalesce($11, notes),
                 discount_bp         = coalesce($12, discount_bp),
                 bonus_balance_minor = coalesce($13, bonus_balance_minor),
                 messages_opt_out    = coalesce($14, messages_opt_out),
                 updated_at          = now()
             where id = $1 and deleted_at is null
             returning *
         )
         select",
        "from c join salon_facts s on s.salon_id = c.salon_id",
        id as ClientId,
        v.first_name,
        v.middle_name,
        v.last_name,
        v.phone,
        v.email,
        v.card_number,
        v.birth_date,
        v.gender,
        v.source,
        v.notes,
        v.discount as Option<Percent>,
        v.bonus_balance as Option<Money>,
        v.messages_opt_out,
    )
    .fetch_optional(&mut *savepoint)
    .await;
    match result {
        Ok(row) => {
            savepoint.commit().await?;
            Ok(row)
        }
        Err(e) if constraint_of(&e) == Some("clients_phone_live") => {
            savepoint.rollback().await?;
            let phone = v.phone.as_deref().unwrap_or_default();
            match phone_owner(tx, phone, Some(id)).await? {
                Some(owner) => Err(phone_taken(owner)),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether an appointment of the client is still to come.
pub async fn has_upcoming_appointments(tx: &mut TenantTx, id: ClientId) -> Result<bool, AppError> {
    crate::calendar::facts::client_has_upcoming(tx, id.get()).await
}

/// Marks a live client deleted; their appointments and figures stay.
pub async fn soft_delete(tx: &mut TenantTx, id: ClientId) -> Result<Option<Client>, AppError> {
    Ok(query_client!(
        "with c as (update clients set deleted_at = now(), updated_at = now()
                    where id = $1 and deleted_at is null returning *)
         select",
        "from c join salon_facts s on s.salon_id = c.salon_id",
        id as ClientId,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Brings a deleted client back (the caller has checked that the phone is free).
pub async fn restore(tx: &mut TenantTx, id: ClientId) -> Result<Option<Client>, AppError> {
    query_client!(
        "with c as (update clients set deleted_at = null, updated_at = now()
                    where id = $1 and deleted_at is not null returning *)
         select",
        "from c join salon_facts s on s.salon_id = c.salon_id",
        id as ClientId,
    )
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("clients_phone_live") => {
            AppError::conflict("client_phone_taken", "Номер телефону цього клієнта вже має інший клієнт")
        }
        _ => e.into(),
    })
}

pub async fn statistics(tx: &mut TenantTx, id: ClientId) -> Result<ClientStatistics, AppError> {
    Ok(sqlx::query_as!(
        ClientStatistics,
        r#"with a as (select * from calendar_appointments where client_id = $1 and deleted_at is null),
              done as (select * from a where status = 'completed')
         select (select count(*) from done) as "total_visits!",
                (select coalesce(sum(price_minor), 0) from done)::bigint as "total_spent!: Money",
                (select coalesce(round(avg(price_minor)), 0) from done)::bigint as "average_check!: Money",
                (select min(starts_at) from done) as "first_visit?",
                (select max(starts_at) from done) as "last_visit?",
                (select min(starts_at) from a
                 where status in ('scheduled', 'confirmed', 'arrived') and starts_at > now()) as "next_visit?",
                (select count(*) from a
                 where status in ('scheduled', 'confirmed', 'arrived') and starts_at > now()) as "upcoming!",
                (select count(*) from a where status = 'no-show') as "no_shows!",
                (select count(*) from a where status = 'cancelled') as "cancelled!",
                (select service_name from done where service_name <> ''
                 group by service_name order by count(*) desc, max(starts_at) desc limit 1) as "favorite_service?",
                (select bonus_balance_minor from clients where id = $1) as "bonus_balance!: Money""#,
        id as ClientId,
    )
    .fetch_one(tx.conn())
    .await?)
}
