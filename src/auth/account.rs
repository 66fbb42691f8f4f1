//! What an account does beyond a single route: e-mail and name rules, signing in (a session
//! and its tokens), the sign-in checks of an account found by e-mail, and changing one's own
//! password (also `PUT /settings/profile/password`).

use super::{
    CurrentUser, Parts, TokenAnswer, UserOut, password, store,
    store::NewSession,
    tokens::{OpaqueToken, sha256},
};
use crate::{
    audit,
    error::AppError,
    ids::UserId,
    tenancy::{EmailAccount, SalonId, SalonStatus, TenantTx},
};

pub(super) fn invalid_credentials() -> AppError {
    AppError::bad_request("invalid_credentials", "Невірний e-mail або пароль")
}

pub(super) const AMBIGUOUS_SALON: &str =
    "Цей e-mail використовується в кількох салонах. Увійдіть через адресу свого салону";

/// Trims and lower-cases an e-mail, rejecting what is not one.
pub fn normalise_email(field: &str, raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::field(field, "Вкажіть e-mail"));
    }
    if email.len() > 254 || !email_address::EmailAddress::is_valid(&email) {
        return Err(AppError::field(field, "Некоректний e-mail"));
    }
    Ok(email)
}

pub(super) fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::field(field, "Обов'язкове поле"));
    }
    if v.chars().count() > max {
        return Err(AppError::field(field, format!("Не більше {max} символів")));
    }
    Ok(v.to_owned())
}

/// Opens a session for `user` in its salon and builds the token answer.
pub(super) async fn sign_in(
    state: &Parts,
    tx: &mut TenantTx,
    user: UserOut,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<TokenAnswer, AppError> {
    let secret = OpaqueToken::new_secret();
    let hash = sha256(&secret);
    let session_id = store::create_session(
        tx,
        NewSession { user_id: UserId(user.id), token_hash: &hash, user_agent, ip, ttl: state.config.refresh_token_ttl },
    )
    .await?;
    let refresh = OpaqueToken { salon: tx.salon(), id: session_id, secret };
    let access = state.gate.keys.issue(tx.salon(), UserId(user.id), user.role.as_str(), session_id)?;
    Ok(TokenAnswer {
        access_token: access,
        refresh_token: refresh.encode(),
        token_type: "bearer",
        expires_in: state.config.access_token_ttl.as_secs(),
        user,
    })
}

/// A DNS label from a salon name: transliterated, lower case, at most 50 characters.
pub fn slug_base(name: &str) -> String {
    let slug = slug::slugify(name);
    let cut: String = slug.chars().take(50).collect();
    let cut = cut.trim_matches('-').to_owned();
    if cut.is_empty() { "salon".to_owned() } else { cut }
}

pub(super) async fn accounts_in_scope(state: &Parts, email: &str, host: Option<SalonId>) -> Result<Vec<EmailAccount>, AppError> {
    let mut accounts = state.platform.accounts_by_email(email).await?;
    if let Some(salon) = host {
        accounts.retain(|a| a.salon_id == salon);
    }
    Ok(accounts)
}

pub(super) fn usable(account: &EmailAccount) -> Result<(), AppError> {
    if account.salon_status == SalonStatus::Suspended {
        return Err(crate::tenancy::SALON_SUSPENDED);
    }
    if !account.is_active {
        return Err(AppError::Denied {
            code: "account_inactive",
            message: "Обліковий запис деактивовано. Зверніться до адміністратора салону",
        });
    }
    Ok(())
}

/// Changes the signed-in user's password after checking the current one, and signs out their
/// other sessions (this one stays). A weak new password is a 422 on `new_field`; a wrong
/// current password a 400 `invalid_credentials`. The caller commits.
pub async fn change_own_password(
    tx: &mut TenantTx,
    user: &CurrentUser,
    current: String,
    new: String,
    new_field: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    password::validate(new_field, &new)?;
    let stored = store::password_hash(tx, user.id).await?;
    if !password::verify(current, stored).await? {
        return Err(AppError::bad_request("invalid_credentials", "Поточний пароль невірний"));
    }
    let hash = password::hash(new).await?;
    store::set_password(tx, user.id, &hash).await?;
    store::revoke_sessions_of(tx, user.id, Some(user.session_id)).await?;
    audit::record(tx, audit::Change {
        user_id: Some(user.id), entity: "user", entity_id: Some(user.id.get()),
        action: "password_changed", before: None, after: None, ip,
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_transliterate_and_fit_a_label() {
        assert_eq!(slug_base("Київ Б'юті"), "kiyiv-b-iuti");
        assert_eq!(slug_base("!!!"), "salon");
        assert!(slug_base(&"дуже довга назва ".repeat(10)).len() <= 50);
        assert!(!slug_base(&"a-".repeat(40)).ends_with('-'));
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalise_email("email", "  Olena@Example.COM ").unwrap(), "olena@example.com");
        assert!(normalise_email("email", "not-an-email").is_err());
        assert!(normalise_email("email", "").is_err());
    }
}
