//! Read caches that stay correct across server processes.
//!
//! Every salon has a *data version*, a counter in Redis (in-process without `REDIS_URL`).
//! A request reads it once, before it reads anything else; every request that may have
//! written (any method but GET, HEAD and OPTIONS, unless refused with a 4xx) bumps it after
//! its answer is ready, and so
//! does any other writer (jobs, password resets). A cache entry remembers the version it was
//! read under and is used only while the version is unchanged, so a write on one process is
//! seen by the next request on every process — no message has to arrive first.
//!
//! Why it is safe: a reader takes the version *before* reading the data, so what it stores
//! under version `v` is at least as new as the moment `v` was current. A writer bumps *after*
//! its commit, so from its answer on, every reader misses the entries of the old version.
//!
//! Two caches use it: signed-in principals (user, session, permission matrix), which lets a
//! request skip the principal query, and whole answers of hot read routes (the calendar's day
//! view and the free-slot search), which lets them skip the database altogether. Entries also
//! expire after [`ENTRY_TTL`], a backstop for writes made outside the API (an operator's SQL).

use std::{
    collections::HashMap,
    io::Write,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use flate2::{Compression, write::GzEncoder};
use deadpool_redis::{Pool, redis::{self, aio::MultiplexedConnection}};
use quick_cache::{Weighter, sync::Cache};

use crate::{error::AppError, kv::Kv, tenancy::SalonId};

/// How long any cache entry may live, whatever the version says.
pub const ENTRY_TTL: Duration = Duration::from_secs(60);
/// Bytes of serialised answers one process keeps.
const ANSWERS_CAPACITY: u64 = 64 << 20;
/// Principals one process keeps.
const PRINCIPALS_CAPACITY: usize = 20_000;

/// The salon's data version as one request saw it; `None` when Redis did not answer (caches
/// are then bypassed, never trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataVersion(pub Option<u64>);

/// Per-salon data versions.
#[derive(Clone)]
pub enum Versions {
    /// `shared` is one multiplexed connection taken out of the pool and used by every request:
    /// a pooled connection costs an extra round trip per checkout (deadpool-redis pings it),
    /// which doubled the price of the one read a cached answer needs.
    Redis { pool: Pool, prefix: String, shared: Arc<Mutex<Option<MultiplexedConnection>>> },
    Local(Arc<Mutex<HashMap<i64, u64>>>),
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shared connection, opened on first use and after a failure.
async fn connection(pool: &Pool, shared: &Mutex<Option<MultiplexedConnection>>) -> anyhow::Result<MultiplexedConnection> {
    if let Some(conn) = locked(shared).clone() {
        return Ok(conn);
    }
    let conn = deadpool_redis::Connection::take(pool.get().await?);
    *locked(shared) = Some(conn.clone());
    Ok(conn)
}

impl Versions {
    pub fn new(kv: &Kv) -> Self {
        match kv {
            Kv::Redis { pool, prefix } => {
                Versions::Redis { pool: pool.clone(), prefix: prefix.clone(), shared: Arc::default() }
            }
            Kv::Local(_) => Versions::Local(Arc::default()),
        }
    }

    fn key(prefix: &str, salon: SalonId) -> String {
        format!("{prefix}salon:{}:version", salon.get())
    }

    /// The current version. A missing key (first use, or Redis lost its data) starts at a
    /// random value, so entries cached under an old counter are never mistaken for fresh.
    pub async fn current(&self, salon: SalonId) -> DataVersion {
        match self {
            Versions::Redis { pool, prefix, shared } => {
                let key = Self::key(prefix, salon);
                let read = async {
                    let mut conn = connection(pool, shared).await?;
                    let found: Option<u64> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
                    if let Some(v) = found {
                        return anyhow::Ok(v);
                    }
                    let (v,): (u64,) = redis::pipe()
                        .cmd("SET").arg(&key).arg(seed()).arg("NX").ignore()
                        .get(&key)
                        .query_async(&mut conn)
                        .await?;
                    Ok(v)
                };
                match read.await {
                    Ok(v) => DataVersion(Some(v)),
                    Err(e) => {
                        locked(shared).take();
                        tracing::warn!(error = %e, "data version unavailable; caches bypassed");
                        DataVersion(None)
                    }
                }
            }
            Versions::Local(map) => {
                let mut map = locked(map);
                DataVersion(Some(*map.entry(salon.get()).or_insert_with(seed)))
            }
        }
    }

    /// Marks the salon's data as changed: every cache entry of an older version is dead.
    pub async fn bump(&self, salon: SalonId) {
        match self {
            Versions::Redis { pool, prefix, shared } => {
                let key = Self::key(prefix, salon);
                let write = async {
                    let mut conn = connection(pool, shared).await?;
                    let _: () = redis::pipe()
                        .cmd("SET").arg(&key).arg(seed()).arg("NX").ignore()
                        .incr(&key, 1u64).ignore()
                        .query_async(&mut conn)
                        .await?;
                    anyhow::Ok(())
                };
                if let Err(e) = write.await {
                    locked(shared).take();
                    // Readers of this salon may see answers up to ENTRY_TTL old.
                    tracing::error!(error = %e, salon.id = salon.get(), "data version not bumped");
                }
            }
            Versions::Local(map) => {
                let mut map = locked(map);
                let v = map.entry(salon.get()).or_insert_with(seed);
                *v = v.wrapping_add(1);
            }
        }
    }
}

/// A random starting version below 2^62, leaving room to count up.
fn seed() -> u64 {
    rand::random::<u64>() >> 2
}

/// A value cached under a data version, until the version moves or the entry expires.
#[derive(Clone)]
pub struct Entry<V> {
    version: u64,
    until: Instant,
    value: V,
}

/// Keyed values that are valid for one data version of one salon.
pub struct VersionedCache<K, V, W = quick_cache::UnitWeighter> {
    entries: Cache<(i64, K), Entry<V>, W>,
}

impl<K: Eq + std::hash::Hash + Clone, V: Clone> VersionedCache<K, V> {
    pub fn with_items(items: usize) -> Self {
        Self { entries: Cache::new(items) }
    }
}

impl<K, V, W> VersionedCache<K, V, W>
where
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
    W: Weighter<(i64, K), Entry<V>> + Clone,
{
    /// The value stored for `key` under exactly this version, if it has not expired.
    pub fn get(&self, salon: SalonId, version: DataVersion, key: &K) -> Option<V> {
        let version = version.0?;
        let found = self.entries.get(&(salon.get(), key.clone()))?;
        (found.version == version && found.until > Instant::now()).then_some(found.value)
    }

    /// Stores `value` as read under `version`, for at most `ttl` (capped at [`ENTRY_TTL`]).
    pub fn put(&self, salon: SalonId, version: DataVersion, key: K, value: V, ttl: Duration) {
        if let Some(version) = version.0 {
            let until = Instant::now() + ttl.min(ENTRY_TTL);
            self.entries.insert((salon.get(), key), Entry { version, until, value });
        }
    }
}

/// A serialised JSON answer, and its gzip form once a client has asked for it: browsers
/// always do, and compressing 130 KB on every hit cost more than the rest of the request.
pub struct Answer {
    plain: Bytes,
    gzip: OnceLock<Option<Bytes>>,
}

impl Answer {
    fn new(plain: Bytes) -> Self {
        Self { plain, gzip: OnceLock::new() }
    }

    fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| {
                let mut encoder = GzEncoder::new(Vec::with_capacity(self.plain.len() / 8), Compression::default());
                encoder.write_all(&self.plain).and_then(|()| encoder.finish()).map(Bytes::from).ok()
            })
            .as_ref()
    }
}

