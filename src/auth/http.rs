//! `/api/v1/auth/*` handlers.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    ClientIp, CurrentUser, Parts, Role, TokenAnswer, UserAgent, UserOut,
    account::{
        AMBIGUOUS_SALON, accounts_in_scope, change_own_password, invalid_credentials, normalise_email, required,
        sign_in, slug_base, usable,
    },
    email_change, invitations,
    links::{LinkMail, unmailed_hash},
    invitations::Opened,
    model::*,
    password, store,
    store::NewAccount,
    tokens::{OpaqueToken, secret_matches},
};
use crate::{
    audit,
    error::AppError,
    http::{AppJson, AppPath},
    ids::UserId,
    messaging::{
        SalonContacts, SendEmail,
        templates::{self, Welcome},
    },
    notifications,
    tenancy::{EmailAccount, HostSalon, Lock, SalonStatus, TenantTx},
};

/// Registers a salon and its first administrator, signs them in and welcomes them by mail.
///
/// One e-mail may have accounts in several salons (sign-in without a subdomain tells them
/// apart by password). Registering is refused (409 `email_taken`) only when the e-mail and
/// password already sign in to an account: the answer then tells the sender what a sign-in
/// with the same body would, and nothing about other salons' users otherwise. Throttled per
/// client address and per e-mail, counting every request.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterInput,
    responses((status = 201, body = TokenAnswer),
              (status = 409, description = "these credentials already sign in to an account (`email_taken`)"),
              (status = 422, description = "invalid fields"),
              (status = 429, description = "too many registrations from this address or for this e-mail; see Retry-After")))]
pub async fn register(
    State(state): State<Parts>,
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
    state.throttle.attempt(&state.throttle.per_request("register", ip.as_deref(), &email)).await?;
    // The same question login answers (do these credentials sign in?), so it goes through the
    // login crossing: the only one that returns password hashes.
    let existing = state.platform.login_accounts(&email, None).await?;
    if existing.is_empty() {
        password::verify(input.password.clone(), None).await?;
    }
    for account in existing {
        if password::verify(input.password.clone(), Some(account.password_hash)).await? {
            return Err(AppError::conflict("email_taken", EMAIL_TAKEN));
        }
    }
    let hash = password::hash(input.password).await?;
    let slug_base = slug_base(&salon_name);
    let (mut tx, _salon) = state.platform.register_salon(&salon_name, &slug_base, "Europe/Kyiv").await?;
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
        user_id: Some(UserId(user.id)), entity: "salon", entity_id: Some(salon_id), action: "created",
        before: None, after: Some(serde_json::json!({ "name": salon_name })), ip: ip.as_deref(),
    })
    .await?;
    let welcome = Welcome { first_name: user.first_name.clone(), login_url: format!("{}/login", state.config.frontend_url) };
    let welcome = templates::render(&welcome, &user.email, &SalonContacts::read(&mut tx).await?);
    SendEmail::enqueue(&mut tx, welcome).await?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(answer)))
}

const EMAIL_TAKEN: &str = "Ви вже маєте обліковий запис з цим e-mail і паролем. Увійдіть на сторінці входу";

/// Signs in with e-mail and password. Without a salon subdomain the e-mail finds the salon.
/// Each attempt is counted before the password is checked (a success is then not held
/// against anyone): per e-mail and client address, per address, and more softly per e-mail,
/// except from an address the account signed in from before.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenAnswer), (status = 400, description = "wrong e-mail or password"),
              (status = 403, description = "inactive account or suspended salon"),
              (status = 429, description = "too many failed attempts, or too many password checks waiting; see Retry-After")))]
pub async fn login(
    State(state): State<Parts>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    AppJson(input): AppJson<LoginInput>,
) -> Result<axum::Json<TokenAnswer>, AppError> {
    let email = input.email.trim().to_lowercase();
    if email.is_empty() || input.password.is_empty() {
        return Err(invalid_credentials());
    }
    let limits = state.throttle.sign_in(ip.as_deref(), &email).await?;
    state.throttle.attempt(&limits).await?;

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
        0 => return Err(invalid_credentials()),
        1 => matched.remove(0),
        _ => {
            state.throttle.succeeded(&limits).await;
            return Err(AppError::conflict("ambiguous_salon", AMBIGUOUS_SALON));
        }
    };
    state.throttle.succeeded(&limits).await;
    usable(&account)?;

    let mut tx = state.db.begin(account.salon_id).await?;
    let user = store::find_user(&mut tx, account.user_id).await?.ok_or_else(invalid_credentials)?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    Ok(axum::Json(answer))
}

/// Issues a new access token for a refresh token. The refresh token is not rotated: the web
/// client keeps sending the one it got at login, possibly twice at once.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshInput,
    responses((status = 200, body = RefreshAnswer), (status = 401, description = "unknown, expired or revoked refresh token")))]
