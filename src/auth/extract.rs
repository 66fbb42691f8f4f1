//! Identity from the request: access claims, the current user, permission checks, and the
//! request's tenant transaction.

use std::{marker::PhantomData, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::{Role, UserOut, permissions, store, tokens::Claims};
use crate::{
    AppState,
    cache::{self, DataVersion, WriteScope},
    http::error::AppError,
    tenancy::{HostSalon, SalonId, TenantTx},
};

/// Verified access-token claims (401 when missing, malformed, expired or tampered).
#[derive(Debug, Clone)]
pub struct AccessClaims(pub Claims);

impl FromRequestParts<AppState> for AccessClaims {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(found) = parts.extensions.get::<AccessClaims>() {
            return Ok(found.clone());
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(AppError::Unauthenticated)?;
        let claims = state.keys.verify(token.trim()).ok_or(AppError::Unauthenticated)?;
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
    pub id: i64,
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

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(found) = parts.extensions.get::<CurrentUser>() {
            return Ok(found.clone());
        }
        let AccessClaims(claims) = AccessClaims::from_request_parts(parts, state).await?;
        let HostSalon(host) = HostSalon::from_request_parts(parts, state).await?;
        let salon = claims.salon();
        if host.is_some_and(|h| h != salon) {
            return Err(TENANT_MISMATCH);
        }
        let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
        if let Some(scope) = parts.extensions.get::<WriteScope>() {
            scope.touch(salon);
        }
        // The version is read before anything else, so whatever this request caches is at
        // least as new as it.
        let version = state.versions.current(salon).await;
        parts.extensions.insert(version);
        let (user, opened) = cached_or_load(state, salon, version, user_id, claims.sid).await?;
        if let Some(tx) = opened {
            parts.extensions.insert(RequestTx(Arc::new(Mutex::new(Some(tx)))));
        }
        let span = tracing::Span::current();
        span.record("salon.id", salon.get());
        span.record("user.id", user_id);
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The principal of a token's session as of now: the same cache and checks as the
/// [`CurrentUser`] extractor, for connections that outlive one request (the WebSocket checks
/// it at the handshake and again before each event it sends).
///
/// Errors as the extractor: 401 for an unknown or revoked session, 403 `account_inactive`
/// and `salon_suspended`, and database errors.
pub async fn principal(state: &AppState, claims: &Claims) -> Result<CurrentUser, AppError> {
    let salon = claims.salon();
    let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
    let version = state.versions.current(salon).await;
    let (user, opened) = cached_or_load(state, salon, version, user_id, claims.sid).await?;
    if let Some(tx) = opened {
        tx.commit().await?;
    }
    Ok(user)
}

/// The principal cached under `version`, or loaded (and cached) in a new transaction that is
/// handed back so a request can go on using it.
async fn cached_or_load(
    state: &AppState,
    salon: SalonId,
    version: DataVersion,
    user_id: i64,
    sid: i64,
) -> Result<(CurrentUser, Option<TenantTx>), AppError> {
    let key = (user_id, sid);
    if let Some(user) = state.principals.get(salon, version, &key) {
        return Ok((user, None));
    }
    let mut tx = state.db.begin(salon).await?;
    let (user, ttl) = load(&mut tx, salon, user_id, sid).await?;
    state.principals.put(salon, version, key, user.clone(), ttl);
    Ok((user, Some(tx)))
}

/// Loads and checks the principal; also says how long it may be cached (never past the end
/// of its session).
async fn load(tx: &mut TenantTx, salon: SalonId, user_id: i64, sid: i64) -> Result<(CurrentUser, Duration), AppError> {
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

impl FromRequestParts<AppState> for TenantTx {
    type Rejection = AppError;

    /// The transaction [`CurrentUser`] opened, or a new one in the user's salon; a handler
    /// lists `CurrentUser` (or `Can`) before `TenantTx`.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
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
}

impl FromRequestParts<AppState> for LazyTx {
    type Rejection = AppError;

    /// List it after `CurrentUser` or `Can`, like [`TenantTx`].
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let salon = parts
            .extensions
            .get::<CurrentUser>()
            .map(|u| u.salon)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("LazyTx extracted before CurrentUser")))?;
        Ok(LazyTx { opened: parts.extensions.get::<RequestTx>().cloned(), salon, db: state.db.clone() })
    }
}

impl FromRequestParts<AppState> for DataVersion {
    type Rejection = AppError;

    /// The salon's data version [`CurrentUser`] read (list it after `CurrentUser` or `Can`).
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<DataVersion>()
            .copied()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("DataVersion extracted before CurrentUser")))
    }
}

/// A permission id from `policies/permissions.txt`, as a type for [`Can`].
pub trait Permission {
    const ID: &'static str;
}

/// The current user, allowed to do `P` by the salon's matrix (403 otherwise).
pub struct Can<P: Permission>(pub CurrentUser, pub PhantomData<P>);

impl<P: Permission> FromRequestParts<AppState> for Can<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.may(P::ID) { Ok(Can(user, PhantomData)) } else { Err(AppError::Forbidden) }
    }
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop behind a trusted
/// proxy (`TRUST_PROXY=true`).
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if state.config.trust_proxy {
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
