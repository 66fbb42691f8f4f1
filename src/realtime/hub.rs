//! The hub: this process's sockets per salon, and the fan-out between processes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::extract::ws::Utf8Bytes;
use deadpool_redis::{Pool, Runtime, redis};
use futures_util::StreamExt;
use tokio::sync::{
    broadcast::{self, error::RecvError},
    oneshot, watch,
};

use super::Event;
use crate::tenancy::SalonId;

/// How many events a slow socket may fall behind before it skips some.
const BUFFER: usize = 256;
/// A PUBLISH that takes longer than this is abandoned: a request never waits on realtime.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);
/// How long startup waits for the first PSUBSCRIBE before serving without it.
const STARTUP_WAIT: Duration = Duration::from_secs(3);
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The listener pings Redis this often, so a silently dead connection is noticed.
const LISTENER_PING: Duration = Duration::from_secs(30);

/// Publishes events and hands sockets their salon's events. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    local: Arc<Local>,
    backend: Backend,
}

enum Backend {
    InProcess,
    /// Dropping `_stop` (when the last clone of the hub goes) ends the listener task.
    Redis { pool: Pool, prefix: String, _stop: oneshot::Sender<()> },
}

/// One event ready to send: the event (who may see it, and its data for receivers who get
/// it with fields hidden), and its whole frame serialised once for every socket.
#[derive(Debug)]
pub(super) struct Delivery {
    pub event: Event,
    pub frame: Utf8Bytes,
}

/// The sockets of this process, as one broadcast channel per salon that has any.
#[derive(Default)]
struct Local {
    salons: Mutex<HashMap<SalonId, broadcast::Sender<Arc<Delivery>>>>,
}

impl Hub {
    /// Redis fan-out when `redis_url` is set, in-process otherwise. With Redis this spawns the
    /// process's listener (so it must run inside the Tokio runtime) and waits a few seconds for
    /// its first subscription; if Redis does not answer, the server starts anyway and the
    /// listener keeps retrying with backoff.
    pub async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        let Some(url) = redis_url else { return Ok(Self::in_process()) };
        let client = redis::Client::open(url)?;
        let pool = deadpool_redis::Config::from_url(url).create_pool(Some(Runtime::Tokio1))?;
        let local = Arc::new(Local::default());
        let (stop, stopped) = oneshot::channel();
        let (ready_tx, mut ready) = watch::channel(false);
        tokio::spawn(listen(client, prefix.to_owned(), local.clone(), ready_tx, stopped));
        if tokio::time::timeout(STARTUP_WAIT, ready.wait_for(|r| *r)).await.is_err() {
            tracing::warn!("realtime listener is not subscribed to Redis yet; starting without it");
        }
        let backend = Backend::Redis { pool, prefix: prefix.to_owned(), _stop: stop };
        Ok(Self { inner: Arc::new(Inner { local, backend }) })
    }

    /// A hub for a single process: publishing delivers straight to local sockets.
    pub fn in_process() -> Self {
        Self { inner: Arc::new(Inner { local: Arc::default(), backend: Backend::InProcess }) }
    }

    /// Sends `event` to the salon's sockets on every process. Never fails: a Redis error is
    /// logged here, once, and the caller carries on (the event is lost, the change is not).
    pub async fn publish(&self, salon: SalonId, event: &Event) {
        match &self.inner.backend {
            Backend::InProcess => self.inner.local.deliver(salon, event),
            Backend::Redis { pool, prefix, .. } => {
                if let Err(err) = publish_to_redis(pool, prefix, salon, event).await {
                    tracing::error!(error = %err, salon.id = salon.get(), kind = %event.kind,
                        "realtime event not published");
                }
            }
        }
    }

    /// A receiver of the salon's events from now on; dropping it unsubscribes.
    pub(super) fn subscribe(&self, salon: SalonId) -> Subscription {
        self.inner.local.subscribe(salon)
    }
}

