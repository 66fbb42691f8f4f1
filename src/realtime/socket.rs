//! The WebSocket endpoint: authenticate at the handshake, then forward the salon's events that
//! its user may see, for as long as its session lasts.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    response::Response,
};
use bytes::Bytes;
use serde::Deserialize;
use tokio::{sync::broadcast::error::RecvError, time::MissedTickBehavior};

use super::{
    audience::Admitted,
    hub::{Delivery, Hub, Subscription},
};
use crate::{
    auth::{
        CurrentUser, Gate, principal, sign_in_token,
        tokens::{Claims, now_secs},
    },
    http::AppQuery, error::AppError,
    ids::{ClientId, UserId},
    tenancy::HostSalon,
};

/// A WebSocket ping this often keeps proxies from closing an idle connection.
const PING_EVERY: Duration = Duration::from_secs(30);
/// A socket re-checks its session this often, so one that was signed out, deactivated or had
/// its password changed (on any process) closes within this time even when no event comes. A
/// check costs one read of the salon's data version while nothing changed (the principal is
/// then served from the cache); see [`crate::cache`].
pub const REVALIDATE_EVERY: Duration = Duration::from_secs(2);
/// How long a closing socket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Close code for an access token that expired while connected (application range 4000-4999).
const TOKEN_EXPIRED: u16 = 4001;
/// Close code for a session that ended while connected: signed out, password changed, account
/// deactivated or salon suspended. The reason is the error code the REST API would answer
/// (`not_authenticated`, `account_inactive`, `salon_suspended`).
const SESSION_ENDED: u16 = 4003;
/// Close code when the session could not be checked (database unavailable): the client
/// reconnects and is checked again at the handshake.
const CHECK_FAILED: u16 = 1011;
const PONG: &str = r#"{"type":"pong","data":null}"#;

#[derive(Debug, Deserialize)]
pub struct SocketQuery {
    token: Option<String>,
}

