//! `/api/v1/auth/*` handlers.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ClientIp, CurrentUser, Role, TokenAnswer, UserAgent, UserOut, invitations,
    model::*,
    password, store,
    store::{NewAccount, NewSession},
    tokens::{OpaqueToken, secret_matches, sha256},
};
use crate::{
    AppState, audit,
    http::{AppJson, error::AppError},
    messaging::Email,
    notifications::{self, NewNotification, Notification},
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
        .routes(routes!(invitations::open_invitation))
        .routes(routes!(super::email_change::confirm_email_change))
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
        user_id: Some(user.id), entity: "salon", entity_id: Some(salon_id), action: "created",
        before: None, after: Some(serde_json::json!({ "name": salon_name })), ip: ip.as_deref(),
    })
    .await?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(answer)))
}

const EMAIL_TAKEN: &str = "Ви вже маєте обліковий запис з цим e-mail і паролем. Увійдіть на сторінці входу";

/// A DNS label from a salon name: transliterated, lower case, at most 50 characters.
pub fn slug_base(name: &str) -> String {
    let slug = slug::slugify(name);
    let cut: String = slug.chars().take(50).collect();
    let cut = cut.trim_matches('-').to_owned();
    if cut.is_empty() { "salon".to_owned() } else { cut }
}

/// Signs in with e-mail and password. Without a salon subdomain the e-mail finds the salon.
/// Each attempt is counted before the password is checked (a success is then not held
/// against anyone): per e-mail and client address, per address, and more softly per e-mail,
/// except from an address the account signed in from before.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = TokenAnswer), (status = 400, description = "wrong e-mail or password"),
              (status = 403, description = "inactive account or suspended salon"),
              (status = 429, description = "too many failed attempts, or too many password checks waiting; see Retry-After")))]
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

fn already_set_up() -> AppError {
    AppError::conflict("already_set_up", "Пароль уже встановлено (already set up). Увійдіть на сторінці входу")
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
              (status = 404, description = "no opened invitation for this e-mail, or an unknown link", body = crate::http::error::ErrorBody),
              (status = 409, description = "password already set up (`already_set_up`), or the e-mail is invited by several salons", body = crate::http::error::ErrorBody),
              (status = 400, description = "the link's invitation expired (`invite_expired`)", body = crate::http::error::ErrorBody),
              (status = 422, description = "weak password, or neither e-mail nor token", body = crate::http::error::ErrorBody),
              (status = 429, description = "too many attempts; see Retry-After", body = crate::http::error::ErrorBody)))]
async fn setup(
    State(state): State<AppState>,
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
        (Some(token), _) => (token.salon, check_link(&state, token, email.as_deref()).await?),
        (None, Some(email)) => opened_invitation(&state, email, host).await?,
        (None, None) => unreachable!("refused above"),
    };

    // The invitation is known valid: only now is the password worth hashing.
    let hash = password::hash(input.password).await?;
    let mut tx = state.db.begin(salon).await?;
    let row = invitations::find(&mut tx, invitation, true).await?.ok_or(AppError::NotFound)?;
    if row.used || row.has_password {
        return Err(already_set_up());
    }
    if row.expired || !row.pending {
        return Err(AppError::NotFound);
    }
    if !store::set_first_password(&mut tx, row.user_id, &hash).await? {
        return Err(already_set_up());
    }
    invitations::spend(&mut tx, invitation, row.user_id).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(row.user_id), entity: "user", entity_id: Some(row.user_id),
        action: "password_setup", before: None, after: None, ip: ip.as_deref(),
    })
    .await?;
    let user = store::find_user(&mut tx, row.user_id).await?.ok_or(AppError::NotFound)?;
    let notes = notify_setup(&mut tx, &user).await?;
    let answer = sign_in(&state, &mut tx, user, ip.as_deref(), ua.as_deref()).await?;
    tx.commit().await?;

    // Committed: what follows is best effort and never turns the answer into an error.
    for note in &notes {
        notifications::announce(&state, salon, note).await;
    }
    state.versions.bump(salon).await;
    let mail = setup_email(&answer.user);
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(&mail).await {
            tracing::error!(?error, "account set-up e-mail not sent");
        }
    });
    Ok(axum::Json(answer))
}

/// The invitation a link's token names, when it may be used (with `email`, only if it is the
/// invitation's).
async fn check_link(state: &AppState, token: &OpaqueToken, email: Option<&str>) -> Result<i64, AppError> {
    let mut tx = state.db.begin(token.salon).await?;
    let row = invitations::find(&mut tx, token.id, false).await?;
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
async fn opened_invitation(state: &AppState, email: &str, host: Option<SalonId>) -> Result<(SalonId, i64), AppError> {
    let mut usable = Vec::new();
    let mut spent = false;
    for account in accounts_in_scope(state, email, host).await? {
        if account.salon_status == SalonStatus::Suspended {
            continue;
        }
        let mut tx = state.db.begin(account.salon_id).await?;
        let opened = invitations::opened_for(&mut tx, account.user_id).await?;
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
async fn notify_setup(tx: &mut TenantTx, user: &UserOut) -> Result<Vec<Notification>, AppError> {
    let admins: Vec<i64> =
        sqlx::query_scalar("select id from users where role = 'admin' and is_active and id <> $1 order by id")
            .bind(user.id)
            .fetch_all(tx.conn())
            .await?;
    let name = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
    let who = if name.is_empty() { user.email.clone() } else { format!("{name} ({})", user.email) };
    let to_admins = format!("{who} встановив(-ла) пароль і увійшов(-ла) в систему");
    let mut notes = vec![
        notifications::create(tx, NewNotification {
            user_id: user.id,
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

fn setup_email(user: &UserOut) -> Email {
    Email {
        to: user.email.clone(),
        subject: "Ваш обліковий запис в Adelante налаштовано".into(),
        text: "Вітаємо!\n\nДля вашого облікового запису в Adelante щойно встановлено пароль.\n\
               Якщо це зробили не ви, негайно повідомте адміністратора салону: він може деактивувати \
               обліковий запис і надіслати нове запрошення.\n"
            .into(),
    }
}

const RESET_SENT: &str = "Якщо цей e-mail зареєстровано, ми надіслали на нього посилання для відновлення пароля";

/// Sends a password-reset link. Answers the same whether or not the e-mail exists. Every
/// request counts against the limits per client address and per e-mail.
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
    state.throttle.attempt(&state.throttle.per_request("forgot", ip.as_deref(), &email)).await?;

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
    responses((status = 200, body = MessageAnswer), (status = 400, description = "invalid, used or expired token"),
              (status = 429, description = "too many attempts from this address or on this link; see Retry-After")))]
async fn reset_password(
    State(state): State<AppState>,
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
