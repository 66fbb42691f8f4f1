//! `/api/v1/auth/*` handlers.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ClientIp, CurrentUser, Role, TokenAnswer, UserAgent, UserOut,
    model::*,
    password, store,
    store::{NewAccount, NewSession},
    throttle::Throttle,
    tokens::{OpaqueToken, secret_matches, sha256},
};
use crate::{
    AppState, audit,
    http::{AppJson, error::AppError},
    messaging::Email,
    tenancy::{EmailAccount, HostSalon, SalonId, SalonStatus, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(setup))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
}

fn invalid_credentials() -> AppError {
    AppError::bad_request("invalid_credentials", "Невірний e-mail або пароль")
}

const AMBIGUOUS_SALON: &str =
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

fn required(field: &str, value: &str, max: usize) -> Result<String, AppError> {
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
async fn sign_in(
    state: &AppState,
    tx: &mut TenantTx,
    user: UserOut,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<TokenAnswer, AppError> {
    let secret = OpaqueToken::new_secret();
    let hash = sha256(&secret);
    let session_id = store::create_session(
        tx,
        NewSession { user_id: user.id, token_hash: &hash, user_agent, ip, ttl: state.config.refresh_token_ttl },
    )
    .await?;
    let refresh = OpaqueToken { salon: tx.salon(), id: session_id, secret };
    let access = state.keys.issue(tx.salon(), user.id, user.role.as_str(), session_id)?;
    Ok(TokenAnswer {
        access_token: access,
        refresh_token: refresh.encode(),
        token_type: "bearer",
        expires_in: state.config.access_token_ttl.as_secs(),
        user,
    })
}

/// Registers a salon and its first administrator, and signs them in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterInput,
    responses((status = 201, body = TokenAnswer), (status = 409, description = "e-mail already registered"),
              (status = 422, description = "invalid fields")))]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    AppJson(input): AppJson<RegisterInput>,
) -> Result<(StatusCode, axum::Json<TokenAnswer>), AppError> {
    let email = normalise_email("email", &input.email)?;
    password::validate("password", &input.password)?;
    let first_name = required("first_name", &input.first_name, 100)?;
    let last_name = required("last_name", &input.last_name, 100)?;
    let phone = required("phone", &input.phone, 32)?;
    let salon_name = required("salon_name", &input.salon_name, 200)?;
    let hash = password::hash(input.password).await?;
    let slug_base = slug_base(&salon_name);
    let (mut tx, _salon) = state.platform.register_salon(&salon_name, &slug_base, "Europe/Kyiv", &email).await?;
    let account = NewAccount {
        email,
        password_hash: Some(hash),
        first_name,
        last_name,
        phone: Some(phone),
        role: Role::Admin,
    };
    let user = store::create_account(&mut tx, &account).await?;
    store::seed_role_permissions(&mut tx).await?;
    let salon_id = tx.salon().get();
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "salon", entity_id: Some(salon_id), action: "created",
        before: None, after: Some(serde_json::json!({ "name": salon_name })), ip: ip.as_deref(),
    })
    .await?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(answer)))
}

/// A DNS label from a salon name: transliterated, lower case, at most 50 characters.
pub fn slug_base(name: &str) -> String {
    let slug = slug::slugify(name);
    let cut: String = slug.chars().take(50).collect();
    let cut = cut.trim_matches('-').to_owned();
    if cut.is_empty() { "salon".to_owned() } else { cut }
}

/// Signs in with e-mail and password. Without a salon subdomain the e-mail finds the salon.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenAnswer), (status = 400, description = "wrong e-mail or password"),
              (status = 403, description = "inactive account or suspended salon"),
              (status = 429, description = "too many failed attempts; see Retry-After")))]
async fn login(
    State(state): State<AppState>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    AppJson(input): AppJson<LoginInput>,
) -> Result<axum::Json<TokenAnswer>, AppError> {
    let email = input.email.trim().to_lowercase();
    if email.is_empty() || input.password.is_empty() {
        return Err(invalid_credentials());
    }
    let keys = Throttle::keys("login", ip.as_deref(), &email);
    state.throttle.check(&keys).await?;

    let candidates = state.platform.login_accounts(&email, host).await?;
    let mut matched: Vec<EmailAccount> = Vec::new();
    if candidates.is_empty() {
        password::verify(input.password.clone(), None).await?;
    }
    for candidate in candidates {
        if password::verify(input.password.clone(), Some(candidate.password_hash)).await? {
            matched.push(candidate.account);
        }
    }
    let account = match matched.len() {
        0 => {
            state.throttle.fail(&keys).await?;
            return Err(invalid_credentials());
        }
        1 => matched.remove(0),
        _ => return Err(AppError::conflict("ambiguous_salon", AMBIGUOUS_SALON)),
    };
    state.throttle.clear(&keys).await?;
    usable(&account)?;

    let mut tx = state.db.begin(account.salon_id).await?;
    let user = store::find_user(&mut tx, account.user_id).await?.ok_or_else(invalid_credentials)?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    Ok(axum::Json(answer))
}

