//! SQL of notifications. Row-level security scopes every statement to the salon; each one also
//! filters by the user, so nobody reaches a colleague's notifications.

use chrono::{DateTime, Utc};

use super::{NewNotification, Notification};
use crate::{
    error::{AppError, constraint_of},
    ids::UserId,
    tenancy::TenantTx,
};

/// `sqlx::query_as!(Row, ..)` with the columns of [`Row`] between `$head` and `$tail`.
macro_rules! query_rows {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            $head + r#"id, user_id as "user_id: UserId", type as kind, title, message, link, read_at is not null as "read!", created_at"# + $tail
            $(, $arg)*
        )
    };
}

struct Row {
    id: i64,
    user_id: UserId,
    kind: String,
    title: String,
    message: String,
    link: Option<String>,
    read: bool,
    created_at: DateTime<Utc>,
}

impl From<Row> for Notification {
    fn from(r: Row) -> Self {
        Notification {
            id: r.id,
            user_id: r.user_id,
            kind: r.kind,
            title: r.title,
            message: r.message,
            read: r.read,
            is_read: r.read,
            link: r.link,
            created_at: r.created_at,
        }
    }
}

/// Which notifications a list shows. Both filters apply together.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub unread_only: bool,
    /// Only read (`true`) or only unread (`false`) ones.
    pub read: Option<bool>,
}

pub async fn insert(tx: &mut TenantTx, n: &NewNotification<'_>) -> Result<Notification, AppError> {
    let row: Row = query_rows!(
        "insert into notifications (user_id, type, title, message, link) values ($1, $2, $3, $4, $5)
         returning ",
        "",
        n.user_id as UserId,
        n.kind,
        n.title,
        n.message,
        n.link,
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        // The composite key: no such user in this salon.
        Some("notifications_salon_id_user_id_fkey") => AppError::NotFound,
        _ => e.into(),
    })?;
    Ok(row.into())
}

/// One page of the user's notifications: unread first, then newest first.
pub async fn list(
    tx: &mut TenantTx,
    user_id: UserId,
    filter: Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Notification>, AppError> {
    let rows: Vec<Row> = query_rows!(
        "select ",
        " from notifications
         where user_id = $1 and ($2 = false or read_at is null)
           and ($3::boolean is null or (read_at is not null) = $3)
         order by read_at is not null, created_at desc, id desc
         limit $4 offset $5",
        user_id as UserId,
        filter.unread_only,
        filter.read,
        limit,
        offset,
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn count(tx: &mut TenantTx, user_id: UserId, filter: Filter) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "count!" from notifications
         where user_id = $1 and ($2 = false or read_at is null)
           and ($3::boolean is null or (read_at is not null) = $3)"#,
        user_id as UserId,
        filter.unread_only,
        filter.read,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Marks one notification read (keeping the first read time); `None` when it is not the user's.
pub async fn mark_read(tx: &mut TenantTx, user_id: UserId, id: i64) -> Result<Option<Notification>, AppError> {
    let row: Option<Row> = query_rows!(
        "update notifications set read_at = coalesce(read_at, now())
         where id = $1 and user_id = $2
         returning ",
        "",
        id,
        user_id as UserId,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Into::into))
}

/// Marks every unread notification of the user read; how many changed.
pub async fn mark_all_read(tx: &mut TenantTx, user_id: UserId) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "update notifications set read_at = now() where user_id = $1 and read_at is null",
        user_id as UserId,
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes one notification; `false` when it is not the user's.
pub async fn delete(tx: &mut TenantTx, user_id: UserId, id: i64) -> Result<bool, AppError> {
    let done = sqlx::query!("delete from notifications where id = $1 and user_id = $2", id, user_id as UserId)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}
