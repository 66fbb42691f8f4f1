//! `/settings/salon`: the salon's identity, contacts, hours and working rules.

use axum::{Json, extract::State};
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    cache,
    salon_model::{SalonChanges, SalonSettings},
    salon_store as store,
};
use crate::{
    AppState, audit,
    auth::{ClientIp, CurrentUser},
    http::{AppJson, error::AppError},
    tenancy::TenantTx,
};

/// May change the salon's identity and contacts.
pub const INFO: &str = "settings.info.access";
/// May change how the salon works: zone, currency, hours, slot step, booking, reminders.
pub const GENERAL: &str = "settings.general.access";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_salon_settings, update_salon_settings))
}

/// The salon's settings. Any signed-in user of the salon may read them (the calendar needs the
/// hours and slot step). Served from the cache when it holds them.
#[utoipa::path(get, path = "/settings/salon", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = SalonSettings), (status = 401)))]
async fn get_salon_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    mut tx: TenantTx,
) -> Result<Json<SalonSettings>, AppError> {
    if let Some(cached) = cache::get::<SalonSettings>(&state.kv, user.salon).await {
        return Ok(Json(cached));
    }
    let settings = store::load(&mut tx, false).await?;
    tx.commit().await?;
    cache::fill(&state.kv, user.salon, &settings).await;
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
              (status = 403, description = "lacks settings.info.access or settings.general.access for a field sent", body = crate::http::error::ErrorBody),
              (status = 422, description = "invalid fields, named in `details`", body = crate::http::error::ErrorBody)))]
async fn update_salon_settings(
    State(state): State<AppState>,
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
    let before = store::load(&mut tx, true).await?;
    let today = chrono::Utc::now().date_naive();
    let after = changes.apply(&before, today)?;
    if after != before {
        store::save(&mut tx, &after).await?;
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
    cache::forget(&state.kv, user.salon).await;
    Ok(Json(after))
}

/// The fields that changed, before and after.
fn difference(before: &SalonSettings, after: &SalonSettings) -> Result<(Value, Value), AppError> {
    let as_map = |s: &SalonSettings| match serde_json::to_value(s) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AppError::Internal(anyhow::anyhow!(
            "settings serialise to an object"
        ))),
        Err(e) => Err(AppError::Internal(e.into())),
    };
    let (old, new) = (as_map(before)?, as_map(after)?);
    let (mut was, mut now) = (Map::new(), Map::new());
    for (key, value) in new {
        if old.get(&key) != Some(&value) {
            was.insert(key.clone(), old.get(&key).cloned().unwrap_or(Value::Null));
            now.insert(key, value);
        }
    }
    Ok((Value::Object(was), Value::Object(now)))
}