async fn accounts_in_scope(state: &AppState, email: &str, host: Option<SalonId>) -> Result<Vec<EmailAccount>, AppError> {
    let mut accounts = state.platform.accounts_by_email(email).await?;
    if let Some(salon) = host {
        accounts.retain(|a| a.salon_id == salon);
    }
    Ok(accounts)
}

fn usable(account: &EmailAccount) -> Result<(), AppError> {
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

/// Issues a new access token for a refresh token. The refresh token is not rotated: the web
/// client keeps sending the one it got at login, possibly twice at once.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshInput,
    responses((status = 200, body = RefreshAnswer), (status = 401, description = "unknown, expired or revoked refresh token")))]
async fn refresh(
    State(state): State<AppState>,
    AppJson(input): AppJson<RefreshInput>,
) -> Result<axum::Json<RefreshAnswer>, AppError> {
    let token = OpaqueToken::parse(&input.refresh_token).ok_or(AppError::Unauthenticated)?;
    let mut tx = state.db.begin(token.salon).await?;
    let session = store::session_for_refresh(&mut tx, token.id).await?.ok_or(AppError::Unauthenticated)?;
    if !secret_matches(&token.secret, &session.token_hash) || !session.usable {
        return Err(AppError::Unauthenticated);
    }
    store::touch_session(&mut tx, token.id).await?;
    let access = state.keys.issue(token.salon, session.user_id, session.role.as_str(), token.id)?;
    tx.commit().await?;
    Ok(axum::Json(RefreshAnswer {
        access_token: access,
        token_type: "bearer",
        expires_in: state.config.access_token_ttl.as_secs(),
    }))
}

/// Ends the current session: its refresh token and access tokens stop working.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401)))]
async fn logout(user: CurrentUser, mut tx: TenantTx) -> Result<StatusCode, AppError> {
    store::revoke_session(&mut tx, user.session_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserOut), (status = 401)))]
async fn me(user: CurrentUser, tx: TenantTx) -> Result<axum::Json<UserOut>, AppError> {
    tx.commit().await?;
    Ok(axum::Json(user.user))
}

/// First password of an account an administrator created without one (within the invitation
/// window), then signs in.
#[utoipa::path(post, path = "/auth/setup", tag = "auth", request_body = SetupInput,
    responses((status = 200, body = TokenAnswer), (status = 404, description = "no employee with this e-mail"),
              (status = 409, description = "password already set up"), (status = 400, description = "invitation expired"),
              (status = 429)))]
async fn setup(
    State(state): State<AppState>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    AppJson(input): AppJson<SetupInput>,
) -> Result<axum::Json<TokenAnswer>, AppError> {
    let email = normalise_email("email", &input.email)?;
    password::validate("password", &input.password)?;
    let keys = Throttle::keys("setup", ip.as_deref(), &email);
    state.throttle.check(&keys).await?;

    let accounts = accounts_in_scope(&state, &email, host).await?;
    if accounts.is_empty() {
        state.throttle.fail(&keys).await?;
        return Err(AppError::NotFound);
    }
    let mut pending: Vec<EmailAccount> = accounts.into_iter().filter(|a| !a.ever_had_password).collect();
    let account = match pending.len() {
        0 => {
            state.throttle.fail(&keys).await?;
            return Err(AppError::conflict("already_set_up", "Пароль уже встановлено (already set up). Увійдіть на сторінці входу"));
        }
        1 => pending.remove(0),
        _ => return Err(AppError::conflict("ambiguous_salon", AMBIGUOUS_SALON)),
    };
    usable(&account)?;
    let window = chrono::Duration::from_std(state.config.invite_ttl).map_err(anyhow::Error::from)?;
    if account.invited_at.is_none_or(|at| at + window < chrono::Utc::now()) {
        return Err(AppError::bad_request(
            "invite_expired",
            "Запрошення прострочене. Попросіть адміністратора салону надіслати нове",
        ));
    }

    let hash = password::hash(input.password).await?;
    let mut tx = state.db.begin(account.salon_id).await?;
    if !store::set_first_password(&mut tx, account.user_id, &hash).await? {
        return Err(AppError::conflict("already_set_up", "Пароль уже встановлено (already set up). Увійдіть на сторінці входу"));
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(account.user_id), entity: "user", entity_id: Some(account.user_id),
        action: "password_setup", before: None, after: None, ip: ip.as_deref(),
    })
    .await?;
    let user = store::find_user(&mut tx, account.user_id).await?.ok_or(AppError::NotFound)?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    state.throttle.clear(&keys).await?;
    Ok(axum::Json(answer))
}

