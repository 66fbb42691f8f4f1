use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use tokio::sync::Semaphore;

use super::{PlatformDb, SalonId, SalonRef, SalonStatus};
use crate::error::AppError;

/// The salon named by the request's subdomain, if the host is `<slug>.<BASE_DOMAIN>`.
///
/// An unknown subdomain is a 404 and a suspended salon a 403, both before any handler runs.
/// Requests without a salon subdomain (the frontend's `localhost:8000`) resolve to `None` and
/// are scoped by their token alone.
#[derive(Debug, Clone, Copy)]
pub struct HostSalon(pub Option<SalonId>);

pub const SALON_SUSPENDED: AppError = AppError::Denied {
    code: "salon_suspended",
    message: "Роботу салону призупинено. Зверніться до власника салону або підтримки Adelante",
};

impl<S> FromRequestParts<S> for HostSalon
where
    S: Send + Sync,
    Arc<Hosts>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Arc::<Hosts>::from_ref(state).salon_of(parts).await
    }
}

/// What resolves a request's subdomain to its salon: the platform lookup behind a per-process
/// [`HostCache`].
pub struct Hosts {
    platform: PlatformDb,
    cache: HostCache,
    base_domain: String,
}

impl Hosts {
    pub fn new(platform: PlatformDb, base_domain: String, platform_pool_size: u32) -> Self {
        Self { platform, cache: HostCache::new(platform_pool_size), base_domain }
    }

    /// The request's [`HostSalon`], resolved once per request (kept in its extensions).
    pub async fn salon_of(&self, parts: &mut Parts) -> Result<HostSalon, AppError> {
        if let Some(found) = parts.extensions.get::<HostSalon>() {
            return Ok(*found);
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.host())
            .unwrap_or("");
        let resolved = match salon_slug_from_host(host, &self.base_domain) {
            None => HostSalon(None),
            Some(slug) => {
                let platform = &self.platform;
                let salon = self
                    .cache
                    .resolve(&slug, |slug| async move { platform.salon_by_slug(&slug).await })
                    .await?
                    .ok_or(AppError::NotFound)?;
                if salon.status == SalonStatus::Suspended {
                    return Err(SALON_SUSPENDED);
                }
                HostSalon(Some(salon.id))
            }
        };
        if let Some(id) = resolved.0 {
            tracing::Span::current().record("salon.id", id.get());
        }
        parts.extensions.insert(resolved);
        Ok(resolved)
    }
}

/// `kyiv-beauty.adelante.app:443` under `adelante.app` → `kyiv-beauty`. Only one label deep;
/// the bare domain, other hosts and IP addresses name no salon.
pub fn salon_slug_from_host(host: &str, base_domain: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => host,
    };
    let label = host.strip_suffix(base_domain)?.strip_suffix('.')?;
    if label.is_empty() || label.contains('.') || label == "www" || label == "api" {
        return None;
    }
    Some(label.to_owned())
}

#[cfg(test)]
mod tests {
    use super::salon_slug_from_host as slug;

    #[test]
    fn takes_one_label_under_the_base_domain() {
        assert_eq!(slug("kyiv-beauty.adelante.app", "adelante.app").as_deref(), Some("kyiv-beauty"));
        assert_eq!(slug("Kyiv-Beauty.Adelante.App:8443", "adelante.app").as_deref(), Some("kyiv-beauty"));
        assert_eq!(slug("a.adelante.localhost:8000", "adelante.localhost").as_deref(), Some("a"));
    }

    #[test]
    fn other_hosts_name_no_salon() {
        for host in ["adelante.app", "localhost:8000", "127.0.0.1:8000", "x.y.adelante.app",
                     "www.adelante.app", "evil-adelante.app", "kyiv.adelante.app.evil.com"] {
            assert_eq!(slug(host, "adelante.app"), None, "{host}");
        }
    }
}

/// How long one process trusts what it learnt about a subdomain (its salon, or that there is
/// none). A salon's slug never changes; a suspension is also checked with every signed-in
/// user's principal, and reaches unauthenticated routes within this time.
const HOST_TTL: Duration = Duration::from_secs(30);
/// Salons remembered per process: more than a deployment serves.
const KNOWN_CAPACITY: usize = 10_000;
/// Subdomains remembered as naming no salon. Kept apart from the salons, so a flood of made-up
/// names churns only this small cache and never evicts a real salon.
const UNKNOWN_CAPACITY: usize = 1_024;
/// How long a request waits for one of the lookup slots before answering 503.
const LOOKUP_WAIT: Duration = Duration::from_secs(2);

