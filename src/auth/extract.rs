//! Identity from the request: access claims, the current user, permission checks, and the
//! request's tenant transaction.

use std::{marker::PhantomData, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::{
    Role, UserOut, permissions, store,
    tokens::{Claims, TokenKeys},
};
use crate::{
    cache::{self, DataVersion, Versions, VersionedCache, WriteScope},
    error::AppError,
    http::limits::{SalonSlots, SlotGuard, salon_busy},
    ids::UserId,
    tenancy::{AppDb, HostSalon, Hosts, SalonId, TenantTx},
};

/// What the identity extractors need of the application (taken from its state with
/// [`FromRef`]): token keys, the subdomain lookup, the principal cache and its data versions,
/// the tenant pool, and the per-salon slots of heavy routes.
pub struct Gate {
    pub keys: TokenKeys,
    pub hosts: Arc<Hosts>,
    pub versions: Versions,
    pub principals: VersionedCache<(UserId, i64), CurrentUser>,
    pub db: AppDb,
    pub heavy: Arc<SalonSlots>,
    /// `TRUST_PROXY`: take the client's address from `X-Forwarded-For`.
    pub trust_proxy: bool,
}

/// Verified access-token claims (401 when missing, malformed, expired or tampered).
#[derive(Debug, Clone)]
pub struct AccessClaims(pub Claims);

impl<S> FromRequestParts<S> for AccessClaims
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(found) = parts.extensions.get::<AccessClaims>() {
            return Ok(found.clone());
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(AppError::Unauthenticated)?;
        let claims = verify(&Arc::<Gate>::from_ref(state), token)?;
        let found = AccessClaims(claims);
        parts.extensions.insert(found.clone());
        Ok(found)
    }
}

/// The request's tenant transaction when [`CurrentUser`] had to open one to load the user;
/// the handler's [`TenantTx`] takes it, so such a request is one transaction.
#[derive(Clone, Default)]
pub struct RequestTx(Arc<Mutex<Option<TenantTx>>>);

/// The signed-in user: revoked sessions, deactivated accounts, suspended salons and
/// permission edits take effect on the next request. The user is loaded from the database,
/// or taken from the principal cache while the salon's data version is the one it was loaded
/// under (every write bumps it; see [`crate::cache`]).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub salon: SalonId,
    pub session_id: i64,
    pub role: Role,
    pub user: UserOut,
    permissions: Arc<Map<String, Value>>,
}

impl CurrentUser {
    /// Whether the salon's matrix lets this user do `id`. Admins may do everything.
    pub fn may(&self, id: &str) -> bool {
        self.role == Role::Admin || permissions::grants(&self.permissions, id)
    }

    /// The option a select-type id holds for this user (`clients.show` → `all`/`own`); `None`
    /// when not granted, and for admins, who are never limited.
    pub fn selected(&self, id: &str) -> Option<&str> {
        if self.role == Role::Admin {
            return None;
        }
        permissions::selected(&self.permissions, id)
    }
}

const TENANT_MISMATCH: AppError = AppError::Denied {
    code: "tenant_mismatch",
    message: "Цей обліковий запис належить іншому салону",
};
const ACCOUNT_INACTIVE: AppError = AppError::Denied {
    code: "account_inactive",
    message: "Обліковий запис деактивовано. Зверніться до адміністратора салону",
};

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if let Some(found) = parts.extensions.get::<CurrentUser>() {
            return Ok(found.clone());
        }
        let gate = Arc::<Gate>::from_ref(state);
        let AccessClaims(claims) = AccessClaims::from_request_parts(parts, state).await?;
        let HostSalon(host) = gate.hosts.salon_of(parts).await?;
        let user_id = admit(&claims, host)?;
        let salon = claims.salon();
        if let Some(scope) = parts.extensions.get::<WriteScope>() {
            scope.touch(salon);
        }
        // The version is read before anything else, so whatever this request caches is at
        // least as new as it.
        let version = gate.versions.current(salon).await;
        parts.extensions.insert(version);
        let (user, opened) = cached_or_load(&gate, salon, version, user_id, claims.sid).await?;
        if let Some(tx) = opened {
            parts.extensions.insert(RequestTx(Arc::new(Mutex::new(Some(tx)))));
        }
        let span = tracing::Span::current();
        span.record("salon.id", salon.get());
        span.record("user.id", user_id.get());
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The claims of an access token: 401 when it is malformed, expired or tampered.
fn verify(gate: &Gate, token: &str) -> Result<Claims, AppError> {
    gate.keys.verify(token.trim()).ok_or(AppError::Unauthenticated)
}

