//! Who may receive an event. Decided per socket when the event is sent, with the receiving
//! user's permissions as they are at that moment (the matrix is editable live).

use serde::{Deserialize, Serialize};

use crate::{
    auth::CurrentUser,
    error::AppError,
    ids::{ClientId, UserId},
};

/// The receivers an event is meant for, besides the salon (and `Event::user_id`) it is
/// addressed to. Travels with the event between processes; never part of the frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// The permission id a receiver needs (`finances.movements.view`), normally the one that
    /// guards reading the same object over REST; `None`: anyone signed in to the salon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The client the event shows. A receiver limited to own clients (`clients.show = own`)
    /// gets the event only for a client the clients domain lets them see, or, when
    /// `client_fields` names the fields that show the client, without those fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_fields: Vec<String>,
    /// Users whose own work the event is about (the member of an appointment): their client
    /// scope does not apply to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub concerns: Vec<UserId>,
    /// Fields of `data` that a receiver without a permission does not get (a phone without
    /// `clients.card.show_phone`), as REST leaves them out of its answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masks: Vec<Mask>,
}

/// Top-level `fields` of an event's data, sent only to receivers granted `permission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mask {
    pub permission: String,
    pub fields: Vec<String>,
}

/// What one receiver gets of an event.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admitted<'a> {
    No,
    /// The event, without these fields of its data (none: the frame as published).
    Yes { hidden: Vec<&'a str> },
}

/// What the matrix alone says about one receiver.
#[derive(Debug, PartialEq, Eq)]
enum Admission {
    Yes,
    No,
    /// Yes if this client is visible to the receiver (a database question).
    IfClientVisible(ClientId),
}

impl Audience {
    pub fn is_everyone(&self) -> bool {
        *self == Audience::default()
    }

    fn admission(&self, user: &CurrentUser) -> Admission {
        if let Some(permission) = &self.permission
            && !user.may(permission)
        {
            return Admission::No;
        }
        match self.client_id {
            Some(client) if crate::clients::own_scope(user).is_some() && !self.concerns.contains(&user.id) => {
                Admission::IfClientVisible(client)
            }
            _ => Admission::Yes,
        }
    }

    /// Whether `user` (their principal as of now) may receive the event, and without which
    /// fields; `client_visible` asks the clients domain about a client the event shows.
    pub(super) async fn admits(
        &self,
        user: &CurrentUser,
        client_visible: impl AsyncFnOnce(ClientId) -> Result<bool, AppError>,
    ) -> Result<Admitted<'_>, AppError> {
        let mut hidden: Vec<&str> = match self.admission(user) {
            Admission::No => return Ok(Admitted::No),
            Admission::Yes => Vec::new(),
            Admission::IfClientVisible(client) => {
                if client_visible(client).await? {
                    Vec::new()
                } else if self.client_fields.is_empty() {
                    return Ok(Admitted::No);
                } else {
                    self.client_fields.iter().map(String::as_str).collect()
                }
            }
        };
        let masked = self.masks.iter().filter(|m| !user.may(&m.permission));
        hidden.extend(masked.flat_map(|m| m.fields.iter().map(String::as_str)));
        Ok(Admitted::Yes { hidden })
    }
}