/// Subdomain → salon, per process, in front of `platform.salon_by_slug`.
///
/// Every request to `<salon>.<BASE_DOMAIN>` needs the salon, so without the cache each would
/// cost a database round trip of its own. Both caches are bounded; names that cannot be a slug
/// never reach the database; and at most half the platform pool (at least one connection)
/// serves lookups at a time, so unknown subdomains cannot take the connections that sign-ins
/// and registrations need.
pub struct HostCache {
    known: quick_cache::sync::Cache<String, (SalonRef, Instant)>,
    unknown: quick_cache::sync::Cache<String, Instant>,
    lookups: Semaphore,
}

impl HostCache {
    pub fn new(platform_pool_size: u32) -> Self {
        Self::with_capacity(KNOWN_CAPACITY, UNKNOWN_CAPACITY, (platform_pool_size / 2).max(1) as usize)
    }

    fn with_capacity(known: usize, unknown: usize, lookups: usize) -> Self {
        Self {
            known: quick_cache::sync::Cache::new(known),
            unknown: quick_cache::sync::Cache::new(unknown),
            lookups: Semaphore::new(lookups),
        }
    }

    fn cached(&self, slug: &str, now: Instant) -> Option<Option<SalonRef>> {
        if let Some((salon, until)) = self.known.get(slug)
            && until > now
        {
            return Some(Some(salon));
        }
        match self.unknown.get(slug) {
            Some(until) if until > now => Some(None),
            _ => None,
        }
    }

    /// The salon behind `slug`: from the cache, or from `fetch` (the platform function) while
    /// holding one of the lookup slots.
    pub async fn resolve<F, Fut>(&self, slug: &str, fetch: F) -> Result<Option<SalonRef>, AppError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<Option<SalonRef>, AppError>>,
    {
        if !could_be_slug(slug) {
            return Ok(None);
        }
        if let Some(found) = self.cached(slug, Instant::now()) {
            return Ok(found);
        }
        let _slot = match tokio::time::timeout(LOOKUP_WAIT, self.lookups.acquire()).await {
            Ok(Ok(slot)) => slot,
            _ => return Err(AppError::Db(sqlx::Error::PoolTimedOut)),
        };
        // Another request may have looked the same name up while this one waited.
        if let Some(found) = self.cached(slug, Instant::now()) {
            return Ok(found);
        }
        let found = fetch(slug.to_owned()).await?;
        let until = Instant::now() + HOST_TTL;
        match &found {
            Some(salon) => self.known.insert(slug.to_owned(), (salon.clone(), until)),
            None => self.unknown.insert(slug.to_owned(), until),
        }
        Ok(found)
    }
}

/// Whether `label` has the shape of a salon slug (what `slug_base` makes, with a numeric
/// suffix on collisions): lowercase ASCII letters, digits and hyphens, one DNS label long.
fn could_be_slug(label: &str) -> bool {
    (1..=63).contains(&label.len()) && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod cache_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::tenancy::SalonId;

    fn salon(id: i64, slug: &str) -> SalonRef {
        SalonRef { id: SalonId(id), slug: slug.into(), name: slug.into(), status: SalonStatus::Active }
    }

    #[tokio::test]
    async fn made_up_names_never_evict_a_salon() {
        let hosts = HostCache::with_capacity(16, 32, 2);
        let fetches = AtomicUsize::new(0);
        let fetch = |slug: String| {
            fetches.fetch_add(1, Ordering::Relaxed);
            async move { Ok::<_, AppError>((slug == "kyiv").then(|| salon(1, "kyiv"))) }
        };
        assert!(hosts.resolve("kyiv", fetch).await.unwrap().is_some());
        for i in 0..5_000 {
            assert!(hosts.resolve(&format!("nope-{i}"), fetch).await.unwrap().is_none());
        }
        assert!(hosts.unknown.len() <= 32, "{}", hosts.unknown.len());
        let before = fetches.load(Ordering::Relaxed);
        assert!(hosts.resolve("kyiv", fetch).await.unwrap().is_some());
        assert_eq!(fetches.load(Ordering::Relaxed), before, "the salon is still cached");
    }

    #[tokio::test]
    async fn names_that_cannot_be_slugs_are_not_looked_up() {
        let hosts = HostCache::with_capacity(16, 32, 2);
        let fetch = |_: String| async { Err::<Option<SalonRef>, _>(AppError::Internal(anyhow::anyhow!("looked up"))) };
        for name in ["", "UPPER", "under_score", "x".repeat(64).as_str(), "ünï", "a b"] {
            assert!(hosts.resolve(name, fetch).await.unwrap().is_none(), "{name:?}");
        }
    }

    #[tokio::test]
    async fn lookups_in_flight_are_bounded() {
        let hosts = HostCache::with_capacity(16, 32, 2);
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let fetch = |_: String| async {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(None)
        };
        let names: Vec<String> = (0..50).map(|i| format!("n{i}")).collect();
        let all = names.iter().map(|n| hosts.resolve(n, fetch));
        for found in futures_util::future::join_all(all).await {
            assert!(found.unwrap().is_none());
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
