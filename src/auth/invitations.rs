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

use super::{
    Parts, UserOut,
    account::{AMBIGUOUS_SALON, accounts_in_scope},
    links::{LinkMail, unmailed_hash},
    tokens::{OpaqueToken, secret_matches},
};
use crate::{
    config::Config,
    error::AppError,
    ids::UserId,
    messaging::{
        Email, SalonContacts,
        templates::{self, AccountReady},
    },
    notifications::{self, NewNotification, Notification},
    tenancy::{Lock, SalonId, SalonStatus, TenantTx},
};

/// How long after opening the link a setup by e-mail and password is accepted.
pub const OPENED_WINDOW: Duration = Duration::from_secs(30 * 60);

/// Creates an invitation for a password-less account of the transaction's salon, expires the
/// account's older ones, and enqueues its mail (sent once the transaction commits; the link is
/// minted then, see [`super::links`]).
pub async fn issue(
    tx: &mut TenantTx,
    config: &Config,
    user_id: impl Into<UserId>,
    invited_by: Option<UserId>,
) -> Result<(), AppError> {
    // `impl Into`: the users API still names accounts by plain ids.
    let user_id: UserId = user_id.into();
    sqlx::query!(
        "update invitations set expires_at = least(expires_at, now())
         where user_id = $1 and used_at is null",
        user_id as UserId,
    )
    .execute(tx.conn())
    .await?;
    let invited =
        sqlx::query!("update users set invited_at = now(), updated_at = now() where id = $1", user_id as UserId)
            .execute(tx.conn())
            .await?;
    if invited.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let id: i64 = sqlx::query_scalar!(
        "insert into invitations (user_id, token_hash, invited_by, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
        user_id as UserId,
        unmailed_hash(),
        invited_by as Option<UserId>,
        config.invite_ttl.as_secs_f64(),
    )
    .fetch_one(tx.conn())
    .await?;
    LinkMail::Invitation(id).enqueue(tx).await
}

#[derive(Debug)]
pub struct InvitationRow {
    pub user_id: UserId,
    pub email: String,
    pub token_hash: Vec<u8>,
    pub used: bool,
    pub expired: bool,
    /// The account still has no password and is active, in an active salon.
    pub pending: bool,
    pub has_password: bool,
}

/// An invitation with what deciding on it needs; `Lock::ForUpdate` takes its row for update.
pub async fn find(tx: &mut TenantTx, id: i64, lock: Lock) -> Result<Option<InvitationRow>, AppError> {
    // One statement with and one without the row lock, the same columns in both.
    macro_rules! select_invitation {
        ($lock:literal) => {
            sqlx::query_as!(
                InvitationRow,
                r#"select i.user_id as "user_id: UserId", u.email, i.token_hash, i.used_at is not null as "used!",
                        i.expires_at <= now() as "expired!",
                        (u.password_set_at is null and u.is_active and s.status = 'active') as "pending!",
                        u.password_set_at is not null as "has_password!"
                 from invitations i
                 join users u on u.salon_id = i.salon_id and u.id = i.user_id
                 join salon_facts s on s.salon_id = i.salon_id
                 where i.id = $1 "#
                    + $lock,
                id,
            )
        };
    }
    Ok(if lock == Lock::ForUpdate {
        select_invitation!("for update of i").fetch_optional(tx.conn()).await?
    } else {
        select_invitation!("").fetch_optional(tx.conn()).await?
    })
}

/// The invitation of `user_id` opened within [`OPENED_WINDOW`], latest first: its id and
/// whether it may still be used (`Some(false)`: spent, or the account has a password).
pub async fn opened_for(tx: &mut TenantTx, user_id: UserId) -> Result<Option<(i64, bool)>, AppError> {
    Ok(sqlx::query!(
        r#"select i.id, (i.used_at is null and i.expires_at > now() and u.password_set_at is null and u.is_active) as "usable!"
         from invitations i join users u on u.salon_id = i.salon_id and u.id = i.user_id
         where i.user_id = $1 and i.opened_at > now() - make_interval(secs => $2)
         order by i.opened_at desc limit 1"#,
        user_id as UserId,
        OPENED_WINDOW.as_secs_f64(),
    )
    .map(|r| (r.id, r.usable))
    .fetch_optional(tx.conn())
    .await?)
}

