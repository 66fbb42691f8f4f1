use axum::{extract::FromRequestParts, http::request::Parts};

use super::{SalonId, SalonRef, SalonStatus};
use crate::{AppState, http::error::AppError};

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

impl FromRequestParts<AppState> for HostSalon {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(found) = parts.extensions.get::<HostSalon>() {
            return Ok(*found);
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.host())
            .unwrap_or("");
        let resolved = match salon_slug_from_host(host, &state.config.base_domain) {
            None => HostSalon(None),
            Some(slug) => {
                let salon = lookup(state, slug).await?.ok_or(AppError::NotFound)?;
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
const HOST_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The salon behind a subdomain, from the process's cache or the platform function. Every
/// request to `<salon>.<BASE_DOMAIN>` needs it, so without the cache each would cost a
/// database round trip of its own.
async fn lookup(state: &AppState, slug: String) -> Result<Option<SalonRef>, AppError> {
    let now = std::time::Instant::now();
    if let Some((found, until)) = state.hosts.get(&slug)
        && until > now
    {
        return Ok(found);
    }
    let found = state.platform.salon_by_slug(&slug).await?;
    state.hosts.insert(slug, (found.clone(), now + HOST_TTL));
    Ok(found)
}
