//! The salon's settings (`/settings/salon`): who may change which part, and what a change
//! changed.

use serde_json::{Map, Value};

use super::salon_model::SalonSettings;
use crate::error::AppError;

/// May change the salon's identity and contacts.
pub const INFO: &str = "settings.info.access";
/// May change how the salon works: zone, currency, hours, slot step, booking, reminders.
pub const GENERAL: &str = "settings.general.access";

/// The fields that changed, before and after.
pub(super) fn difference(before: &SalonSettings, after: &SalonSettings) -> Result<(Value, Value), AppError> {
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