pub async fn refresh(
    State(state): State<Parts>,
    AppJson(input): AppJson<RefreshInput>,
) -> Result<axum::Json<RefreshAnswer>, AppError> {
    let token = OpaqueToken::parse(&input.refresh_token).ok_or(AppError::Unauthenticated)?;
    let mut tx = state.db.begin(token.salon).await?;
    let session = store::session_for_refresh(&mut tx, token.id).await?.ok_or(AppError::Unauthenticated)?;
    if !secret_matches(&token.secret, &session.token_hash) || !session.usable {
        return Err(AppError::Unauthenticated);
    }
    store::touch_session(&mut tx, token.id).await?;
    let access = state.gate.keys.issue(token.salon, session.user_id, session.role.as_str(), token.id)?;
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
pub async fn logout(user: CurrentUser, mut tx: TenantTx) -> Result<StatusCode, AppError> {
    store::revoke_session(&mut tx, user.session_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserOut), (status = 401)))]
pub async fn me(user: CurrentUser, tx: TenantTx) -> Result<axum::Json<UserOut>, AppError> {
    tx.commit().await?;
    Ok(axum::Json(user.user))
}

/// First password of an account an administrator created without one, then signs in.
///
/// Proof of the mailbox is required: either `token`, the invitation link's token (then `email`
/// may be left out; when sent it must be the invitation's), or `email` within 30 minutes of
/// opening the invitation link (the web app's `/setup` page, which sends only e-mail and
/// password). Anything else is a 404, whether or not the e-mail has an account. The password
/// is hashed only once the invitation is known valid. The user and the salon's other
/// administrators get a notification, and the user an e-mail. Throttled per client address and
/// per e-mail (or link), counting every request.
#[utoipa::path(post, path = "/auth/setup", tag = "auth", request_body = SetupInput,
    responses((status = 200, body = TokenAnswer),
              (status = 404, description = "no opened invitation for this e-mail, or an unknown link", body = crate::error::ErrorBody),
              (status = 409, description = "password already set up (`already_set_up`), or the e-mail is invited by several salons", body = crate::error::ErrorBody),
              (status = 400, description = "the link's invitation expired (`invite_expired`)", body = crate::error::ErrorBody),
              (status = 422, description = "weak password, or neither e-mail nor token", body = crate::error::ErrorBody),
              (status = 429, description = "too many attempts; see Retry-After", body = crate::error::ErrorBody)))]
pub async fn setup(
    State(state): State<Parts>,
    State(hub): State<crate::realtime::Hub>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    UserAgent(ua): UserAgent,
    AppJson(input): AppJson<SetupInput>,
) -> Result<axum::Json<TokenAnswer>, AppError> {
    let email = match input.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(raw) => Some(normalise_email("email", raw)?),
        None => None,
    };
    let token = match input.token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(raw) => Some(OpaqueToken::parse(raw).ok_or(AppError::NotFound)?),
        None => None,
    };
    password::validate("password", &input.password)?;
    let subject = match (&token, &email) {
        (Some(t), _) => format!("link:{}.{}", t.salon, t.id),
        (None, Some(email)) => email.clone(),
        (None, None) => return Err(AppError::field("email", "Вкажіть e-mail")),
    };
    state.throttle.attempt(&state.throttle.per_request("setup", ip.as_deref(), &subject)).await?;

    let (salon, invitation) = match (&token, &email) {
        (Some(token), _) => (token.salon, invitations::check_link(&state, token, email.as_deref()).await?),
        (None, Some(email)) => invitations::opened_invitation(&state, email, host).await?,
        (None, None) => unreachable!("refused above"),
    };

    // The invitation is known valid: only now is the password worth hashing.
    let hash = password::hash(input.password).await?;
    let mut tx = state.db.begin(salon).await?;
    let row = invitations::find(&mut tx, invitation, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    if row.used || row.has_password {
        return Err(invitations::already_set_up());
    }
    if row.expired || !row.pending {
        return Err(AppError::NotFound);
    }
    if !store::set_first_password(&mut tx, row.user_id, &hash).await? {
        return Err(invitations::already_set_up());
    }
    invitations::spend(&mut tx, invitation, row.user_id).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(row.user_id), entity: "user", entity_id: Some(row.user_id.get()),
        action: "password_setup", before: None, after: None, ip: ip.as_deref(),
    })
    .await?;
    let user = store::find_user(&mut tx, row.user_id).await?.ok_or(AppError::NotFound)?;
    let notes = invitations::notify_setup(&mut tx, &user).await?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    let notice = invitations::setup_email(&mut tx, &answer.user).await?;
    SendEmail::enqueue(&mut tx, notice).await?;
    tx.commit().await?;

    // Committed: what follows is best effort and never turns the answer into an error.
    for note in &notes {
        notifications::announce(&hub, salon, note).await;
    }
    state.versions.bump(salon).await;
    Ok(axum::Json(answer))
}

const RESET_SENT: &str = "Якщо цей e-mail зареєстровано, ми надіслали на нього посилання для відновлення пароля";