/// The user a token names, if the request may use it here: 403 `tenant_mismatch` when the
/// subdomain names another salon than the token's, 401 when the token names no user.
fn admit(claims: &Claims, host: Option<SalonId>) -> Result<UserId, AppError> {
    if host.is_some_and(|h| h != claims.salon()) {
        return Err(TENANT_MISMATCH);
    }
    claims.user_id().ok_or(AppError::Unauthenticated)
}

/// Who an access token signs in on a request for `host` (the salon its subdomain names): the
/// [`CurrentUser`] extractor's checks, in its order, for the WebSocket handshake, which carries
/// its token in the query string instead of a header. The claims come back for the checks the
/// connection makes later ([`principal`]).
///
/// Errors as the extractor: 401 for a missing user, a bad token or an unknown or revoked
/// session, 403 `tenant_mismatch`, `account_inactive` and `salon_suspended`, and database
/// errors.
pub async fn sign_in_token(gate: &Gate, token: &str, host: Option<SalonId>) -> Result<(Claims, CurrentUser), AppError> {
    let claims = verify(gate, token)?;
    admit(&claims, host)?;
    let user = principal(gate, &claims).await?;
    Ok((claims, user))
}

/// The principal of a token's session as of now: the same cache and checks as the
/// [`CurrentUser`] extractor, for connections that outlive one request (the WebSocket checks
/// it at the handshake, through [`sign_in_token`], and again before each event it sends).
///
/// Errors as the extractor: 401 for an unknown or revoked session, 403 `account_inactive`
/// and `salon_suspended`, and database errors.
pub async fn principal(gate: &Gate, claims: &Claims) -> Result<CurrentUser, AppError> {
    let salon = claims.salon();
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
    let version = gate.versions.current(salon).await;
    let (user, opened) = cached_or_load(gate, salon, version, user_id, claims.sid).await?;
    if let Some(tx) = opened {
        tx.commit().await?;
    }
    Ok(user)
}

/// The principal cached under `version`, or loaded (and cached) in a new transaction that is
/// handed back so a request can go on using it.
async fn cached_or_load(
    gate: &Gate,
    salon: SalonId,
    version: DataVersion,
    user_id: UserId,
    sid: i64,
) -> Result<(CurrentUser, Option<TenantTx>), AppError> {
    let key = (user_id, sid);
    if let Some(user) = gate.principals.get(salon, version, &key) {
        return Ok((user, None));
    }
    let mut tx = gate.db.begin(salon).await?;
    let (user, ttl) = load(&mut tx, salon, user_id, sid).await?;
    gate.principals.put(salon, version, key, user.clone(), ttl);
    Ok((user, Some(tx)))
}

/// Loads and checks the principal; also says how long it may be cached (never past the end
/// of its session).
async fn load(tx: &mut TenantTx, salon: SalonId, user_id: UserId, sid: i64) -> Result<(CurrentUser, Duration), AppError> {
    let row = store::load_principal(tx, user_id, sid).await?.ok_or(AppError::Unauthenticated)?;
    if !row.session_live {
        return Err(AppError::Unauthenticated);
    }
    if !row.salon_active {
        return Err(crate::tenancy::SALON_SUSPENDED);
    }
    if !row.user.is_active {
        return Err(ACCOUNT_INACTIVE);
    }
    let ttl = row
        .session_expires_at
        .and_then(|end| (end - chrono::Utc::now()).to_std().ok())
        .unwrap_or_default()
        .min(cache::ENTRY_TTL);
    let user = CurrentUser {
        id: user_id,
        salon,
        session_id: sid,
        role: row.user.role,
        user: row.user,
        permissions: Arc::new(row.permissions.0),
    };
    Ok((user, ttl))
}