/// Spends the invitation used for a setup and expires the account's other ones.
pub async fn spend(tx: &mut TenantTx, id: i64, user_id: UserId) -> Result<(), AppError> {
    sqlx::query!("update invitations set used_at = now() where id = $1", id)
        .execute(tx.conn())
        .await?;
    sqlx::query!(
        "update invitations set expires_at = least(expires_at, now()) where user_id = $1 and used_at is null",
        user_id as UserId,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub(super) enum Opened {
    Yes(String),
    Expired,
    No,
}

/// Records the opening of a link whose token is valid.
pub(super) async fn open(state: &Parts, token: &OpaqueToken) -> Result<Opened, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let Some(row) = find(&mut tx, token.id, Lock::ForUpdate).await? else {
        return Ok(Opened::No);
    };
    if !secret_matches(&token.secret, &row.token_hash) || row.used || !row.pending {
        return Ok(Opened::No);
    }
    if row.expired {
        return Ok(Opened::Expired);
    }
    sqlx::query!("update invitations set opened_at = now() where id = $1", token.id)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(Opened::Yes(row.email))
}

pub(super) fn already_set_up() -> AppError {
    AppError::conflict("already_set_up", "Пароль уже встановлено (already set up). Увійдіть на сторінці входу")
}

/// The invitation a link's token names, when it may be used (with `email`, only if it is the
/// invitation's).
pub(super) async fn check_link(state: &Parts, token: &OpaqueToken, email: Option<&str>) -> Result<i64, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let row = find(&mut tx, token.id, Lock::No).await?;
    tx.commit().await?;
    let row = row.filter(|r| secret_matches(&token.secret, &r.token_hash)).ok_or(AppError::NotFound)?;
    if email.is_some_and(|e| e != row.email) {
        return Err(AppError::NotFound);
    }
    if row.used || row.has_password {
        return Err(already_set_up());
    }
    if !row.pending {
        return Err(AppError::NotFound);
    }
    if row.expired {
        return Err(AppError::bad_request(
            "invite_expired",
            "Запрошення прострочене. Попросіть адміністратора салону надіслати нове",
        ));
    }
    Ok(token.id)
}

/// The invitation of `email` (in the host's salon, or any) opened in the last 30 minutes.
pub(super) async fn opened_invitation(state: &Parts, email: &str, host: Option<SalonId>) -> Result<(SalonId, i64), AppError> {
    let mut usable = Vec::new();
    let mut spent = false;
    for account in accounts_in_scope(state, email, host).await? {
        if account.salon_status == SalonStatus::Suspended {
            continue;
        }
        let mut tx = state.db.begin(account.salon_id).await?;
        let opened = opened_for(&mut tx, account.user_id).await?;
        tx.commit().await?;
        match opened {
            Some((id, true)) => usable.push((account.salon_id, id)),
            Some((_, false)) => spent = true,
            None => {}
        }
    }
    match usable.len() {
        0 if spent => Err(already_set_up()),
        0 => Err(AppError::NotFound),
        1 => Ok(usable.remove(0)),
        _ => Err(AppError::conflict("ambiguous_salon", AMBIGUOUS_SALON)),
    }
}

/// Tells the user and the salon's other active administrators that the account was set up.
pub(super) async fn notify_setup(tx: &mut TenantTx, user: &UserOut) -> Result<Vec<Notification>, AppError> {
    let admins: Vec<UserId> =
        sqlx::query_scalar!(
            r#"select id as "id: UserId" from users where role = 'admin' and is_active and id <> $1 order by id"#,
            user.id,
        )
        .fetch_all(tx.conn())
        .await?;
    let name = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
    let who = if name.is_empty() { user.email.clone() } else { format!("{name} ({})", user.email) };
    let to_admins = format!("{who} встановив(-ла) пароль і увійшов(-ла) в систему");
    let mut notes = vec![
        notifications::create(tx, NewNotification {
            user_id: UserId(user.id),
            kind: "success",
            title: "Обліковий запис налаштовано",
            message: "Пароль встановлено. Якщо це були не ви, негайно повідомте адміністратора салону",
            link: None,
        })
        .await?,
    ];
    for admin in admins {
        notes.push(
            notifications::create(tx, NewNotification {
                user_id: admin,
                kind: "info",
                title: "Співробітник налаштував обліковий запис",
                message: &to_admins,
                link: None,
            })
            .await?,
        );
    }
    Ok(notes)
}

/// The notice that an account's password was set up (queued with the change).
pub(super) async fn setup_email(tx: &mut TenantTx, user: &UserOut) -> Result<Email, AppError> {
    let salon = SalonContacts::read(tx).await?;
    Ok(templates::render(&AccountReady {}, &user.email, &salon))
}
