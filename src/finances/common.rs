//! Small helpers shared by the finance sub-resources: text fields, the audit JSON and who is
//! acting. The salon's clock is [`crate::tenancy::SalonClock`].

use serde::Serialize;

use crate::{auth::CurrentUser, error::AppError, ids::UserId, tenancy::TenantTx};

pub fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Who records a change: the id for `created_by` and audit, the name for `author`, the
/// address for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn of(user: &CurrentUser, ip: Option<String>) -> Self {
        Actor { user_id: user.id, name: user.user.display_name(), ip }
    }

    /// Writes the audit entry of a change made by this actor.
    pub async fn audit(
        &self,
        tx: &mut TenantTx,
        entity: &str,
        entity_id: i64,
        action: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), AppError> {
        crate::audit::record(tx, crate::audit::Change {
            user_id: Some(self.user_id), entity, entity_id: Some(entity_id), action, before, after,
            ip: self.ip.as_deref(),
        })
        .await
    }

    /// The author text an operation or document stores: what was typed, else this user.
    pub fn author(&self, typed: Option<&str>) -> String {
        match typed.map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => self.name.clone(),
        }
    }
}

pub use crate::error::Problems;