impl<S> FromRequestParts<S> for TenantTx
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    /// The transaction [`CurrentUser`] opened, or a new one in the user's salon.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        LazyTx::from_request_parts(parts, state).await?.begin().await
    }
}

/// The request's tenant transaction, opened only when the handler asks for it: for handlers
/// that may answer from a cache without touching the database.
pub struct LazyTx {
    opened: Option<RequestTx>,
    salon: SalonId,
    db: crate::tenancy::AppDb,
}

impl LazyTx {
    pub async fn begin(self) -> Result<TenantTx, AppError> {
        if let Some(RequestTx(slot)) = self.opened
            && let Some(tx) = slot.lock().await.take()
        {
            return Ok(tx);
        }
        self.db.begin(self.salon).await
    }

    /// The clock the transaction will carry: "now" before it is opened (frozen by tests).
    pub fn clock(&self) -> &crate::tenancy::Clock {
        self.db.clock()
    }
}

impl<S> FromRequestParts<S> for LazyTx
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    /// Signs the user in first when no extractor before it did, so arguments may come in any
    /// order.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let salon = CurrentUser::from_request_parts(parts, state).await?.salon;
        let db = Arc::<Gate>::from_ref(state).db.clone();
        Ok(LazyTx { opened: parts.extensions.get::<RequestTx>().cloned(), salon, db })
    }
}

impl<S> FromRequestParts<S> for DataVersion
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    /// The salon's data version that [`CurrentUser`] read (signing the user in first when no
    /// extractor before it did).
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        CurrentUser::from_request_parts(parts, state).await?;
        parts
            .extensions
            .get::<DataVersion>()
            .copied()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("CurrentUser did not record the data version")))
    }
}

/// A permission id from `policies/permissions.txt`, as a type for [`Can`].
pub trait Permission {
    const ID: &'static str;
}

/// The current user, allowed to do `P` by the salon's matrix (403 otherwise).
pub struct Can<P: Permission>(pub CurrentUser, pub PhantomData<P>);

impl<S, P> FromRequestParts<S> for Can<P>
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
    P: Permission,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.may(P::ID) { Ok(Can(user, PhantomData)) } else { Err(AppError::Forbidden) }
    }
}

/// A slot among the signed-in salon's `HEAVY_REQUESTS_PER_SALON` for an import, export or PDF,
/// held until the handler returns. When the salon's slots are all taken the answer is 429
/// with `Retry-After` at once rather than a wait: a waiting request would still hold its
/// socket, its buffered upload and possibly a pooled connection, and the queue behind one busy
/// salon would grow without bound; the web client retries after the given delay.
///
/// List it before `TenantTx`, so a refused request never takes a connection.
pub struct HeavySlot(#[allow(dead_code)] SlotGuard);

impl<S> FromRequestParts<S> for HeavySlot
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let user = CurrentUser::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        Arc::<Gate>::from_ref(state).heavy.try_acquire(user.salon).map(HeavySlot).ok_or_else(salon_busy)
    }
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop behind a trusted
/// proxy (`TRUST_PROXY=true`).
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    Arc<Gate>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if Arc::<Gate>::from_ref(state).trust_proxy {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
            if let Some(ip) = forwarded {
                return Ok(ClientIp(Some(ip.to_owned())));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer))
    }
}

/// The `User-Agent`, stored with a session so users can recognise their devices.
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(UserAgent(
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned),
        ))
    }
}
