//! Handlers of `/staff` and `/staff/{id}`. Reads are open to every signed-in user (the
//! calendar makes one column per member); writes need `settings.staff.access`.
//!
//! Pay terms (`salary`, `commission`) are shown only to users with a salary permission
//! (`finances.salary_schemes`, `finances.salary_calculation`, `finances.salary_accrual`) or
//! staff management (`settings.staff.access`); to others both are `0` (the contract wants
//! non-null numbers). Writing them needs `finances.salary_schemes` (403 otherwise).

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;

use super::{
    model::{NewStaff, Staff, StaffChanges, StaffDetail, StaffFilter, StaffValues, role_for},
    store,
};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp, CurrentUser, NewAccount, Role, create_account, invitations},
    calendar::{self, facts::Holder},
    catalog,
    http::{AppJson, AppPath, AppQuery, error::AppError},
    permission,
    tenancy::TenantTx,
};

permission!(StaffWrite = "settings.staff.access");

/// The ids that show a member's pay terms.
const PAY_VIEW: [&str; 4] =
    ["finances.salary_schemes", "finances.salary_calculation", "finances.salary_accrual", "settings.staff.access"];
/// The id that sets them.
const PAY_WRITE: &str = "finances.salary_schemes";

/// The member as `user` may see them: pay terms zeroed without a pay permission.
fn shown(user: &CurrentUser, mut staff: Staff) -> Staff {
    if !PAY_VIEW.iter().any(|id| user.may(id)) {
        staff.salary = crate::money::Money(0);
        staff.commission = 0.0;
    }
    staff
}

/// 403 when the change sets pay terms the user may not set.
fn check_pay(user: &CurrentUser, values: &StaffValues) -> Result<(), AppError> {
    if (values.salary.is_some() || values.commission.is_some()) && !user.may(PAY_WRITE) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

pub(super) fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Members that are not deleted, by last then first name. Every match, no paging.
#[utoipa::path(get, path = "/staff", tag = "staff", security(("bearer" = [])), params(StaffFilter),
    responses((status = 200, body = [Staff])))]
pub async fn list_staff(
    user: CurrentUser,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<StaffFilter>,
) -> Result<Json<Vec<Staff>>, AppError> {
    let staff = store::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(staff.into_iter().map(|s| shown(&user, s)).collect()))
}

/// One member with appointment statistics.
#[utoipa::path(get, path = "/staff/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = StaffDetail), (status = 404)))]
pub async fn get_staff(user: CurrentUser, mut tx: TenantTx, AppPath(id): AppPath<i64>) -> Result<Json<StaffDetail>, AppError> {
    let staff = store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    let statistics = store::statistics(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(StaffDetail { staff: shown(&user, staff), statistics }))
}

/// Adds a member (active). With an e-mail, also creates their password-less account (role from
/// the position), which they complete through `POST /auth/setup`.
#[utoipa::path(post, path = "/staff", tag = "staff", security(("bearer" = [])), request_body = NewStaff,
    responses((status = 201, body = Staff), (status = 403),
              (status = 409, description = "e-mail already used by an account of this salon"), (status = 422)))]
pub async fn create_staff(
    State(state): State<AppState>,
    Can(user, ..): Can<StaffWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewStaff>,
) -> Result<(StatusCode, Json<Staff>), AppError> {
    let values = StaffChanges::from(input).validate()?;
    check_pay(&user, &values)?;
    check_services(&mut tx, &values).await?;
    let position = values.position.clone().unwrap_or_else(|| "master".to_owned());
    let invited = invite(&mut tx, &state, &user, ip.as_deref(), &values, &position).await?;
    let (user_id, mail) = invited.unzip();
    let id = store::insert(&mut tx, &values, user_id).await?;
    if let Some(ids) = &values.service_ids {
        store::replace_services(&mut tx, id, ids).await?;
    }
    let staff = store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id), action: "created",
        before: None, after: Some(json(&staff)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    invitations::send(&state, mail).await;
    Ok((StatusCode::CREATED, Json(shown(&user, staff))))
}

