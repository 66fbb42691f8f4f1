//! Realtime updates over WebSocket (`/ws` and `/api/v1/ws`, contract §4).
//!
//! A domain publishes an [`Event`] for a salon through [`Hub::publish`] after its transaction
//! commits; every socket of that salon (or only the sockets of `Event::user_id`) receives the
//! text frame `{"type": kind, "data": data}`. With Redis the hub PUBLISHes to
//! `<prefix>realtime:salon:<id>` and every process, the sender included, delivers what comes
//! back from its one PSUBSCRIBE connection, so replicas see each other's events exactly once.
//! Without Redis (`make run` on one node) publishing delivers straight to the local sockets.

mod hub;
mod socket;

use serde::{Deserialize, Serialize};

pub use hub::Hub;
pub use socket::socket;

/// Something that happened in a salon, for its open sockets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The frame's `type`, `<resource>:<what happened>` (`appointment:created`).
    pub kind: String,
    /// The frame's `data`: the object exactly as REST returns it (contract §10, decision 8).
    pub data: serde_json::Value,
    /// Only this user's sockets receive the event; `None` means every socket of the salon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

impl Event {
    /// An event for the whole salon. `data` is serialised now; a value that cannot be
    /// serialised (a map with non-string keys) is logged and sent as `null`, because a
    /// realtime hint must never fail the change it announces.
    pub fn new(kind: impl Into<String>, data: &impl Serialize) -> Self {
        let kind = kind.into();
        let data = serde_json::to_value(data).unwrap_or_else(|err| {
            tracing::error!(error = %err, kind = %kind, "realtime event data cannot be serialised; sending null");
            serde_json::Value::Null
        });
        Self { kind, data, user_id: None }
    }

    /// The same event, for one user's sockets only.
    pub fn for_user(mut self, user_id: i64) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// The text frame the browser receives: `{"type": kind, "data": data}`, nothing else.
    fn frame(&self) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct Frame<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            data: &'a serde_json::Value,
        }
        serde_json::to_string(&Frame { kind: &self.kind, data: &self.data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_carry_only_type_and_data() {
        let event = Event::new("appointment:deleted", &json!({"id": 7})).for_user(3);
        let frame: serde_json::Value = serde_json::from_str(&event.frame().unwrap()).unwrap();
        assert_eq!(frame, json!({"type": "appointment:deleted", "data": {"id": 7}}));
    }

    #[test]
    fn unserialisable_data_becomes_null() {
        let map: std::collections::HashMap<(i32, i32), i32> = [((1, 2), 3)].into();
        assert_eq!(Event::new("x", &map).data, serde_json::Value::Null);
    }

    #[test]
    fn events_round_trip_through_the_wire_format() {
        let event = Event::new("notification:new", &json!({"id": "5"})).for_user(9);
        let wire = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&wire).unwrap(), event);
        let salon_wide = Event::new("appointment:created", &json!(null));
        assert!(!serde_json::to_string(&salon_wide).unwrap().contains("user_id"));
    }
}
