//! Invitations: the e-mail that lets a new account set its first password.
//!
//! An administrator creating an account without a password (users API, staff with an e-mail)
//! mails its owner a single-use link `GET /api/v1/auth/invitations/{token}`; the token is
//! `<salon>.<id>.<secret>` and only the SHA-256 of the secret is stored. Opening the link
//! records the opening and sends the browser on to the web app's `/setup` page, which posts
//! only e-mail and password: `/auth/setup` accepts those for [`OPENED_WINDOW`] after an
//! opening, once. `/auth/setup` also takes the token itself. Without either, knowing an
//! e-mail is not enough to claim its account.
//!
//! Opening again (mail scanners open links too) is allowed while the invitation is unused and
//! unexpired; each opening restarts the window. A new invitation expires the older ones.

use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sqlx::FromRow;

use super::tokens::{OpaqueToken, secret_matches, sha256};
use crate::{
    AppState,
    http::{AppPath, error::AppError},
    messaging::Email,
    tenancy::TenantTx,
};

/// How long after opening the link a setup by e-mail and password is accepted.
pub const OPENED_WINDOW: Duration = Duration::from_secs(30 * 60);

/// Creates an invitation for a password-less account of the transaction's salon, expires the
/// account's older ones, and returns the e-mail to send once the transaction has committed
/// (see [`send`]).
pub async fn issue(
    tx: &mut TenantTx,
    state: &AppState,
    user_id: i64,
    invited_by: Option<i64>,
) -> Result<Email, AppError> {
    let (email, first_name, salon_name): (String, String, String) = sqlx::query_as(
        "select u.email, u.first_name, s.name from users u join salons s on s.id = u.salon_id where u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    sqlx::query(
        "update invitations set expires_at = least(expires_at, now())
         where user_id = $1 and used_at is null",
    )
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    let secret = OpaqueToken::new_secret();
    let ttl = state.config.invite_ttl;
    let id: i64 = sqlx::query_scalar(
        "insert into invitations (user_id, token_hash, invited_by, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
    )
    .bind(user_id)
    .bind(sha256(&secret))
    .bind(invited_by)
    .bind(ttl.as_secs_f64())
    .fetch_one(tx.conn())
    .await?;
    sqlx::query("update users set invited_at = now(), updated_at = now() where id = $1")
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    let token = OpaqueToken {
        salon: tx.salon(),
        id,
        secret,
    }
    .encode();
    let link = format!("{}/api/v1/auth/invitations/{token}", state.config.public_url);
    let days = ttl.as_secs().div_ceil(86_400);
    let greeting = if first_name.is_empty() {
        "Вітаємо!".to_owned()
    } else {
        format!("Вітаємо, {first_name}!")
    };
    Ok(Email {
        to: email,
        subject: format!("Запрошення до Adelante — {salon_name}"),
        text: format!(
            "{greeting}\n\nАдміністратор салону «{salon_name}» створив для вас обліковий запис в Adelante.\n\
             Щоб встановити пароль, відкрийте посилання (діє {days} дн., лише для одного входу):\n\n{link}\n\n\
             Після переходу за посиланням у вас буде {} хв, щоб задати пароль.\n\
             Якщо ви не чекали цього листа, просто проігноруйте його.\n",
            OPENED_WINDOW.as_secs() / 60
        ),
    })
}

/// Sends invitation mails after their transaction committed. A failure is logged: the
/// account exists, and an administrator can send a new invitation.
pub async fn send(state: &AppState, mails: impl IntoIterator<Item = Email>) {
    for mail in mails {
        if let Err(error) = state.mailer.send(&mail).await {
            tracing::error!(?error, "invitation e-mail not sent");
        }
    }
}

#[derive(Debug, FromRow)]
pub struct InvitationRow {
    pub user_id: i64,
    pub email: String,
    pub token_hash: Vec<u8>,
    pub used: bool,
    pub expired: bool,
    /// The account still has no password and is active, in an active salon.
    pub pending: bool,
    pub has_password: bool,
}

/// An invitation with what deciding on it needs; `lock` takes its row for update.
pub async fn find(tx: &mut TenantTx, id: i64, lock: bool) -> Result<Option<InvitationRow>, AppError> {
    let sql = format!(
        "select i.user_id, u.email, i.token_hash, i.used_at is not null as used, i.expires_at <= now() as expired,
                (u.password_set_at is null and u.is_active and s.status = 'active') as pending,
                u.password_set_at is not null as has_password
         from invitations i
         join users u on u.salon_id = i.salon_id and u.id = i.user_id
         join salons s on s.id = i.salon_id
         where i.id = $1 {}",
        if lock { "for update of i" } else { "" }
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// The invitation of `user_id` opened within [`OPENED_WINDOW`], latest first: its id and
/// whether it may still be used (`Some(false)`: spent, or the account has a password).
pub async fn opened_for(tx: &mut TenantTx, user_id: i64) -> Result<Option<(i64, bool)>, AppError> {
    Ok(sqlx::query_as(
        "select i.id, (i.used_at is null and i.expires_at > now() and u.password_set_at is null and u.is_active)
         from invitations i join users u on u.salon_id = i.salon_id and u.id = i.user_id
         where i.user_id = $1 and i.opened_at > now() - make_interval(secs => $2)
         order by i.opened_at desc limit 1",
    )
    .bind(user_id)
    .bind(OPENED_WINDOW.as_secs_f64())
    .fetch_optional(tx.conn())
    .await?)
}

/// Spends the invitation used for a setup and expires the account's other ones.
pub async fn spend(tx: &mut TenantTx, id: i64, user_id: i64) -> Result<(), AppError> {
    sqlx::query("update invitations set used_at = now() where id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("update invitations set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// Opens an invitation link: records the opening and redirects (303) to the web app's
/// `/setup` page, where e-mail and password are then accepted for 30 minutes, once. A link
/// that is unknown, tampered with, used or expired redirects to `/setup?invitation=invalid`
/// (or `expired`) and records nothing.
#[utoipa::path(get, path = "/auth/invitations/{token}", tag = "auth",
    params(("token" = String, Path, description = "the invitation link's token")),
    responses((status = 303, description = "to `FRONTEND_URL/setup?email=…` when the invitation is valid, \
               `/setup?invitation=invalid|expired` otherwise")))]
pub async fn open_invitation(
    State(state): State<AppState>,
    AppPath(raw): AppPath<String>,
) -> Result<Response, AppError> {
    let setup = format!("{}/setup", state.config.frontend_url);
    let Some(token) = OpaqueToken::parse(&raw) else {
        return Ok(see_other(&format!("{setup}?invitation=invalid")));
    };
    let outcome = open(&state, &token).await?;
    Ok(see_other(&match outcome {
        Opened::Yes(email) => format!("{setup}?{}", query(&[("email", &email)])),
        Opened::Expired => format!("{setup}?invitation=expired"),
        Opened::No => format!("{setup}?invitation=invalid"),
    }))
}

enum Opened {
    Yes(String),
    Expired,
    No,
}

async fn open(state: &AppState, token: &OpaqueToken) -> Result<Opened, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let Some(row) = find(&mut tx, token.id, true).await? else {
        return Ok(Opened::No);
    };
    if !secret_matches(&token.secret, &row.token_hash) || row.used || !row.pending {
        return Ok(Opened::No);
    }
    if row.expired {
        return Ok(Opened::Expired);
    }
    sqlx::query("update invitations set opened_at = now() where id = $1")
        .bind(token.id)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(Opened::Yes(row.email))
}

/// A URL query string.
pub fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