/// Weighs answers by their length.
#[derive(Clone)]
pub struct ByLength;

impl<K> Weighter<(i64, K), Entry<Arc<Answer>>> for ByLength {
    fn weight(&self, _: &(i64, K), entry: &Entry<Arc<Answer>>) -> u64 {
        entry.value.plain.len() as u64 * 5 / 4 + 64
    }
}

/// Serialised JSON answers of hot read routes, keyed by route and normalised query.
pub type Answers = VersionedCache<String, Arc<Answer>, ByLength>;

pub fn answers() -> Answers {
    VersionedCache { entries: Cache::with_weighter(4_096, ANSWERS_CAPACITY, ByLength) }
}

/// Principals keyed by (user, session).
pub fn principals<K: Eq + std::hash::Hash + Clone, V: Clone>() -> VersionedCache<K, V> {
    VersionedCache::with_items(PRINCIPALS_CAPACITY)
}

/// Whether the client takes `Content-Encoding: gzip` (`Accept-Encoding` names it without
/// `q=0`).
#[derive(Debug, Clone, Copy)]
pub struct AcceptsGzip(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for AcceptsGzip {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accepts = parts.headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(takes_gzip);
        Ok(AcceptsGzip(accepts))
    }
}

fn takes_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut fields = item.split(';').map(str::trim);
        let gzip = fields.next().is_some_and(|coding| coding.eq_ignore_ascii_case("gzip"));
        let q = fields.find_map(|f| f.strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        gzip && q > 0.0
    })
}

