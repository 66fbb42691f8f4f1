//! `/settings/profile` handlers: the signed-in user's own profile, password and avatar. Any
//! signed-in user may use these routes, for their own account only (the user comes from the
//! token; there is no id to point at someone else).

use std::sync::Arc;

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{
    avatar::thumbnail,
    model::{Profile, ProfileChanges, editable},
};
use crate::{
    audit,
    auth::{ClientIp, CurrentUser, profile as store},
    config::Config,
    error::AppError,
    http::AppJson,
    storage::{FileKey, FileStore},
    tenancy::{Lock, SalonClock, TenantTx},
};

/// The signed-in user's profile.
#[utoipa::path(get, path = "/settings/profile", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401)))]
pub async fn get_profile(user: CurrentUser, mut tx: TenantTx) -> Result<Json<Profile>, AppError> {
    let profile = store::load(&mut tx, user.id, Lock::No).await?;
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
              (status = 400, description = "wrong `currentPassword` (`invalid_credentials`)", body = crate::error::ErrorBody),
              (status = 401),
              (status = 409, description = "the e-mail belongs to another account of the salon", body = crate::error::ErrorBody),
              (status = 422, description = "invalid fields, named in `details` (a new e-mail without `currentPassword`)", body = crate::error::ErrorBody)))]
pub async fn update_profile(
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(mut changes): AppJson<ProfileChanges>,
) -> Result<Json<Profile>, AppError> {
    let current_password = changes.current_password.take();
    let before = store::load(&mut tx, user.id, Lock::ForUpdate).await?;
    // The salon's day, not UTC's: near midnight they differ.
    let today = SalonClock::read(&mut tx).await?.today();
    let mut after = changes.apply(&before, today)?;
    if after.email != before.email {
        let Some(current) = current_password.filter(|p| !p.is_empty()) else {
            return Err(AppError::field("currentPassword", "Щоб змінити e-mail, введіть поточний пароль"));
        };
        let stored = store::password_hash(&mut tx, user.id).await?;
        if !crate::auth::password::verify(current, stored).await? {
            return Err(AppError::bad_request("invalid_credentials", "Поточний пароль невірний"));
        }
        crate::auth::email_change::request(&mut tx, user.id, &after.email).await?;
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "user",
                entity_id: Some(user.id.get()),
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
                entity_id: Some(user.id.get()),
                action: "profile_updated",
                before: Some(was),
                after: Some(now),
                ip: ip.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Json(after))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChange {
    /// Also accepted as `oldPassword`.
    #[serde(alias = "oldPassword")]
    pub current_password: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
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
              (status = 400, description = "wrong current password (`invalid_credentials`)", body = crate::error::ErrorBody),
              (status = 422, description = "weak new password, or the confirmation differs", body = crate::error::ErrorBody)))]
pub async fn change_profile_password(
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

/// The multipart body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AvatarUpload {
    /// A PNG, JPEG or WebP image (the part may also be named `avatar`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Sets the signed-in user's avatar and answers the profile, whose `avatar` is the new URL.
#[utoipa::path(post, path = "/settings/profile/avatar", tag = "settings", security(("bearer" = [])),
    request_body(content = AvatarUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = Profile), (status = 401),
              (status = 400, description = "not a multipart upload", body = crate::error::ErrorBody),
              (status = 413, description = "larger than AVATAR_MAX_BYTES (5 MiB by default)", body = crate::error::ErrorBody),
              (status = 422, description = "no file; not a PNG, JPEG or WebP image; damaged; or over 10000 px a side", body = crate::error::ErrorBody)))]
pub async fn upload_avatar(
    State(config): State<Arc<Config>>,
    State(files): State<FileStore>,
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Json<Profile>, AppError> {
    let upload = upload.map_err(|_| {
        AppError::bad_request("not_multipart", "Надішліть файл як multipart/form-data")
    })?;
    let bytes = read_image_part(upload, config.avatar_max_bytes).await?;
    let png = thumbnail(bytes).await?;
    let raw_key = format!(
        "salons/{}/avatars/{}-{}.png",
        user.salon.get(),
        user.id,
        uuid::Uuid::new_v4().simple()
    );
    let key = FileKey::parse(&raw_key)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad avatar key {raw_key}")))?;
    files.put(&key, png.into()).await?;
    let url = FileStore::url(&config, &key);

    let saved = async {
        let before = store::load(&mut tx, user.id, Lock::ForUpdate).await?;
        store::set_avatar(&mut tx, user.id, Some((&url, key.as_str()))).await?;
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "user",
                entity_id: Some(user.id.get()),
                action: "avatar_updated",
                before: Some(json!({ "avatar": before.avatar })),
                after: Some(json!({ "avatar": url })),
                ip: ip.as_deref(),
            },
        )
        .await?;
        let after = store::load(&mut tx, user.id, Lock::No).await?;
        tx.commit().await?;
        Ok::<_, AppError>((before, after))
    }
    .await;
    match saved {
        Ok((before, after)) => {
            forget_file(&files, before.avatar_key.as_deref()).await;
            Ok(Json(after))
        }
        Err(e) => {
            forget_file(&files, Some(key.as_str())).await;
            Err(e)
        }
    }
}

/// Removes the signed-in user's avatar (and its file) and answers the profile. Removing when
/// there is none is not an error.
#[utoipa::path(delete, path = "/settings/profile/avatar", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401)))]
pub async fn delete_avatar(
    State(files): State<FileStore>,
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
) -> Result<Json<Profile>, AppError> {
    let before = store::load(&mut tx, user.id, Lock::ForUpdate).await?;
    if before.avatar.is_some() {
        store::set_avatar(&mut tx, user.id, None).await?;
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "user",
                entity_id: Some(user.id.get()),
                action: "avatar_removed",
                before: Some(json!({ "avatar": before.avatar })),
                after: Some(json!({ "avatar": null })),
                ip: ip.as_deref(),
            },
        )
        .await?;
    }
    let after = store::load(&mut tx, user.id, Lock::No).await?;
    tx.commit().await?;
    forget_file(&files, before.avatar_key.as_deref()).await;
    Ok(Json(after))
}

/// Deletes a file no row points to any more. A failure leaves an orphan file, not a broken
/// profile, so it is logged rather than answered.
async fn forget_file(files: &FileStore, key: Option<&str>) {
    let Some(key) = key.and_then(FileKey::parse) else {
        return;
    };
    if let Err(error) = files.delete(&key).await {
        tracing::error!(?error, %key, "avatar file not deleted");
    }
}

/// The bytes of the part named `file` (or `avatar`), at most `max` of them.
async fn read_image_part(mut upload: Multipart, max: usize) -> Result<Vec<u8>, AppError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::bad_request(
                "malformed_multipart",
                "Не вдалося прочитати завантажений файл",
            )
        }
    };
    while let Some(mut field) = upload.next_field().await.map_err(broken)? {
        if !matches!(field.name(), Some("file" | "avatar")) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > max {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(AppError::field("file", "Файл порожній"));
        }
        return Ok(bytes);
    }
    Err(AppError::field("file", "Додайте зображення у полі file"))
}
