//! Realtime updates over WebSocket (`/ws` and `/api/v1/ws`, contract §4).
//!
//! A domain publishes an [`Event`] for a salon through [`Hub::publish`] after its transaction
//! commits; every socket of that salon (or only the sockets of `Event::user_id`) receives the
//! text frame `{"type": kind, "data": data}`. With Redis the hub PUBLISHes to
//! `<prefix>realtime:salon:<id>` and every process, the sender included, delivers what comes
//! back from its one PSUBSCRIBE connection, so replicas see each other's events exactly once.
//! Without Redis (`make run` on one node) publishing delivers straight to the local sockets.
//!
//! Each event names its [`Audience`]: the permission a receiver needs, and the client it shows
//! (for users limited to their own clients). A socket decides at send time with its user's
//! permissions as they are then, and closes within [`socket::REVALIDATE_EVERY`] of its session
//! being revoked (logout, password change, deactivation, suspended salon).

mod audience;
pub mod hub;
pub mod socket;

use serde::{Deserialize, Serialize};

use crate::{
    auth::Permission,
    ids::{ClientId, UserId},
};

pub use audience::{Audience, Mask};
pub use hub::Hub;

/// Something that happened in a salon, for its open sockets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The frame's `type`, `<resource>:<what happened>` (`appointment:created`).
    pub kind: String,
    /// The frame's `data`: the object exactly as REST returns it (contract §10, decision 8).
    pub data: serde_json::Value,
    /// Only this user's sockets receive the event; `None` means every socket of the salon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Who else may receive it; the default is everyone addressed.
    #[serde(default, skip_serializing_if = "Audience::is_everyone")]
    pub audience: Audience,
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
        Self { kind, data, user_id: None, audience: Audience::default() }
    }

    /// The same event, for one user's sockets only.
    pub fn for_user(mut self, user_id: UserId) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Only users whose salon matrix grants `P` receive the event (administrators always do).
    pub fn requires<P: Permission>(mut self) -> Self {
        self.audience.permission = Some(P::ID.to_owned());
        self
    }

    /// The event is about this client: a receiver limited to own clients (`clients.show =
    /// own`) gets it only for a client they have served, unless it
    /// [concerns](Self::concerning) them.
    pub fn about_client(mut self, client_id: Option<ClientId>) -> Self {
        self.audience.client_id = client_id;
        self
    }

    /// The event shows this client in `fields`: a receiver limited to own clients gets it
    /// without those fields when the client is not theirs (and it does not concern them).
    pub fn showing_client(mut self, client_id: Option<ClientId>, fields: &[&str]) -> Self {
        self.audience.client_id = client_id;
        self.audience.client_fields = fields.iter().map(|f| (*f).to_owned()).collect();
        self
    }

    /// The event is about this user's own work (the member of an appointment): their client
    /// scope does not hold it back from them. Their permissions still apply.
    pub fn concerning(mut self, user_id: Option<UserId>) -> Self {
        self.audience.concerns.extend(user_id);
        self
    }

    /// Receivers without `P` get the event without these top-level fields of its data.
    pub fn hiding_unless<P: Permission>(mut self, fields: &[&str]) -> Self {
        let fields = fields.iter().map(|f| (*f).to_owned()).collect();
        self.audience.masks.push(Mask { permission: P::ID.to_owned(), fields });
        self
    }

    /// The frame without the `hidden` top-level fields of the data.
    fn frame_without(&self, hidden: &[&str]) -> Result<String, serde_json::Error> {
        let mut event = self.clone();
        if let serde_json::Value::Object(fields) = &mut event.data {
            fields.retain(|k, _| !hidden.contains(&k.as_str()));
        }
        event.frame()
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
        let event = Event::new("appointment:deleted", &json!({"id": 7})).for_user(UserId(3));
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
        let event = Event::new("notification:new", &json!({"id": "5"})).for_user(UserId(9));
        let wire = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&wire).unwrap(), event);
        let salon_wide = Event::new("appointment:created", &json!(null));
        assert!(!serde_json::to_string(&salon_wide).unwrap().contains("user_id"));
        assert!(!serde_json::to_string(&salon_wide).unwrap().contains("audience"));
    }

    crate::permission!(Ops = "finances.movements.view");

    crate::permission!(Phones = "clients.card.show_phone");

    #[test]
    fn masked_fields_leave_only_the_masked_frame() {
        let event = Event::new("client:updated", &json!({"id": 4, "phone": "+380", "email": "a@b", "name": "Олена"}))
            .hiding_unless::<Phones>(&["phone", "email"]);
        assert_eq!(
            event.audience.masks,
            [Mask { permission: "clients.card.show_phone".into(), fields: vec!["phone".into(), "email".into()] }]
        );
        let full: serde_json::Value = serde_json::from_str(&event.frame().unwrap()).unwrap();
        assert_eq!(full["data"]["phone"], "+380");
        let masked: serde_json::Value =
            serde_json::from_str(&event.frame_without(&["phone", "email"]).unwrap()).unwrap();
        assert_eq!(masked, json!({"type": "client:updated", "data": {"id": 4, "name": "Олена"}}));
        let wire = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&wire).unwrap(), event);
    }

    #[test]
    fn the_audience_travels_with_the_event_but_not_in_the_frame() {
        let event = Event::new("client:updated", &json!({"id": 4}))
            .requires::<Ops>()
            .about_client(Some(ClientId(4)))
            .concerning(Some(UserId(8)))
            .concerning(None);
        assert_eq!(event.audience.permission.as_deref(), Some("finances.movements.view"));
        assert_eq!(event.audience.concerns, [UserId(8)]);
        let wire = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&wire).unwrap(), event);
        let frame: serde_json::Value = serde_json::from_str(&event.frame().unwrap()).unwrap();
        assert_eq!(frame, json!({"type": "client:updated", "data": {"id": 4}}));
    }
}