/// Answers `key` from the cache, or runs `compute`, serialises its value, caches the bytes
/// and answers them (gzip-encoded when the client takes it; the compression layer leaves an
/// encoded answer alone).
pub async fn json<T, F>(
    answers: &Answers,
    salon: SalonId,
    version: DataVersion,
    AcceptsGzip(gzip): AcceptsGzip,
    key: String,
    compute: F,
) -> Result<Response, AppError>
where
    T: serde::Serialize,
    F: Future<Output = Result<T, AppError>>,
{
    let answer = match answers.get(salon, version, &key) {
        Some(answer) => {
            metrics::counter!("answer_cache_total", "result" => "hit").increment(1);
            answer
        }
        None => {
            metrics::counter!("answer_cache_total", "result" => "miss").increment(1);
            let value = compute.await?;
            let plain = Bytes::from(serde_json::to_vec(&value).map_err(|e| AppError::Internal(e.into()))?);
            let answer = Arc::new(Answer::new(plain));
            answers.put(salon, version, key, answer.clone(), ENTRY_TTL);
            answer
        }
    };
    let json = (header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(match answer.gzip().filter(|_| gzip) {
        Some(body) => {
            ([json, vary, (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))], body.clone()).into_response()
        }
        None => ([json, vary], answer.plain.clone()).into_response(),
    })
}

/// The salon a writing request touched, set by the auth extractor (or a handler that writes
/// without a signed-in user). When the request ends — answered or cancelled — its salon's
/// version is bumped.
#[derive(Clone)]
pub struct WriteScope(Arc<ScopeInner>);

struct ScopeInner {
    versions: Versions,
    salon: Mutex<Option<SalonId>>,
    done: AtomicBool,
}

impl WriteScope {
    pub fn touch(&self, salon: SalonId) {
        *locked(&self.0.salon) = Some(salon);
    }

    fn salon(&self) -> Option<SalonId> {
        *locked(&self.0.salon)
    }

    /// Bumps now, before the answer leaves, so the client's next read sees its write.
    async fn finish(&self) {
        if let Some(salon) = self.salon() {
            self.0.versions.bump(salon).await;
        }
        self.0.done.store(true, Ordering::Release);
    }
}

impl Drop for ScopeInner {
    /// A cancelled request (client gone, timeout) may still have committed: bump anyway.
    fn drop(&mut self) {
        let salon = *self.salon.get_mut().unwrap_or_else(|e| e.into_inner());
        if let (Some(salon), false) = (salon, *self.done.get_mut())
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let versions = self.versions.clone();
            rt.spawn(async move { versions.bump(salon).await });
        }
    }
}