/// `GET /ws?token=<access token>` (also `/api/v1/ws`): the salon's realtime events.
///
/// The token is checked before upgrading, through the same principal check as every REST
/// request: missing, invalid or expired tokens, revoked sessions, deactivated users and
/// suspended salons get the 401 envelope and no upgrade (the client retries every 5 s). A token
/// whose subdomain names another salon gets 403. Once connected the socket receives
/// `{"type", "data"}` text frames of the events its user may see (each event's [`Audience`],
/// checked against the user's permissions at the moment it is sent), answers
/// `{"type":"ping"}` with `{"type":"pong","data":null}`, and ignores other client frames. It is
/// closed with code 4001 when the token expires and with code 4003 within
/// [`REVALIDATE_EVERY`] of its session ending, so the client reconnects with a fresh token.
///
/// [`Audience`]: super::Audience
pub async fn socket(
    State(gate): State<Arc<Gate>>,
    State(hub): State<Hub>,
    HostSalon(host): HostSalon,
    AppQuery(query): AppQuery<SocketQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let token = query.token.as_deref().ok_or(AppError::Unauthenticated)?;
    let (claims, user) = match sign_in_token(&gate, token, host).await {
        Ok(signed_in) => signed_in,
        Err(err @ (AppError::Db(_) | AppError::Internal(_))) => return Err(err),
        Err(err @ AppError::Denied { code: "tenant_mismatch", .. }) => return Err(err),
        // The client cannot read a refused handshake's status: one answer for every other
        // refusal.
        Err(_) => return Err(AppError::Unauthenticated),
    };
    let user_id = user.id;
    let span = tracing::Span::current();
    span.record("salon.id", claims.salon_id);
    span.record("user.id", user_id.get());
    let upgrade = upgrade
        .map_err(|_| AppError::bad_request("websocket_expected", "Очікується запит на WebSocket-з'єднання"))?;
    // Subscribed before answering, so an event published right after the handshake is kept.
    let events = hub.subscribe(claims.salon());
    let expires_in = Duration::from_secs(claims.exp.saturating_sub(now_secs()));
    let connection = Connection { gate, claims, user_id };
    Ok(upgrade.on_upgrade(move |socket| serve(socket, events, connection, expires_in)))
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

/// Whose socket this is.
struct Connection {
    gate: Arc<Gate>,
    claims: Claims,
    user_id: UserId,
}

/// What the socket does after one turn of its loop.
enum Next {
    Continue,
    /// The connection is gone (or the client closed it): stop without a close frame.
    Stop,
    Close(CloseFrame),
}

impl Connection {
    /// The frame this socket gets of the event, if any, deciding with the user's principal as
    /// of now: a session that ended closes the socket instead.
    async fn frame_of(&self, delivery: &Delivery) -> Result<Option<Utf8Bytes>, CloseFrame> {
        let event = &delivery.event;
        if event.user_id.is_some_and(|u| u != self.user_id) {
            return Ok(None);
        }
        let user = self.check().await?;
        let client_visible = async |client| self.client_visible(&user, client).await;
        match event.audience.admits(&user, client_visible).await.map_err(|err| self.close_frame(err))? {
            Admitted::No => Ok(None),
            Admitted::Yes { hidden } if hidden.is_empty() => Ok(Some(delivery.frame.clone())),
            Admitted::Yes { hidden } => match event.frame_without(&hidden) {
                Ok(frame) => Ok(Some(frame.into())),
                Err(err) => {
                    tracing::error!(error = %err, kind = %event.kind, "realtime frame cannot be serialised");
                    Ok(None)
                }
            },
        }
    }

    /// The session's principal as of now (served from the principal cache while the salon's
    /// data version is unchanged).
    async fn check(&self) -> Result<CurrentUser, CloseFrame> {
        principal(&self.gate, &self.claims).await.map_err(|err| self.close_frame(err))
    }

    /// Asks the clients domain whether `client` is one `user` may see.
    async fn client_visible(&self, user: &CurrentUser, client: ClientId) -> Result<bool, AppError> {
        let mut tx = self.gate.db.begin(user.salon).await?;
        let visible = match crate::clients::ensure_visible(&mut tx, user, client).await {
            Ok(()) => true,
            Err(AppError::NotFound) => false,
            Err(err) => return Err(err),
        };
        tx.commit().await?;
        Ok(visible)
    }

    fn close_frame(&self, err: AppError) -> CloseFrame {
        let reason = match err {
            AppError::Unauthenticated => "not_authenticated",
            AppError::Denied { code, .. } => code,
            err => {
                tracing::error!(error = %err, user.id = self.user_id.get(), "realtime: cannot check a socket's session; closing it");
                return CloseFrame { code: CHECK_FAILED, reason: Utf8Bytes::from_static("session check failed") };
            }
        };
        tracing::info!(user.id = self.user_id.get(), reason, "realtime: session ended; closing its socket");
        CloseFrame { code: SESSION_ENDED, reason: Utf8Bytes::from_static(reason) }
    }
}

async fn serve(mut socket: WebSocket, mut events: Subscription, conn: Connection, expires_in: Duration) {
    let _gauge = ConnectionGauge::open();
    let start = tokio::time::Instant::now();
    let mut heartbeat = tokio::time::interval_at(start + PING_EVERY, PING_EVERY);
    let mut revalidate = tokio::time::interval_at(start + REVALIDATE_EVERY, REVALIDATE_EVERY);
    revalidate.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    loop {
        let next = tokio::select! {
            delivery = events.recv() => match delivery {
                Ok(d) => match conn.frame_of(&d).await {
                    Ok(Some(frame)) => sent(socket.send(Message::Text(frame)).await),
                    Ok(None) => Next::Continue,
                    Err(close) => Next::Close(close),
                },
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, user.id = conn.user_id.get(), "a slow socket skipped realtime events");
                    Next::Continue
                }
                Err(RecvError::Closed) => Next::Stop,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if is_ping(&text) => {
                    sent(socket.send(Message::Text(Utf8Bytes::from_static(PONG))).await)
                }
                // A client's close frame is answered by the next read, which then ends the stream.
                Some(Ok(_)) => Next::Continue,
                None | Some(Err(_)) => Next::Stop,
            },
            _ = heartbeat.tick() => sent(socket.send(Message::Ping(Bytes::new())).await),
            _ = revalidate.tick() => match conn.check().await {
                Ok(_) => Next::Continue,
                Err(frame) => Next::Close(frame),
            },
            () = &mut expiry => {
                Next::Close(CloseFrame { code: TOKEN_EXPIRED, reason: Utf8Bytes::from_static("token expired") })
            }
        };
        match next {
            Next::Continue => {}
            Next::Stop => break,
            Next::Close(frame) => {
                close(&mut socket, frame).await;
                break;
            }
        }
    }
}

fn sent(result: Result<(), axum::Error>) -> Next {
    if result.is_ok() { Next::Continue } else { Next::Stop }
}

/// Sends the close frame and waits (briefly) for the client's, so the close handshake completes.
async fn close(socket: &mut WebSocket, frame: CloseFrame) {
    if socket.send(Message::Close(Some(frame))).await.is_ok() {
        let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = socket.recv().await {} }).await;
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
