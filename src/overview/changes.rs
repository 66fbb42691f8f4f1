//! `GET /overview/changes`: the salon's audit trail (`changes`), newest first, with names and
//! summaries for people.

use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{ChangesView, Window, check_range, describe};
use crate::{
    auth::Can,
    clock::Ymd,
    http::{AppQuery, error::AppError},
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
    fn stored(self) -> &'static str {
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
    pub author_id: Option<i64>,
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
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Made on or after this salon-local date.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    #[param(value_type = Option<String>, example = "client")]
    pub entity: Option<Entity>,
    pub entity_id: Option<i64>,
    /// The author's user id.
    pub author: Option<i64>,
    #[param(value_type = Option<String>, example = "updated")]
    pub action: Option<Action>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangesMeta {
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub data: Vec<Change>,
    pub meta: ChangesMeta,
}

/// The salon's audit trail, newest first.
#[utoipa::path(get, path = "/overview/changes", tag = "overview", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = ChangePage), (status = 401), (status = 403),
              (status = 422, description = "a malformed date, an unknown entity or action, or a bad page")))]
pub async fn list_changes(
    _: Can<ChangesView>,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ChangesQuery>,
) -> Result<Json<ChangePage>, AppError> {
    let window = Window::of(q.page, q.per_page, q.limit, q.offset)?;
    check_range(q.date_from, q.date_to, "dateTo")?;
    let filter = Filter {
        date_from: q.date_from.map(|d| d.0),
        date_to: q.date_to.map(|d| d.0),
        entity: q.entity.map(Entity::stored),
        entity_id: q.entity_id,
        author: q.author,
        action: q.action.map(|a| match a {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }),
    };
    let total = count(&mut tx, &filter).await?;
    let rows = list(&mut tx, &filter, window).await?;
    tx.commit().await?;
    let data = rows.into_iter().map(Change::from).collect();
    Ok(Json(ChangePage {
        data,
        meta: ChangesMeta {
            page: window.page,
            per_page: window.per_page,
            total,
            total_pages: window.total_pages(total),
        },
    }))
}

struct Filter {
    date_from: Option<NaiveDate>,
    date_to: Option<NaiveDate>,
    entity: Option<&'static str>,
    entity_id: Option<i64>,
    author: Option<i64>,
    action: Option<&'static str>,
}

/// Dates are salon-local days turned into instants in the salon's zone; `updated` matches
/// every verb but `created` and `deleted`.
macro_rules! filters {
    () => {
        " where ($1::date is null or c.created_at >= ($1::date::timestamp at time zone (select timezone from salons)))
            and ($2::date is null or c.created_at < (($2::date + 1)::timestamp at time zone (select timezone from salons)))
            and ($3::text is null or c.entity = $3)
            and ($4::bigint is null or c.entity_id = $4)
            and ($5::bigint is null or c.user_id = $5)
            and ($6::text is null
                 or ($6 = 'updated' and c.action not in ('created', 'deleted'))
                 or c.action = $6)"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    entity: String,
    entity_id: Option<i64>,
    user_id: Option<i64>,
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

async fn list(tx: &mut TenantTx, f: &Filter, w: Window) -> Result<Vec<Row>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select c.id, c.created_at, c.entity, c.entity_id, c.user_id, c.action, c.before, c.after,
                coalesce(nullif(btrim(u.first_name || ' ' || u.last_name), ''), u.email, '') as author
         from changes c
         left join users u on u.salon_id = c.salon_id and u.id = c.user_id",
        filters!(),
        " order by c.created_at desc, c.id desc limit $7 offset $8"
    ))
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.entity)
    .bind(f.entity_id)
    .bind(f.author)
    .bind(f.action)
    .bind(w.limit)
    .bind(w.offset)
    .fetch_all(tx.conn())
    .await?)
}

async fn count(tx: &mut TenantTx, f: &Filter) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar(concat!("select count(*) from changes c", filters!()))
            .bind(f.date_from)
            .bind(f.date_to)
            .bind(f.entity)
            .bind(f.entity_id)
            .bind(f.author)
            .bind(f.action)
            .fetch_one(tx.conn())
            .await?,
    )
}