/// Middleware: gives every request that may write a [`WriteScope`] and settles it when the
/// answer is ready; a 4xx answer wrote nothing and bumps nothing.
pub async fn track_writes(State(versions): State<Versions>, mut req: Request, next: Next) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let scope = WriteScope(Arc::new(ScopeInner {
        versions,
        salon: Mutex::new(None),
        done: AtomicBool::new(false),
    }));
    req.extensions_mut().insert(scope.clone());
    let res = next.run(req).await;
    if res.status().is_client_error() {
        // Refused input writes nothing (the handler's transaction was never committed), so
        // the salon's caches stay valid: 49 losers of a contested slot do not flush them 49
        // times.
        scope.0.done.store(true, Ordering::Release);
    } else {
        scope.finish().await;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salon(id: i64) -> SalonId {
        SalonId(id)
    }

    #[tokio::test]
    async fn entries_live_only_for_their_version() {
        let versions = Versions::Local(Arc::default());
        let cache: VersionedCache<String, u32> = VersionedCache::with_items(16);
        let (a, b) = (salon(1), salon(2));
        let v = versions.current(a).await;
        cache.put(a, v, "day".into(), 7, ENTRY_TTL);
        assert_eq!(cache.get(a, v, &"day".into()), Some(7));
        assert_eq!(cache.get(b, versions.current(b).await, &"day".into()), None, "per salon");
        versions.bump(a).await;
        let after = versions.current(a).await;
        assert_ne!(after, v);
        assert_eq!(cache.get(a, after, &"day".into()), None, "a write retires the entry");
        cache.put(a, DataVersion(None), "day".into(), 8, ENTRY_TTL);
        assert_eq!(cache.get(a, DataVersion(None), &"day".into()), None, "no version, no cache");
    }

    #[test]
    fn gzip_is_taken_unless_refused() {
        assert!(takes_gzip("gzip, deflate, br"));
        assert!(takes_gzip("br;q=1.0, GZIP;q=0.5"));
        assert!(!takes_gzip("gzip;q=0"));
        assert!(!takes_gzip("deflate, br"));
        assert!(!takes_gzip(""));
    }

    #[test]
    fn the_gzip_form_decodes_to_the_answer() {
        use std::io::Read;
        let plain = Bytes::from(serde_json::to_vec(&vec!["Марія"; 1000]).unwrap());
        let answer = Answer::new(plain.clone());
        let packed = answer.gzip().unwrap().clone();
        assert!(packed.len() < plain.len() / 10);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, plain);
        assert!(std::ptr::eq(answer.gzip().unwrap(), answer.gzip().unwrap()), "compressed once");
    }

    #[tokio::test]
    async fn entries_expire() {
        let versions = Versions::Local(Arc::default());
        let cache: VersionedCache<u8, u8> = VersionedCache::with_items(4);
        let v = versions.current(salon(1)).await;
        cache.put(salon(1), v, 1, 1, Duration::from_millis(20));
        assert_eq!(cache.get(salon(1), v, &1), Some(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(cache.get(salon(1), v, &1), None);
    }

    #[tokio::test]
    async fn a_lost_redis_connection_is_replaced() {
        let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let kv = Kv::connect(Some(&url), &format!("unit:{}:", rand::random::<u32>())).unwrap();
        let versions = Versions::new(&kv);
        let v = versions.current(salon(1)).await;
        assert!(v.0.is_some());
        let Versions::Redis { pool, shared, .. } = &versions else { panic!("a Redis store") };
        let mut conn = locked(shared).clone().expect("the shared connection is open");
        let id: i64 = redis::cmd("CLIENT").arg("ID").query_async(&mut conn).await.unwrap();
        let mut other = pool.get().await.unwrap();
        let killed: i64 = redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id).query_async(&mut other).await.unwrap();
        assert_eq!(killed, 1);
        // The read on the dead connection may fail (caches are then bypassed); the next one
        // opens a new connection and sees the same version.
        let first = versions.current(salon(1)).await;
        assert!(first == v || first == DataVersion(None), "{first:?}");
        assert_eq!(versions.current(salon(1)).await, v);
        versions.bump(salon(1)).await;
        assert_ne!(versions.current(salon(1)).await, v);
    }

    #[tokio::test]
    async fn a_dropped_scope_still_bumps() {
        let versions = Versions::Local(Arc::default());
        let before = versions.current(salon(3)).await;
        let scope = WriteScope(Arc::new(ScopeInner {
            versions: versions.clone(),
            salon: Mutex::new(None),
            done: AtomicBool::new(false),
        }));
        scope.touch(salon(3));
        drop(scope); // as when the request's future is cancelled after its commit
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_ne!(versions.current(salon(3)).await, before);
    }
}
