//! A change of a user's login e-mail, confirmed from the new mailbox.
//!
//! `PUT /settings/profile` with a new `email` checks the current password and mails a
//! single-use link to the new address (`GET /api/v1/auth/email-changes/{token}`, token
//! `<salon>.<id>.<secret>`, only the SHA-256 of the secret stored). The e-mail changes when the
//! link is opened; the old address is told. Until then the account keeps its old e-mail.

use std::time::Duration;

use axum::{extract::State, response::Response};
use sqlx::FromRow;

use super::{
    invitations::{query, see_other},
    tokens::{OpaqueToken, secret_matches, sha256},
};
use crate::{
    AppState, audit,
    http::{
        AppPath,
        error::{AppError, constraint_of},
    },
    messaging::Email,
    tenancy::TenantTx,
};

/// How long a confirmation link stays valid.
pub const LINK_TTL: Duration = Duration::from_secs(24 * 3600);

const TAKEN: &str = "Цей e-mail уже використовує інший співробітник салону";

/// Records a requested change of `user_id`'s e-mail to `new_email` (normalised) and returns
/// the confirmation e-mail to send after commit. Older requests of the user are void. An
/// address another account of the salon uses is a 409 `email_taken`.
pub async fn request(tx: &mut TenantTx, state: &AppState, user_id: i64, new_email: &str) -> Result<Email, AppError> {
    let taken: bool = sqlx::query_scalar("select exists(select 1 from users where email = $1 and id <> $2)")
        .bind(new_email)
        .bind(user_id)
        .fetch_one(tx.conn())
        .await?;
    if taken {
        return Err(AppError::conflict("email_taken", TAKEN));
    }
    sqlx::query(
        "update email_changes set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null",
    )
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    let secret = OpaqueToken::new_secret();
    let id: i64 = sqlx::query_scalar(
        "insert into email_changes (user_id, new_email, token_hash, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
    )
    .bind(user_id)
    .bind(new_email)
    .bind(sha256(&secret))
    .bind(LINK_TTL.as_secs_f64())
    .fetch_one(tx.conn())
    .await?;
    let token = OpaqueToken {
        salon: tx.salon(),
        id,
        secret,
    }
    .encode();
    let link = format!("{}/api/v1/auth/email-changes/{token}", state.config.public_url);
    Ok(Email {
        to: new_email.to_owned(),
        subject: "Підтвердіть новий e-mail в Adelante".into(),
        text: format!(
            "Вітаємо!\n\nУ профілі Adelante попросили змінити e-mail для входу на цю адресу.\n\
             Щоб підтвердити зміну, відкрийте посилання (діє {} год, один раз):\n\n{link}\n\n\
             Доки зміну не підтверджено, для входу використовується попередній e-mail.\n\
             Якщо ви не просили цієї зміни, просто проігноруйте лист.\n",
            LINK_TTL.as_secs() / 3600
        ),
    })
}

#[derive(Debug, FromRow)]
struct ChangeRow {
    user_id: i64,
    old_email: String,
    new_email: String,
    token_hash: Vec<u8>,
    usable: bool,
}

/// Confirms an e-mail change from the link mailed to the new address, then redirects (303) to
/// the web app's profile settings: `?emailChange=confirmed` when the e-mail changed,
/// `invalid` for an unknown, used or expired link, `taken` when another account of the salon
/// took the address meanwhile. The old address is told about the change.
#[utoipa::path(get, path = "/auth/email-changes/{token}", tag = "auth",
    params(("token" = String, Path, description = "the confirmation link's token")),
    responses((status = 303, description = "to `FRONTEND_URL/settings?emailChange=confirmed|invalid|taken`")))]
pub async fn confirm_email_change(
    State(state): State<AppState>,
    AppPath(raw): AppPath<String>,
) -> Result<Response, AppError> {
    let outcome = match OpaqueToken::parse(&raw) {
        Some(token) => confirm(&state, &token).await?,
        None => "invalid",
    };
    Ok(see_other(&format!(
        "{}/settings?{}",
        state.config.frontend_url,
        query(&[("emailChange", outcome)])
    )))
}

async fn confirm(state: &AppState, token: &OpaqueToken) -> Result<&'static str, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let row: Option<ChangeRow> = sqlx::query_as(
        "select c.user_id, u.email as old_email, c.new_email, c.token_hash,
                (c.used_at is null and c.expires_at > now() and u.is_active) as usable
         from email_changes c join users u on u.salon_id = c.salon_id and u.id = c.user_id
         where c.id = $1 for update of c, u",
    )
    .bind(token.id)
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row.filter(|r| r.usable && secret_matches(&token.secret, &r.token_hash)) else {
        return Ok("invalid");
    };
    let changed = sqlx::query("update users set email = $2, is_verified = true, updated_at = now() where id = $1")
        .bind(row.user_id)
        .bind(&row.new_email)
        .execute(tx.conn())
        .await;
    match changed {
        Err(e) if constraint_of(&e) == Some("users_salon_id_email_key") => return Ok("taken"),
        other => {
            other?;
        }
    }
    sqlx::query("update email_changes set used_at = now() where id = $1")
        .bind(token.id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "update email_changes set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null",
    )
    .bind(row.user_id)
    .execute(tx.conn())
    .await?;
    audit::record(
        &mut tx,
        audit::Change {
            user_id: Some(row.user_id),
            entity: "user",
            entity_id: Some(row.user_id),
            action: "email_changed",
            before: Some(serde_json::json!({ "email": row.old_email })),
            after: Some(serde_json::json!({ "email": row.new_email })),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    state.versions.bump(token.salon).await;
    let notice = Email {
        to: row.old_email,
        subject: "E-mail для входу в Adelante змінено".into(),
        text: format!(
            "Вітаємо!\n\nE-mail для входу у ваш обліковий запис Adelante змінено на {}.\n\
             Якщо це зробили не ви, негайно повідомте адміністратора салону.\n",
            row.new_email
        ),
    };
    if let Err(error) = state.mailer.send(&notice).await {
        tracing::error!(?error, "e-mail change notice not sent");
    }
    Ok("confirmed")
}
