//! A change of a user's login e-mail, confirmed from the new mailbox.
//!
//! `PUT /settings/profile` with a new `email` checks the current password and mails a
//! single-use link to the new address (`GET /api/v1/auth/email-changes/{token}`, token
//! `<salon>.<id>.<secret>`, only the SHA-256 of the secret stored). The e-mail changes when the
//! link is opened; the old address is told. Until then the account keeps its old e-mail.

use std::time::Duration;

use super::{
    Parts,
    links::{LinkMail, unmailed_hash},
    tokens::{OpaqueToken, secret_matches},
};
use crate::{
    audit,
    error::{AppError, constraint_of},
    ids::UserId,
    messaging::{
        SalonContacts, SendEmail,
        templates::{self, EmailChanged},
    },
    tenancy::TenantTx,
};

/// How long a confirmation link stays valid.
pub const LINK_TTL: Duration = Duration::from_secs(24 * 3600);

const TAKEN: &str = "Цей e-mail уже використовує інший співробітник салону";

/// Records a requested change of `user_id`'s e-mail to `new_email` (normalised) and enqueues
/// the confirmation mail to the new address (sent once the transaction commits). Older requests
/// of the user are void. An address another account of the salon uses is a 409 `email_taken`.
pub async fn request(tx: &mut TenantTx, user_id: UserId, new_email: &str) -> Result<(), AppError> {
    let taken: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from users where email = $1 and id <> $2) as "taken!""#,
        new_email,
        user_id as UserId,
    )
    .fetch_one(tx.conn())
    .await?;
    if taken {
        return Err(AppError::conflict("email_taken", TAKEN));
    }
    sqlx::query!(
        "update email_changes set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null",
        user_id as UserId,
    )
    .execute(tx.conn())
    .await?;
    let id: i64 = sqlx::query_scalar!(
        "insert into email_changes (user_id, new_email, token_hash, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
        user_id as UserId,
        new_email,
        unmailed_hash(),
        LINK_TTL.as_secs_f64(),
    )
    .fetch_one(tx.conn())
    .await?;
    LinkMail::EmailChange(id).enqueue(tx).await
}

#[derive(Debug)]
struct ChangeRow {
    user_id: UserId,
    old_email: String,
    new_email: String,
    token_hash: Vec<u8>,
    usable: bool,
}

/// Applies the change a link names: `confirmed`, `invalid` or `taken` (see the route).
pub(super) async fn confirm(state: &Parts, token: &OpaqueToken) -> Result<&'static str, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let row = sqlx::query_as!(
        ChangeRow,
        r#"select c.user_id as "user_id: UserId", u.email as old_email, c.new_email, c.token_hash,
                (c.used_at is null and c.expires_at > now() and u.is_active) as "usable!"
         from email_changes c join users u on u.salon_id = c.salon_id and u.id = c.user_id
         where c.id = $1 for update of c, u"#,
        token.id,
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row.filter(|r| r.usable && secret_matches(&token.secret, &r.token_hash)) else {
        return Ok("invalid");
    };
    let changed = sqlx::query!(
        "update users set email = $2, is_verified = true, updated_at = now() where id = $1",
        row.user_id as UserId,
        row.new_email,
    )
    .execute(tx.conn())
    .await;
    match changed {
        Err(e) if constraint_of(&e) == Some("users_salon_id_email_key") => return Ok("taken"),
        other => {
            other?;
        }
    }
    sqlx::query!("update email_changes set used_at = now() where id = $1", token.id)
        .execute(tx.conn())
        .await?;
    sqlx::query!(
        "update email_changes set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null",
        row.user_id as UserId,
    )
    .execute(tx.conn())
    .await?;
    audit::record(
        &mut tx,
        audit::Change {
            user_id: Some(row.user_id),
            entity: "user",
            entity_id: Some(row.user_id.get()),
            action: "email_changed",
            before: Some(serde_json::json!({ "email": row.old_email })),
            after: Some(serde_json::json!({ "email": row.new_email })),
            ip: None,
        },
    )
    .await?;
    let salon = SalonContacts::read(&mut tx).await?;
    let notice = templates::render(&EmailChanged { new_email: row.new_email }, &row.old_email, &salon);
    SendEmail::enqueue(&mut tx, notice).await?;
    tx.commit().await?;
    state.versions.bump(token.salon).await;
    Ok("confirmed")
}
