//! Handlers of `/staff`, `/staff/{id}` and `/staff/{id}/schedule`. Reads are open to every signed-in user (the
//! calendar makes one column per member); writes need `settings.staff.access`.
//!
//! Pay terms (`salary`, `commission`) are shown only to users with a salary permission
//! (`finances.salary_schemes`, `finances.salary_calculation`, `finances.salary_accrual`) or
//! staff management (`settings.staff.access`); to others both are `0` (the contract wants
//! non-null numbers). Writing them needs `finances.salary_schemes` (403 otherwise).

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};

use super::{
    ScheduleEdit, StaffWrite,
    members::{check_services, ensure_may_touch, invite, json},
    model::{NewStaff, Staff, StaffChanges, StaffDetail, StaffFilter, StaffValues},
    schedule::{self, MAX_DAYS, ScheduleQuery, ScheduleSaved, StaffSchedule, week_from},
    schedule_input::ScheduleInput,
    schedule_store, store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser},
    calendar::{self, facts::Holder},
    clock::Ymd,
    config::Config,
    error::AppError,
    http::{AppJson, AppPath, AppQuery},
    ids::StaffId,
    tenancy::{Lock, SalonClock, TenantTx},
};

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
pub async fn get_staff(user: CurrentUser, mut tx: TenantTx, AppPath(id): AppPath<StaffId>) -> Result<Json<StaffDetail>, AppError> {
    let staff = store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
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
    State(config): State<Arc<Config>>,
    Can(user, ..): Can<StaffWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewStaff>,
) -> Result<(StatusCode, Json<Staff>), AppError> {
    let values = StaffChanges::from(input).validate()?;
    check_pay(&user, &values)?;
    check_services(&mut tx, &values).await?;
    let position = values.position.clone().unwrap_or_else(|| "master".to_owned());
    let user_id = invite(&mut tx, &config, &user, ip.as_deref(), &values, &position).await?;
    let id = store::insert(&mut tx, &values, user_id).await?;
    if let Some(ids) = &values.service_ids {
        store::replace_services(&mut tx, id, ids).await?;
    }
    let staff = store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id.get()), action: "created",
        before: None, after: Some(json(&staff)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(shown(&user, staff))))
}

/// Changes the keys present in the body (`serviceIds` replaces the list). An e-mail given to a
/// member without an account creates one, as on creation. Setting `isActive: false` also
/// deactivates the member's account and ends its sessions.
#[utoipa::path(put, path = "/staff/{id}", tag = "staff", security(("bearer" = [])), request_body = StaffChanges,
    params(("id" = i64, Path)),
    responses((status = 200, body = Staff), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_staff(
    State(config): State<Arc<Config>>,
    Can(user, ..): Can<StaffWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<StaffId>,
    AppJson(changes): AppJson<StaffChanges>,
) -> Result<Json<Staff>, AppError> {
    let values = changes.validate()?;
    check_pay(&user, &values)?;
    let before = store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
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
            invite(&mut tx, &config, &user, ip.as_deref(), &names, &position).await?
        }
    };
    store::update(&mut tx, id, &values, new_user).await?;
    if let Some(ids) = &values.service_ids {
        store::replace_services(&mut tx, id, ids).await?;
    }
    if let (true, Some(false), Some(user_id)) = (before.is_active, values.is_active, before.user_id) {
        crate::auth::deactivate_user(&mut tx, user_id).await?;
    }
    let after = store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
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
    AppPath(id): AppPath<StaffId>,
) -> Result<StatusCode, AppError> {
    // The row lock orders this with bookings, which lock the member too (`active_member`).
    let before = store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
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
        user_id: Some(user.id), entity: "employee", entity_id: Some(id.get()), action: "deleted",
        before: Some(json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The weekly pattern, exceptions and each date of the range after exceptions.
#[utoipa::path(get, path = "/staff/{id}/schedule", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path), ScheduleQuery),
    responses((status = 200, body = StaffSchedule), (status = 404), (status = 422)))]
pub async fn get_schedule(
    _: CurrentUser,
    mut tx: TenantTx,
    AppPath(id): AppPath<StaffId>,
    AppQuery(q): AppQuery<ScheduleQuery>,
) -> Result<Json<StaffSchedule>, AppError> {
    store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    let from = match q.date_from {
        Some(d) => d.0,
        None => SalonClock::read(&mut tx).await?.today(),
    };
    let to = q.date_to.map_or_else(|| week_from(from), |d| d.0);
    if to < from {
        return Err(AppError::field("dateTo", "dateTo не може бути раніше за dateFrom"));
    }
    if (to - from).num_days() as u64 >= MAX_DAYS {
        return Err(AppError::field("dateTo", format!("Щонайбільше {MAX_DAYS} днів")));
    }
    let schedule = schedule::view(&mut tx, id, from, to).await?;
    tx.commit().await?;
    Ok(Json(schedule))
}

/// Replaces the weekly pattern and, when `exceptions` is present, the exceptions from today
/// on. Answers the new schedule for the coming week.
#[utoipa::path(post, path = "/staff/{id}/schedule", tag = "staff", security(("bearer" = [])),
    request_body = ScheduleInput, params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleSaved), (status = 403), (status = 404), (status = 422)))]
pub async fn save_schedule(
    Can(user, ..): Can<ScheduleEdit>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<StaffId>,
    AppJson(input): AppJson<ScheduleInput>,
) -> Result<Json<ScheduleSaved>, AppError> {
    // Locking the member serialises concurrent saves of one schedule (delete + insert).
    store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    let today = SalonClock::read(&mut tx).await?.today();
    let plan = input.validate(today)?;
    let before = schedule::view(&mut tx, id, today, week_from(today)).await?;
    schedule_store::replace(&mut tx, id, &plan, today).await?;
    let after = schedule::view(&mut tx, id, today, week_from(today)).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(ScheduleSaved { message: "Графік збережено".to_owned(), schedule: after }))
}

/// Removes one exception of the member.
#[utoipa::path(delete, path = "/staff/{id}/schedule/exceptions/{exceptionId}", tag = "staff",
    security(("bearer" = [])), params(("id" = i64, Path), ("exceptionId" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_exception(
    Can(user, ..): Can<ScheduleEdit>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath((id, exception_id)): AppPath<(StaffId, i64)>,
) -> Result<StatusCode, AppError> {
    store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    let removed = schedule_store::delete_exception(&mut tx, id, exception_id).await?.ok_or(AppError::NotFound)?;
    let before = serde_json::json!({
        "exception": {"id": removed.id, "type": removed.kind, "dateFrom": Ymd(removed.starts_on),
                      "dateTo": Ymd(removed.ends_on), "reason": removed.reason}
    });
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id.get()), action: "updated",
        before: Some(before), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