/// Changes the keys present in the body (`serviceIds` replaces the list). An e-mail given to a
/// member without an account creates one, as on creation. Setting `isActive: false` also
/// deactivates the member's account and ends its sessions.
#[utoipa::path(put, path = "/staff/{id}", tag = "staff", security(("bearer" = [])), request_body = StaffChanges,
    params(("id" = i64, Path)),
    responses((status = 200, body = Staff), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_staff(
    State(state): State<AppState>,
    Can(user, ..): Can<StaffWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<StaffChanges>,
) -> Result<Json<Staff>, AppError> {
    let values = changes.validate()?;
    check_pay(&user, &values)?;
    let before = store::find(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    ensure_may_touch(&mut tx, &user, before.user_id).await?;
    check_services(&mut tx, &values).await?;
    let new_user = match before.user_id {
        Some(_) => None,
        None => {
            let position = values.position.clone().unwrap_or_else(|| before.position.clone());
            let names = StaffValues {
                first_name: values.first_name.clone().or_else(|| Some(before.first_name.clone())),
                last_name: values.last_name.clone().or_else(|| Some(before.last_name.clone())),
                phone: values.phone.clone().or_else(|| Some(before.phone.clone())),
                email: values.email.clone(),
                ..Default::default()
            };
            invite(&mut tx, &state, &user, ip.as_deref(), &names, &position).await?
        }
    };
    let (new_user, mail) = new_user.unzip();
    store::update(&mut tx, id, &values, new_user).await?;
    if let Some(ids) = &values.service_ids {
        store::replace_services(&mut tx, id, ids).await?;
    }
    if let (true, Some(false), Some(user_id)) = (before.is_active, values.is_active, before.user_id) {
        crate::auth::deactivate_user(&mut tx, user_id).await?;
    }
    let after = store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    invitations::send(&state, mail).await;
    Ok(Json(shown(&user, after)))
}

/// Soft-deletes a member (inactive, hidden; history stays) and deactivates their account.
/// Refused with 409 `staff_has_appointments` while future appointments that still hold a slot
/// are booked with them.
#[utoipa::path(delete, path = "/staff/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404),
              (status = 409, description = "future appointments, or the salon's last administrator")))]
pub async fn delete_staff(
    Can(user, ..): Can<StaffWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    // The row lock orders this with bookings, which lock the member too (`active_member`).
    let before = store::find(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    ensure_may_touch(&mut tx, &user, before.user_id).await?;
    if calendar::facts::has_future_bookings(&mut tx, Holder::Member(id)).await? {
        return Err(AppError::conflict(
            "staff_has_appointments",
            "Співробітника не можна видалити: у нього є майбутні записи. Скасуйте або перенесіть їх спочатку",
        ));
    }
    store::soft_delete(&mut tx, id).await?;
    if let Some(user_id) = before.user_id {
        crate::auth::deactivate_user(&mut tx, user_id).await?;
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id), action: "deleted",
        before: Some(json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Only administrators change or deactivate a member whose account is an administrator's (403).
async fn ensure_may_touch(tx: &mut TenantTx, by: &CurrentUser, account: Option<i64>) -> Result<(), AppError> {
    let Some(account) = account else { return Ok(()) };
    if by.role == Role::Admin {
        return Ok(());
    }
    let role: Option<Role> =
        sqlx::query_scalar("select role from users where id = $1").bind(account).fetch_optional(tx.conn()).await?;
    if role == Some(Role::Admin) { Err(AppError::Forbidden) } else { Ok(()) }
}

/// Every id in `serviceIds` must be a live service of this salon (422, nothing written).
async fn check_services(tx: &mut TenantTx, values: &StaffValues) -> Result<(), AppError> {
    let Some(ids) = &values.service_ids else { return Ok(()) };
    let live = catalog::live_ids(tx, ids).await?;
    if live.len() != ids.len() {
        let missing: Vec<String> = ids.iter().filter(|id| !live.contains(id)).map(i64::to_string).collect();
        return Err(AppError::field("serviceIds", format!("Послуг не знайдено: {}", missing.join(", "))));
    }
    Ok(())
}

/// Creates the password-less account of a member when `values.email` is non-empty: its id,
/// and the invitation e-mail to send once the transaction has committed.
/// An administrator account can only be created by an administrator (as through `POST /users`),
/// so neither `settings.staff.access` nor `settings.staff.manage_access` can mint an admin.
async fn invite(
    tx: &mut TenantTx,
    state: &AppState,
    by: &CurrentUser,
    ip: Option<&str>,
    values: &StaffValues,
    position: &str,
) -> Result<Option<(i64, crate::messaging::Email)>, AppError> {
    let Some(email) = values.email.as_deref().filter(|e| !e.is_empty()) else { return Ok(None) };
    let role = role_for(position);
    if role == Role::Admin && by.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let phone = values.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    let account = NewAccount {
        email: email.to_owned(),
        password_hash: None,
        first_name: values.first_name.clone().unwrap_or_default(),
        last_name: values.last_name.clone().unwrap_or_default(),
        phone,
        role,
    };
    let created = create_account(tx, &account).await?;
    audit::record(tx, audit::Change {
        user_id: Some(by.id), entity: "user", entity_id: Some(created.id), action: "created",
        before: None, after: Some(json(&created)?), ip,
    })
    .await?;
    let mail = invitations::issue(tx, state, created.id, Some(by.id)).await?;
    Ok(Some((created.id, mail)))
}