const RESET_SENT: &str = "Якщо цей e-mail зареєстровано, ми надіслали на нього посилання для відновлення пароля";

/// Sends a password-reset link. Answers the same whether or not the e-mail exists.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", request_body = ForgotInput,
    responses((status = 200, body = MessageAnswer), (status = 429)))]
async fn forgot_password(
    State(state): State<AppState>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ForgotInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    let email = normalise_email("email", &input.email)?;
    // Every request counts here: this route sends mail, so it must not become a mail cannon.
    let keys = Throttle::keys("forgot", ip.as_deref(), &email);
    state.throttle.check(&keys).await?;
    state.throttle.fail(&keys).await?;

    let mut mails = Vec::new();
    for account in accounts_in_scope(&state, &email, host).await? {
        if !account.is_active || account.salon_status == SalonStatus::Suspended {
            continue;
        }
        let secret = OpaqueToken::new_secret();
        let mut tx = state.db.begin(account.salon_id).await?;
        let id = store::create_reset(&mut tx, account.user_id, &sha256(&secret), state.config.password_reset_ttl).await?;
        tx.commit().await?;
        let token = OpaqueToken { salon: account.salon_id, id, secret }.encode();
        mails.push(reset_email(&state, &email, &account.salon_name, &token));
    }
    // Sent after the answer so its timing does not tell whether the e-mail exists.
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        for mail in mails {
            if let Err(error) = mailer.send(&mail).await {
                tracing::error!(?error, "password reset e-mail not sent");
            }
        }
    });
    Ok(axum::Json(MessageAnswer { message: RESET_SENT.into() }))
}

fn reset_email(state: &AppState, to: &str, salon_name: &str, token: &str) -> Email {
    let minutes = state.config.password_reset_ttl.as_secs() / 60;
    let link = format!("{}/reset-password?token={token}", state.config.frontend_url);
    Email {
        to: to.to_owned(),
        subject: format!("Відновлення пароля — {salon_name}"),
        text: format!(
            "Вітаємо!\n\nХтось (можливо, ви) попросив відновити пароль до Adelante для салону «{salon_name}».\n\
             Щоб встановити новий пароль, відкрийте посилання (діє {minutes} хв):\n\n{link}\n\n\
             Якщо ви не просили відновлення, просто проігноруйте цей лист.\n"
        ),
    }
}

/// Sets a new password with a reset token; every session of the account is signed out.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetInput,
    responses((status = 200, body = MessageAnswer), (status = 400, description = "invalid, used or expired token")))]
async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ResetInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    let invalid = || AppError::bad_request("invalid_token", "Посилання недійсне або застаріле. Запросіть нове");
    let token = OpaqueToken::parse(&input.token).ok_or_else(invalid)?;
    password::validate("password", &input.password)?;
    let hash = password::hash(input.password).await?;
    let mut tx = state.db.begin(token.salon).await?;
    let reset = store::lock_reset(&mut tx, token.id).await?.ok_or_else(invalid)?;
    if !secret_matches(&token.secret, &reset.token_hash) || reset.used_at.is_some() || reset.expired || !reset.user_active {
        return Err(invalid());
    }
    store::set_password(&mut tx, reset.user_id, &hash).await?;
    store::spend_resets(&mut tx, reset.user_id).await?;
    store::revoke_sessions_of(&mut tx, reset.user_id, None).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(reset.user_id), entity: "user", entity_id: Some(reset.user_id),
        action: "password_reset", before: None, after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    // No signed-in user marked this request's salon: retire its cached sessions here.
    state.versions.bump(token.salon).await;
    Ok(axum::Json(MessageAnswer { message: "Пароль змінено. Увійдіть з новим паролем".into() }))
}

/// Changes the signed-in user's password; their other sessions are signed out.
#[utoipa::path(post, path = "/auth/change-password", tag = "auth", request_body = ChangePasswordInput,
    security(("bearer" = [])),
    responses((status = 200, body = MessageAnswer), (status = 400, description = "wrong current password")))]
async fn change_password(
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ChangePasswordInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    change_own_password(&mut tx, &user, input.old_password, input.new_password, "new_password", ip.as_deref()).await?;
    tx.commit().await?;
    Ok(axum::Json(MessageAnswer { message: "Пароль змінено".into() }))
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
        user_id: Some(user.id), entity: "user", entity_id: Some(user.id),
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