/// Sends a password-reset link. Answers the same whether or not the e-mail exists. Every
/// request counts against the limits per client address and per e-mail.
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", request_body = ForgotInput,
    responses((status = 200, body = MessageAnswer), (status = 429)))]
pub async fn forgot_password(
    State(state): State<Parts>,
    HostSalon(host): HostSalon,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ForgotInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    let email = normalise_email("email", &input.email)?;
    // Every request counts here: this route sends mail, so it must not become a mail cannon.
    state.throttle.attempt(&state.throttle.per_request("forgot", ip.as_deref(), &email)).await?;

    // The mails go out from the queue, so the answer's timing does not tell whether the e-mail
    // exists by how long sending took.
    for account in accounts_in_scope(&state, &email, host).await? {
        if !account.is_active || account.salon_status == SalonStatus::Suspended {
            continue;
        }
        let mut tx = state.db.begin(account.salon_id).await?;
        let id = store::create_reset(&mut tx, account.user_id, &unmailed_hash(), state.config.password_reset_ttl).await?;
        LinkMail::PasswordReset(id).enqueue(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(axum::Json(MessageAnswer { message: RESET_SENT.into() }))
}

/// Sets a new password with a reset token; every session of the account is signed out.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", request_body = ResetInput,
    responses((status = 200, body = MessageAnswer), (status = 400, description = "invalid, used or expired token"),
              (status = 429, description = "too many attempts from this address or on this link; see Retry-After")))]
pub async fn reset_password(
    State(state): State<Parts>,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ResetInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    let invalid = || AppError::bad_request("invalid_token", "Посилання недійсне або застаріле. Запросіть нове");
    let token = OpaqueToken::parse(&input.token).ok_or_else(invalid)?;
    password::validate("password", &input.password)?;
    let subject = format!("link:{}.{}", token.salon, token.id);
    state.throttle.attempt(&state.throttle.per_request("reset", ip.as_deref(), &subject)).await?;
    let usable = |reset: &store::ResetRow| {
        secret_matches(&token.secret, &reset.token_hash) && reset.used_at.is_none() && !reset.expired && reset.user_active
    };
    // The password is hashed only for a token known to be valid, and outside the transaction.
    let mut check = state.db.begin(token.salon).await?;
    let known = store::lock_reset(&mut check, token.id).await?.is_some_and(|r| usable(&r));
    check.commit().await?;
    if !known {
        return Err(invalid());
    }
    let hash = password::hash(input.password).await?;
    let mut tx = state.db.begin(token.salon).await?;
    let reset = store::lock_reset(&mut tx, token.id).await?.ok_or_else(invalid)?;
    if !usable(&reset) {
        return Err(invalid());
    }
    store::set_password(&mut tx, reset.user_id, &hash).await?;
    store::spend_resets(&mut tx, reset.user_id).await?;
    store::revoke_sessions_of(&mut tx, reset.user_id, None).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(reset.user_id), entity: "user", entity_id: Some(reset.user_id.get()),
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
pub async fn change_password(
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ChangePasswordInput>,
) -> Result<axum::Json<MessageAnswer>, AppError> {
    change_own_password(&mut tx, &user, input.old_password, input.new_password, "new_password", ip.as_deref()).await?;
    tx.commit().await?;
    Ok(axum::Json(MessageAnswer { message: "Пароль змінено".into() }))
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
    State(state): State<Parts>,
    AppPath(raw): AppPath<String>,
) -> Result<Response, AppError> {
    let setup = format!("{}/setup", state.config.frontend_url);
    let Some(token) = OpaqueToken::parse(&raw) else {
        return Ok(see_other(&format!("{setup}?invitation=invalid")));
    };
    let outcome = invitations::open(&state, &token).await?;
    Ok(see_other(&match outcome {
        Opened::Yes(email) => format!("{setup}?{}", query(&[("email", &email)])),
        Opened::Expired => format!("{setup}?invitation=expired"),
        Opened::No => format!("{setup}?invitation=invalid"),
    }))
}

fn see_other(location: &str) -> Response {
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

/// A URL query string.
fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Confirms an e-mail change from the link mailed to the new address, then redirects (303) to
/// the web app's profile settings: `?emailChange=confirmed` when the e-mail changed,
/// `invalid` for an unknown, used or expired link, `taken` when another account of the salon
/// took the address meanwhile. The old address is told about the change.
#[utoipa::path(get, path = "/auth/email-changes/{token}", tag = "auth",
    params(("token" = String, Path, description = "the confirmation link's token")),
    responses((status = 303, description = "to `FRONTEND_URL/settings?emailChange=confirmed|invalid|taken`")))]
pub async fn confirm_email_change(
    State(state): State<Parts>,
    AppPath(raw): AppPath<String>,
) -> Result<Response, AppError> {
    let outcome = match OpaqueToken::parse(&raw) {
        Some(token) => email_change::confirm(&state, &token).await?,
        None => "invalid",
    };
    Ok(see_other(&format!(
        "{}/settings?{}",
        state.config.frontend_url,
        query(&[("emailChange", outcome)])
    )))
}
