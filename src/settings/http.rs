//! `/settings/salon` and `/settings/roles` handlers (the profile's are in `profile/http.rs`).

use axum::{Json, extract::State};

use super::{
    cache,
    roles::{self, ADMIN_NOT_EDITABLE, ManageAccess, RoleChanges, RolePermissions},
    salon::{GENERAL, INFO, difference},
    salon_model::{SalonChanges, SalonSettings},
    salon_store as store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser, Role, permissions},
    error::AppError,
    http::{AppJson, AppPath},
    kv::Kv,
    tenancy::{Lock, SalonClock, TenantTx},
};

/// The salon's settings. Any signed-in user of the salon may read them (the calendar needs the
/// hours and slot step). Served from the cache when it holds them.
#[utoipa::path(get, path = "/settings/salon", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = SalonSettings), (status = 401)))]
pub async fn get_salon_settings(
    State(kv): State<Kv>,
    user: CurrentUser,
    mut tx: TenantTx,
) -> Result<Json<SalonSettings>, AppError> {
    if let Some(cached) = cache::get::<SalonSettings>(&kv, user.salon).await {
        return Ok(Json(cached));
    }
    let settings = store::load(&mut tx, Lock::No).await?;
    tx.commit().await?;
    cache::fill(&kv, user.salon, &settings).await;
    Ok(Json(settings))
}

/// Changes any subset of the salon's settings and answers all of them.
///
/// Permissions (from the roles page's vocabulary): `settings.info.access` for the identity and
/// contacts (`name`, `legalName`, `city`, `address`, `phone`, `email`, `website`,
/// `description`, `openingDate`, `socialUrls`); `settings.general.access` for the working
/// rules (`timezone`, `currency`, `workingHours`, `slotStep`, `reminderHoursBefore`,
/// `onlineBookingEnabled`, `bookingMinLeadMinutes`, `bookingHorizonDays`,
/// `cancellationWindowHours`). A body touching both needs both; an empty body needs either.
/// Administrators have both.
///
/// Every field is checked first; any problem is a 422 naming each bad field and nothing is
/// written. A new timezone or slot step applies to availability immediately. Changing the
/// currency does not convert stored amounts.
#[utoipa::path(put, path = "/settings/salon", tag = "settings", security(("bearer" = [])),
    request_body = SalonChanges,
    responses((status = 200, body = SalonSettings), (status = 401),
              (status = 403, description = "lacks settings.info.access or settings.general.access for a field sent", body = crate::error::ErrorBody),
              (status = 422, description = "invalid fields, named in `details`", body = crate::error::ErrorBody)))]
pub async fn update_salon_settings(
    State(kv): State<Kv>,
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(changes): AppJson<SalonChanges>,
) -> Result<Json<SalonSettings>, AppError> {
    let (info, general) = (changes.touches_info(), changes.touches_general());
    let allowed = match (info, general) {
        (false, false) => user.may(INFO) || user.may(GENERAL),
        _ => (!info || user.may(INFO)) && (!general || user.may(GENERAL)),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let before = store::load(&mut tx, Lock::ForUpdate).await?;
    // The salon's day, not UTC's: near midnight they differ.
    let today = SalonClock::read(&mut tx).await?.today();
    let after = changes.apply(&before, today)?;
    if after != before {
        store::save(&mut tx, &after).await?;
        let reminders_move = (before.reminder_hours_before, before.quiet_hours_start, before.quiet_hours_end, &before.timezone)
            != (after.reminder_hours_before, after.quiet_hours_start, after.quiet_hours_end, &after.timezone);
        if reminders_move {
            crate::messaging::visits::reminder_rules_changed(&mut tx).await?;
        }
        let (was, now) = difference(&before, &after)?;
        audit::record(
            &mut tx,
            audit::Change {
                user_id: Some(user.id),
                entity: "salon",
                entity_id: Some(user.salon.get()),
                action: "updated",
                before: Some(was),
                after: Some(now),
                ip: ip.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    cache::forget(&kv, user.salon).await;
    Ok(Json(after))
}

/// Every role with the permissions it has in this salon, `admin` first. The array form: a
/// checkbox id present = granted, absent = not; a select id as `id:value` (`clients.show:own`);
/// module ids as in the roles page (`clients`). Only ids granted together with every parent are
/// listed. `admin` always has everything and is not editable. The OpenAPI description of this
/// route is `policies/permissions_enforcement.md`: what every id governs on the server.
#[utoipa::path(get, path = "/settings/roles", tag = "settings", security(("bearer" = [])),
    description = include_str!("../../policies/permissions_enforcement.md"),
    responses((status = 200, body = [RolePermissions]), (status = 401), (status = 403)))]
pub async fn list_roles(_: Can<ManageAccess>, mut tx: TenantTx) -> Result<Json<Vec<RolePermissions>>, AppError> {
    let roles = roles::matrix(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(roles))
}

/// Replaces a role's permissions. Applies from the users' next request.
#[utoipa::path(put, path = "/settings/roles/{role}", tag = "settings", security(("bearer" = [])),
    description = "Replaces the role's whole row. Body `{permissions: string[]}` in the array form: a \
        checkbox id present = granted, absent = not; a select id as `id:value` with one of its options \
        (`clients.show:own`); a module switch as its id (`clients`) or the roles screen's \
        `<module>.enabled`. 422 `validation_error` with `details` keyed by each bad entry as sent (unknown \
        id, value on a checkbox, missing or unknown select value, an id given twice, a child without its \
        parent) or by `permissions` for an empty list; nothing is written. 422 `role_not_editable` for \
        `admin`. Takes effect on the next request of every user with the role.",
    params(("role" = Role, Path, description = "`manager`, `master` or `receptionist`")),
    request_body = RoleChanges,
    responses((status = 200, body = RolePermissions), (status = 401), (status = 403),
              (status = 404, description = "no such role"),
              (status = 422, description = "bad entries, or `role_not_editable` for admin")))]
pub async fn update_role(
    Can(user, ..): Can<ManageAccess>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(role): AppPath<String>,
    AppJson(changes): AppJson<RoleChanges>,
) -> Result<Json<RolePermissions>, AppError> {
    let role = Role::parse(&role).ok_or(AppError::NotFound)?;
    if role == Role::Admin {
        return Err(AppError::unprocessable("role_not_editable", ADMIN_NOT_EDITABLE));
    }
    let row = permissions::decode(&changes.permissions).map_err(AppError::Invalid)?;
    let after = roles::replace(&mut tx, user.id, ip.as_deref(), role, row).await?;
    tx.commit().await?;
    Ok(Json(after))
}
