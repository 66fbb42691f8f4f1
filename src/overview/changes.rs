//! `GET /overview/changes`: the salon's audit trail (`changes`), newest first, with names and
//! summaries for people.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::describe;
use crate::{
    clock::Ymd,
    error::AppError,
    http::page::{Page, PageMeta},
    ids::UserId,
    tenancy::TenantTx,
};

/// The entities modules write to the audit trail: the screen's five (`client`, `record`,
/// `service`, `employee`, `product`) and the others stored. `appointment` and `staff` are read
/// as `record` and `employee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Client,
    #[serde(alias = "appointment")]
    Record,
    Service,
    #[serde(alias = "staff")]
    Employee,
    Product,
    Review,
    User,
    Salon,
    Operation,
    Document,
    Receipt,
    PaymentMethod,
    CashRegister,
}

impl Entity {
    pub(super) fn stored(self) -> &'static str {
        match self {
            Entity::Client => "client",
            Entity::Record => "record",
            Entity::Service => "service",
            Entity::Employee => "employee",
            Entity::Product => "product",
            Entity::Review => "review",
            Entity::User => "user",
            Entity::Salon => "salon",
            Entity::Operation => "operation",
            Entity::Document => "document",
            Entity::Receipt => "receipt",
            Entity::PaymentMethod => "payment_method",
            Entity::CashRegister => "cash_register",
        }
    }
}

/// The screen's actions; `updated` also matches the other stored verbs (`password_changed`,
/// ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Updated,
    Deleted,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    #[serde(serialize_with = "crate::http::ids::as_string")]
    #[schema(value_type = String, example = "42")]
    pub id: i64,
    pub date: DateTime<Utc>,
    /// As stored: `client`, `record`, `service`, `employee`, `product`, `review`, `user`, ...
    pub entity: String,
    /// Absent for changes of many rows at once (a client import).
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub entity_id: Option<i64>,
    /// A name for the entity from its stored state; empty when none.
    pub entity_name: String,
    /// The user's name; empty when the account is gone.
    pub author: String,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub author_id: Option<UserId>,
    /// `created`, `updated` or `deleted`.
    pub action: &'static str,
    /// The verb as stored (`updated`, `password_changed`, ...).
    pub stored_action: String,
    pub details: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// Library field: the same as `author`.
    pub user: String,
    /// Library field: the same as `date`.
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ChangesQuery {
    /// Made on or after this salon-local date.
    pub date_from: Option<Ymd>,
    pub date_to: Option<Ymd>,
    #[param(inline, example = "client")]
    pub entity: Option<Entity>,
    pub entity_id: Option<i64>,
    /// The author's user id.
    pub author: Option<UserId>,
    #[param(inline, example = "updated")]
    pub action: Option<Action>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub data: Vec<Change>,
    pub meta: PageMeta,
}

pub(super) struct Filter {
    pub(super) date_from: Option<NaiveDate>,
    pub(super) date_to: Option<NaiveDate>,
    pub(super) entity: Option<&'static str>,
    pub(super) entity_id: Option<i64>,
    pub(super) author: Option<UserId>,
    pub(super) action: Option<&'static str>,
}

/// `sqlx::$query!($lead.., $head + filter + $tail, args..)`: one of sqlx's query macros over
/// audit entries `c` (the `audit_trail` the audit module exports) that pass `$f` ($1..$6); further arguments are $7 on. Dates are salon-local
/// days turned into instants in the salon's zone; `updated` matches every verb but `created`
/// and `deleted`.
macro_rules! filtered {
    ($query:ident!($($lead:ty,)?) $f:expr, $head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            $($lead,)?
            $head
                + " where ($1::date is null or c.created_at >= ($1::date::timestamp at time zone (select timezone from salon_facts)))
                    and ($2::date is null or c.created_at < (($2::date + 1)::timestamp at time zone (select timezone from salon_facts)))
                    and ($3::text is null or c.entity = $3)
                    and ($4::bigint is null or c.entity_id = $4)
                    and ($5::bigint is null or c.user_id = $5)
                    and ($6::text is null
                         or ($6 = 'updated' and c.action not in ('created', 'deleted'))
                         or c.action = $6)"
                + $tail,
            $f.date_from,
            $f.date_to,
            $f.entity,
            $f.entity_id,
            $f.author as Option<UserId>,
            $f.action,
            $($arg,)*
        )
    };
}

pub(super) struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    entity: String,
    entity_id: Option<i64>,
    user_id: Option<UserId>,
    action: String,
    before: Option<Value>,
    after: Option<Value>,
    author: String,
}

impl From<Row> for Change {
    fn from(r: Row) -> Self {
        Change {
            id: r.id,
            date: r.created_at,
            entity_name: describe::entity_name(r.before.as_ref(), r.after.as_ref()),
            details: describe::details(&r.action, r.before.as_ref(), r.after.as_ref()),
            action: describe::screen_action(&r.action),
            entity: r.entity,
            entity_id: r.entity_id,
            user: r.author.clone(),
            author: r.author,
            author_id: r.user_id,
            stored_action: r.action,
            before: r.before,
            after: r.after,
            timestamp: r.created_at,
        }
    }
}

pub(super) async fn list(tx: &mut TenantTx, f: &Filter, w: Page) -> Result<Vec<Row>, AppError> {
    Ok(filtered!(
        query_as!(Row,) f,
        r#"select c.id as "id!", c.created_at as "created_at!", c.entity as "entity!", c.entity_id,
                c.user_id as "user_id: UserId", c.action as "action!", c.before, c.after, coalesce(u.name, '') as "author!"
         from audit_trail c
         left join user_names u on u.salon_id = c.salon_id and u.id = c.user_id"#,
        " order by c.created_at desc, c.id desc limit $7 offset $8",
        w.limit,
        w.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

pub(super) async fn count(tx: &mut TenantTx, f: &Filter) -> Result<i64, AppError> {
    Ok(filtered!(query_scalar!() f, r#"select count(*) as "count!" from audit_trail c"#, "").fetch_one(tx.conn()).await?)
}
