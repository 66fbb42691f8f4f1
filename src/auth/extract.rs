//! Identity from the request: access claims, the current user, permission checks, and the
//! request's tenant transaction.

use std::{marker::PhantomData, net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{header, request::Parts},
};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::{Role, UserOut, permissions, store, tokens::Claims};
use crate::{
    AppState,
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

/// The request's tenant transaction, opened by [`CurrentUser`] and handed to the handler's
/// [`TenantTx`] argument, so one request is one transaction.
#[derive(Clone, Default)]
pub struct RequestTx(Arc<Mutex<Option<TenantTx>>>);

/// The signed-in user, loaded fresh on every request: revoked sessions, deactivated accounts,
/// suspended salons and permission edits take effect on the next request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub salon: SalonId,
    pub session_id: i64,
    pub role: Role,
    pub user: UserOut,
    permissions: Map<String, Value>,
}

impl CurrentUser {
    /// Whether the salon's matrix lets this user do `id`. Admins may do everything.
    pub fn may(&self, id: &str) -> bool {
        self.role == Role::Admin || permissions::grants(&self.permissions, id)
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
        if host.is_some_and(|h| h != claims.salon()) {
            return Err(TENANT_MISMATCH);
        }
        let user_id = claims.user_id().ok_or(AppError::Unauthenticated)?;
        let mut tx = state.db.begin(claims.salon()).await?;
        let row = store::load_principal(&mut tx, user_id, claims.sid)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !row.session_live {
            return Err(AppError::Unauthenticated);
        }
        if !row.salon_active {
            return Err(crate::tenancy::SALON_SUSPENDED);
        }
        if !row.user.is_active {
            return Err(ACCOUNT_INACTIVE);
        }
        let span = tracing::Span::current();
        span.record("salon.id", claims.salon_id);
        span.record("user.id", user_id);
        let user = CurrentUser {
            id: user_id,
            salon: claims.salon(),
            session_id: claims.sid,
            role: row.user.role,
            user: row.user,
            permissions: row.permissions.0,
        };
        parts.extensions.insert(RequestTx(Arc::new(Mutex::new(Some(tx)))));
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl FromRequestParts<AppState> for TenantTx {
    type Rejection = AppError;

    /// Takes the transaction [`CurrentUser`] opened; a handler lists `CurrentUser` (or `Can`)
    /// before `TenantTx`.
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        let slot = parts.extensions.get::<RequestTx>().cloned();
        let taken = match slot {
            Some(RequestTx(slot)) => slot.lock().await.take(),
            None => None,
        };
        taken.ok_or_else(|| AppError::Internal(anyhow::anyhow!("TenantTx extracted before CurrentUser")))
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
