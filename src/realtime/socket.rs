//! The WebSocket endpoint: authenticate at the handshake, then forward the salon's events.

use std::time::Duration;

use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    response::Response,
};
use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::hub::Subscription;
use crate::{
    AppState,
    auth::tokens::{Claims, now_secs},
    http::{AppQuery, error::AppError},
    tenancy::HostSalon,
};

/// A WebSocket ping this often keeps proxies from closing an idle connection.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How long a closing socket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Close code for an access token that expired while connected (application range 4000-4999).
const TOKEN_EXPIRED: u16 = 4001;
const PONG: &str = r#"{"type":"pong","data":null}"#;

const TENANT_MISMATCH: AppError = AppError::Denied {
    code: "tenant_mismatch",
    message: "Цей обліковий запис належить іншому салону",
};

#[derive(Debug, Deserialize)]
pub struct SocketQuery {
    token: Option<String>,
}

/// `GET /ws?token=<access token>` (also `/api/v1/ws`): the salon's realtime events.
///
/// The token is checked before upgrading: missing, invalid or expired tokens, revoked sessions,
/// deactivated users and suspended salons get the 401 envelope and no upgrade (the client
/// retries every 5 s). A token whose subdomain names another salon gets 403. Once connected the
/// socket receives `{"type", "data"}` text frames, answers `{"type":"ping"}` with
/// `{"type":"pong","data":null}`, ignores other client frames, and is closed (code 4001) when
/// the token expires, so the client reconnects with a fresh one.
pub async fn socket(
    State(state): State<AppState>,
    HostSalon(host): HostSalon,
    AppQuery(query): AppQuery<SocketQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let claims = query.token.as_deref().and_then(|t| state.keys.verify(t.trim())).ok_or(AppError::Unauthenticated)?;
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
    if host.is_some_and(|h| h != claims.salon()) {
        return Err(TENANT_MISMATCH);
    }
    if !may_connect(&state, &claims, user_id).await? {
        return Err(AppError::Unauthenticated);
    }
    let span = tracing::Span::current();
    span.record("salon.id", claims.salon_id);
    span.record("user.id", user_id);
    let upgrade = upgrade
        .map_err(|_| AppError::bad_request("websocket_expected", "Очікується запит на WebSocket-з'єднання"))?;
    // Subscribed before answering, so an event published right after the handshake is kept.
    let events = state.realtime.subscribe(claims.salon());
    let expires_in = Duration::from_secs(claims.exp.saturating_sub(now_secs()));
    Ok(upgrade.on_upgrade(move |socket| serve(socket, events, user_id, expires_in)))
}

/// Whether the token's session is live, its user active and its salon active.
async fn may_connect(state: &AppState, claims: &Claims, user_id: i64) -> Result<bool, AppError> {
    let mut tx = state.db.begin(claims.salon()).await?;
    let live: Option<bool> = sqlx::query_scalar(
        "select u.is_active and s.status = 'active' and ses.revoked_at is null and ses.expires_at > now()
         from users u
         join salons s on s.id = u.salon_id
         join sessions ses on ses.salon_id = u.salon_id and ses.id = $2 and ses.user_id = u.id
         where u.id = $1",
    )
    .bind(user_id)
    .bind(claims.sid)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(live == Some(true))
}

/// Counts open sockets in `ws_connections` for as long as it lives.
struct ConnectionGauge;

impl ConnectionGauge {
    fn open() -> Self {
        metrics::gauge!("ws_connections").increment(1.0);
        ConnectionGauge
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        metrics::gauge!("ws_connections").decrement(1.0);
    }
}

async fn serve(mut socket: WebSocket, mut events: Subscription, user_id: i64, expires_in: Duration) {
    let _gauge = ConnectionGauge::open();
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    loop {
        let open = tokio::select! {
            delivery = events.recv() => match delivery {
                Ok(d) if d.user_id.is_none_or(|u| u == user_id) => {
                    socket.send(Message::Text(d.frame.clone())).await.is_ok()
                }
                Ok(_) => true,
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, user.id = user_id, "a slow socket skipped realtime events");
                    true
                }
                Err(RecvError::Closed) => false,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if is_ping(&text) => {
                    socket.send(Message::Text(Utf8Bytes::from_static(PONG))).await.is_ok()
                }
                // A client's close frame is answered by the next read, which then ends the stream.
                Some(Ok(_)) => true,
                None | Some(Err(_)) => false,
            },
            _ = heartbeat.tick() => socket.send(Message::Ping(Bytes::new())).await.is_ok(),
            () = &mut expiry => {
                let frame = CloseFrame { code: TOKEN_EXPIRED, reason: Utf8Bytes::from_static("token expired") };
                if socket.send(Message::Close(Some(frame))).await.is_ok() {
                    // Wait for the client's close frame so the close handshake completes.
                    let _ = tokio::time::timeout(CLOSE_GRACE, async {
                        while let Some(Ok(_)) = socket.recv().await {}
                    })
                    .await;
                }
                false
            }
        };
        if !open {
            break;
        }
    }
}

/// Whether a client frame is `{"type": "ping", ...}`; anything else is ignored.
fn is_ping(text: &str) -> bool {
    #[derive(Deserialize)]
    struct ClientFrame {
        #[serde(rename = "type")]
        kind: String,
    }
    serde_json::from_str::<ClientFrame>(text).is_ok_and(|f| f.kind == "ping")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ping_frames_are_pings() {
        assert!(is_ping(r#"{"type":"ping"}"#));
        assert!(is_ping(r#"{"type":"ping","data":null}"#));
        assert!(!is_ping(r#"{"type":"pong"}"#));
        assert!(!is_ping("ping"));
        assert!(!is_ping(r#"{"data":1}"#));
    }
}