async fn publish_to_redis(pool: &Pool, prefix: &str, salon: SalonId, event: &Event) -> anyhow::Result<()> {
    let payload = serde_json::to_string(event)?;
    let channel = format!("{prefix}realtime:salon:{salon}");
    tokio::time::timeout(PUBLISH_TIMEOUT, async {
        let mut conn = pool.get().await?;
        let _receivers: i64 = redis::cmd("PUBLISH").arg(&channel).arg(&payload).query_async(&mut conn).await?;
        anyhow::Ok(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("PUBLISH timed out after {PUBLISH_TIMEOUT:?}"))?
}

impl Local {
    fn subscribe(self: &Arc<Self>, salon: SalonId) -> Subscription {
        let mut salons = self.salons.lock().unwrap_or_else(|e| e.into_inner());
        let rx = salons.entry(salon).or_insert_with(|| broadcast::channel(BUFFER).0).subscribe();
        Subscription { rx: Some(rx), salon, local: self.clone() }
    }

    /// Hands the event to this process's sockets of the salon, if it has any.
    fn deliver(&self, salon: SalonId, event: &Event) {
        let sender = self.salons.lock().unwrap_or_else(|e| e.into_inner()).get(&salon).cloned();
        let Some(sender) = sender else { return };
        match event.frame() {
            // An error here only means every receiver left since the lookup.
            Ok(frame) => drop(sender.send(Arc::new(Delivery { event: event.clone(), frame: frame.into() }))),
            Err(err) => tracing::error!(error = %err, kind = %event.kind, "realtime frame cannot be serialised"),
        }
    }
}

/// One socket's view of its salon's events.
pub(super) struct Subscription {
    rx: Option<broadcast::Receiver<Arc<Delivery>>>,
    salon: SalonId,
    local: Arc<Local>,
}

impl Subscription {
    pub async fn recv(&mut self) -> Result<Arc<Delivery>, RecvError> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => Err(RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    /// The salon's channel goes with its last socket, so idle salons cost nothing.
    fn drop(&mut self) {
        // Under the lock, so a concurrent subscribe cannot land on a channel being removed.
        let mut salons = self.local.salons.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.rx.take());
        if salons.get(&self.salon).is_some_and(|s| s.receiver_count() == 0) {
            salons.remove(&self.salon);
        }
    }
}

/// The process's one PSUBSCRIBE connection: delivers what Redis sends back, reconnecting with
/// backoff when the connection drops, until the hub is dropped.
async fn listen(
    client: redis::Client,
    prefix: String,
    local: Arc<Local>,
    ready: watch::Sender<bool>,
    mut stop: oneshot::Receiver<()>,
) {
    let channels = format!("{prefix}realtime:salon:");
    let pattern = format!("{channels}*");
    let mut backoff = MIN_BACKOFF;
    loop {
        let connected = tokio::select! {
            _ = &mut stop => return,
            pubsub = subscribe_pattern(&client, &pattern) => pubsub,
        };
        match connected {
            Ok(pubsub) => {
                backoff = MIN_BACKOFF;
                ready.send_replace(true);
                let (mut sink, mut messages) = pubsub.split();
                let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + LISTENER_PING, LISTENER_PING);
                let lost = loop {
                    tokio::select! {
                        _ = &mut stop => return,
                        msg = messages.next() => match msg {
                            Some(msg) => dispatch(&local, &channels, &msg),
                            None => break "the connection closed".to_owned(),
                        },
                        _ = heartbeat.tick() => {
                            match tokio::time::timeout(PUBLISH_TIMEOUT, sink.ping::<redis::Value>()).await {
                                Ok(Ok(_)) => {}
                                Ok(Err(err)) => break err.to_string(),
                                Err(_) => break "ping timed out".to_owned(),
                            }
                        }
                    }
                };
                ready.send_replace(false);
                tracing::warn!(reason = %lost, "realtime: lost the Redis subscription; reconnecting");
            }
            Err(err) => tracing::error!(error = %err, retry_in_ms = backoff.as_millis() as u64,
                "realtime: cannot subscribe to Redis; events from other processes are not delivered"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe_pattern(client: &redis::Client, pattern: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe(pattern).await?;
    Ok(pubsub)
}

fn dispatch(local: &Local, channels: &str, msg: &redis::Msg) {
    let salon = msg.get_channel_name().strip_prefix(channels).and_then(|id| id.parse().ok()).map(SalonId);
    let event = serde_json::from_slice::<Event>(msg.get_payload_bytes());
    match (salon, event) {
        (Some(salon), Ok(event)) => local.deliver(salon, &event),
        (salon, event) => tracing::error!(channel = msg.get_channel_name(), salon_parsed = salon.is_some(),
            error = ?event.err(), "realtime: dropped a malformed message from Redis"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn in_process_events_reach_only_their_salon() {
        let hub = Hub::in_process();
        let mut a = hub.subscribe(SalonId(1));
        let mut b = hub.subscribe(SalonId(2));
        hub.publish(SalonId(1), &Event::new("x:y", &json!({"n": 1})).for_user(crate::ids::UserId(5))).await;
        let got = a.recv().await.unwrap();
        assert_eq!(got.event.user_id, Some(crate::ids::UserId(5)));
        assert_eq!(got.frame.as_str(), r#"{"type":"x:y","data":{"n":1}}"#);
        assert!(matches!(b.rx.as_mut().unwrap().try_recv(), Err(broadcast::error::TryRecvError::Empty)));
    }

    #[tokio::test]
    async fn the_last_socket_leaving_drops_the_salon_channel() {
        let hub = Hub::in_process();
        let first = hub.subscribe(SalonId(1));
        let second = hub.subscribe(SalonId(1));
        drop(first);
        assert!(hub.inner.local.salons.lock().unwrap().contains_key(&SalonId(1)));
        drop(second);
        assert!(hub.inner.local.salons.lock().unwrap().is_empty());
        // Publishing to a salon without sockets is a no-op.
        hub.publish(SalonId(1), &Event::new("x:y", &json!(null))).await;
    }
}
