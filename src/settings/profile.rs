//! `/settings/profile`: the signed-in user's own profile and password. Any signed-in user may
//! use these routes, for their own account only (the user comes from the token; there is no
//! id to point at someone else).

use axum::{Json, extract::State};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    avatar,
    profile_model::{Profile, ProfileChanges},
    profile_store as store,
};
use crate::{
    AppState, audit,
    auth::{ClientIp, CurrentUser},
    http::{AppJson, error::AppError},
    tenancy::TenantTx,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_profile, update_profile))
        .routes(routes!(change_profile_password))
        .merge(avatar::router())
}

/// The signed-in user's profile.
#[utoipa::path(get, path = "/settings/profile", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401)))]
async fn get_profile(user: CurrentUser, mut tx: TenantTx) -> Result<Json<Profile>, AppError> {
    let profile = store::load(&mut tx, user.id, false).await?;
    tx.commit().await?;
    Ok(Json(profile))
}

/// Changes any subset of the signed-in user's profile and answers the whole profile. `role`
/// and `avatar` do not change here.
///
/// A new `email` must come with `currentPassword` (422 on `currentPassword` without it, 400
/// `invalid_credentials` when wrong) and be free within the salon (409 otherwise). It does
/// not take effect here: a single-use link (valid 24 hours) is mailed to the new address, and
/// the e-mail changes when it is opened (`GET /auth/email-changes/{token}`), the old address
/// being told. Until then the answer, and the login, keep the old e-mail; the other fields
/// of the same body are saved at once.
#[utoipa::path(put, path = "/settings/profile", tag = "settings", security(("bearer" = [])),
    request_body = ProfileChanges,
    responses((status = 200, body = Profile, description = "the profile; a new e-mail awaits its confirmation"),
              (status = 400, description = "wrong `currentPassword` (`invalid_credentials`)", body = crate::http::error::ErrorBody),
              (status = 401),
              (status = 409, description = "the e-mail belongs to another account of the salon", body = crate::http::error::ErrorBody),
              (status = 422, description = "invalid fields, named in `details` (a new e-mail without `currentPassword`)", body = crate::http::error::ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(mut changes): AppJson<ProfileChanges>,
) -> Result<Json<Profile>, AppError> {
    let current_password = changes.current_password.take();
    let before = store::load(&mut tx, user.id, true).await?;
    let mut after = changes.apply(&before, chrono::Utc::now().date_naive())?;
    let mut confirmation = None;
    if after.email != before.email {
        let Some(current) = current_password.filter(|p| !p.is_empty()) else {
            return Err(AppError::field("currentPassword", "Щоб змінити e-mail, введіть поточний пароль"));
        };
        let stored = store::password_hash(&mut tx, user.id).await?;
        if !crate::auth::password::verify(current, stored).await? {
            return Err(AppError::bad_request("invalid_credentials", "Поточний пароль невірний"));
        }
        confirmation = Some(crate::auth::email_change::request(&mut tx, &state, user.id, &after.email).await?);
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "user",
                entity_id: Some(user.id),
                action: "email_change_requested",
                before: Some(serde_json::json!({ "email": before.email })),
                after: Some(serde_json::json!({ "email": after.email })),
                ip: ip.as_deref(),
            },
        )
        .await?;
        after.email = before.email.clone();
    }
    let (was, now) = (editable(&before), editable(&after));
    if was != now {
        store::save(&mut tx, &after).await?;
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "user",
                entity_id: Some(user.id),
                action: "profile_updated",
                before: Some(was),
                after: Some(now),
                ip: ip.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(mail) = confirmation
        && let Err(error) = state.mailer.send(&mail).await
    {
        tracing::error!(?error, "e-mail change confirmation not sent");
    }
    Ok(Json(after))
}

/// The fields a profile edit may change, for comparison and the audit trail.
fn editable(p: &Profile) -> serde_json::Value {
    serde_json::json!({
        "email": p.email, "firstName": p.first_name, "lastName": p.last_name, "phone": p.phone,
        "preferences": p.preferences.0, "birthDate": p.birth_date, "address": p.address,
        "emergencyContact": p.emergency_contact, "emergencyPhone": p.emergency_phone,
        "specialization": p.specialization,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    /// Also accepted as `oldPassword`.
    #[serde(alias = "oldPassword")]
    pub current_password: String,
    /// 8 to 128 characters.
    pub new_password: String,
    /// When sent, must equal `newPassword`.
    pub confirm_password: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PasswordChanged {
    pub message: String,
}

/// Changes the signed-in user's password (the logic of `POST /auth/change-password`): the
/// current password must match; the user's other sessions are signed out, this one stays.
#[utoipa::path(post, path = "/settings/profile/password", tag = "settings", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 200, body = PasswordChanged), (status = 401),
              (status = 400, description = "wrong current password (`invalid_credentials`)", body = crate::http::error::ErrorBody),
              (status = 422, description = "weak new password, or the confirmation differs", body = crate::http::error::ErrorBody)))]
async fn change_profile_password(
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<PasswordChange>,
) -> Result<Json<PasswordChanged>, AppError> {
    if input
        .confirm_password
        .as_ref()
        .is_some_and(|c| *c != input.new_password)
    {
        return Err(AppError::field("confirmPassword", "Паролі не збігаються"));
    }
    crate::auth::change_own_password(
        &mut tx,
        &user,
        input.current_password,
        input.new_password,
        "newPassword",
        ip.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(PasswordChanged {
        message: "Пароль змінено".into(),
    }))
}
