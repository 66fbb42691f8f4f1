//! In-app notifications of one user (contract §3.11): the bell's list, read marks, deletion,
//! and `notification:new` pushed to that user's sockets.
//!
//! Every query filters by the current user as well as by salon (RLS): another user's
//! notification, in this salon or another, is a 404. Bodies are camelCase; a notification
//! carries both `read` and `isRead` (contract §10, decision 8) and its id as a numeric string.

mod http;
pub mod router;
mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{error::AppError, ids::UserId, realtime::{Event, Hub}, tenancy::{SalonId, TenantTx}};


/// The kinds a notification may have (checked by the table too).
pub const KINDS: [&str; 4] = ["info", "success", "warning", "error"];

/// A notification as REST answers it and `notification:new` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The id, sent as a numeric string (`"42"`): the client types it as a string.
    #[serde(serialize_with = "crate::http::ids::as_string")]
    #[schema(value_type = String, example = "42")]
    pub id: i64,
    /// Whose notification it is; not sent (only its owner ever sees it).
    #[serde(skip)]
    pub user_id: UserId,
    /// `info`, `success`, `warning` or `error`.
    #[serde(rename = "type")]
    #[schema(example = "info")]
    pub kind: String,
    pub title: String,
    pub message: String,
    /// Whether the user has read it; the same value as `isRead`.
    pub read: bool,
    /// `read` under the name the notifications store uses.
    pub is_read: bool,
    /// Where the bell entry leads, when it leads anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
}


/// What another module asks to tell a user.
#[derive(Debug, Clone, Copy)]
pub struct NewNotification<'a> {
    pub user_id: UserId,
    /// One of [`KINDS`].
    pub kind: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<&'a str>,
}

/// Inserts in the caller's transaction and returns the stored notification; the caller
/// publishes it after commit with [`announce`].
///
/// Errors: a `kind` outside [`KINDS`] is a bug of the caller (500); a user who does not exist
/// in the transaction's salon is `NotFound`.
///
/// A user who linked Telegram gets it there too, through the salon's bot (queued in the same
/// transaction; nothing when the salon has no bot).
pub async fn create(tx: &mut TenantTx, n: NewNotification<'_>) -> Result<Notification, AppError> {
    if !KINDS.contains(&n.kind) {
        return Err(AppError::Internal(anyhow::anyhow!("unknown notification kind {:?}", n.kind)));
    }
    let stored = store::insert(tx, &n).await?;
    crate::messaging::telegram::push(tx, n.user_id, &format!("{}\n{}", n.title, n.message)).await?;
    Ok(stored)
}

/// Pushes `notification:new` to that user's sockets only. Never fails (see
/// [`crate::realtime::Hub::publish`]).
pub async fn announce(hub: &Hub, salon: SalonId, n: &Notification) {
    let event = Event::new("notification:new", n).for_user(n.user_id);
    hub.publish(salon, &event).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_the_contract_says() {
        let at = DateTime::parse_from_rfc3339("2026-05-13T10:30:00Z").unwrap().with_timezone(&Utc);
        let n = Notification {
            id: 42, user_id: UserId(7), kind: "success".into(), title: "Запис".into(), message: "Новий запис".into(),
            read: false, is_read: false, link: None, created_at: at,
        };
        assert_eq!(serde_json::to_value(&n).unwrap(), json!({
            "id": "42", "type": "success", "title": "Запис", "message": "Новий запис",
            "read": false, "isRead": false, "createdAt": "2026-05-13T10:30:00Z",
        }));
        let linked = Notification { link: Some("/calendar".into()), ..n };
        assert_eq!(serde_json::to_value(&linked).unwrap()["link"], "/calendar");
    }
}
