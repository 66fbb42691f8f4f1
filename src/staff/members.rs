//! The rules of a member's write beyond its fields: who may touch a member with an account,
//! that its services exist, and the account (with its invitation) a member with an e-mail gets.

use serde::Serialize;

use super::model::{StaffValues, role_for};
use crate::{
    audit,
    auth::{CurrentUser, NewAccount, Role, create_account, invitations},
    catalog,
    config::Config,
    error::AppError,
    ids::{ServiceId, UserId},
    tenancy::TenantTx,
};

pub(super) fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Only administrators change or deactivate a member whose account is an administrator's (403).
pub(super) async fn ensure_may_touch(tx: &mut TenantTx, by: &CurrentUser, account: Option<UserId>) -> Result<(), AppError> {
    let Some(account) = account else { return Ok(()) };
    if by.role == Role::Admin {
        return Ok(());
    }
    let role = crate::auth::role_of(tx, account.get()).await?;
    if role == Some(Role::Admin) { Err(AppError::Forbidden) } else { Ok(()) }
}

/// Every id in `serviceIds` must be a live service of this salon (422, nothing written).
pub(super) async fn check_services(tx: &mut TenantTx, values: &StaffValues) -> Result<(), AppError> {
    let Some(ids) = &values.service_ids else { return Ok(()) };
    let live = catalog::live_ids(tx, ids).await?;
    if live.len() != ids.len() {
        let missing: Vec<String> = ids.iter().filter(|id| !live.contains(id)).map(ServiceId::to_string).collect();
        return Err(AppError::field("serviceIds", format!("Послуг не знайдено: {}", missing.join(", "))));
    }
    Ok(())
}

/// Creates the password-less account of a member when `values.email` is non-empty and answers
/// its id; the invitation is mailed once the transaction commits.
/// An administrator account can only be created by an administrator (as through `POST /users`),
/// so neither `settings.staff.access` nor `settings.staff.manage_access` can mint an admin.
pub(super) async fn invite(
    tx: &mut TenantTx,
    config: &Config,
    by: &CurrentUser,
    ip: Option<&str>,
    values: &StaffValues,
    position: &str,
) -> Result<Option<UserId>, AppError> {
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
    invitations::issue(tx, config, created.id, Some(by.id)).await?;
    Ok(Some(UserId(created.id)))
}
