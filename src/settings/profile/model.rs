//! The signed-in user's own profile: the answer, the changes, and how they apply.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

pub use crate::auth::profile::Profile;
use crate::error::AppError;
use crate::settings::check::{Checks, TextRule};

/// A `PUT /settings/profile` body: any subset. `""` clears an optional field; an absent or
/// `null` key keeps its value. A new `email` needs `currentPassword` and takes effect only
/// once confirmed from the new mailbox. `name` alone is split into first name (first word) and last
/// name (the rest); `firstName`/`lastName` win when sent too. `role` cannot change here (a
/// different role is a 422; the same one is ignored), nor can `avatar` (use the avatar routes).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    /// Merged into the stored preferences key by key; a key sent as `null` is removed.
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Map<String, Value>>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub address: Option<String>,
    pub emergency_contact: Option<String>,
    pub emergency_phone: Option<String>,
    pub specialization: Option<String>,
    /// Required with a new `email`: the user's current password. Not stored.
    pub current_password: Option<String>,
}

const MAX_PREFERENCES_BYTES: usize = 16 * 1024;

impl ProfileChanges {
    /// The profile after these changes, or every problem with them (nothing applies then).
    pub fn apply(mut self, current: &Profile, today: NaiveDate) -> Result<Profile, AppError> {
        let mut c = Checks::default();
        let mut p = current.clone();
        self.apply_names(&mut c, &mut p);
        self.apply_contacts(&mut c, &mut p, today);
        if self
            .role
            .is_some_and(|role| role.trim() != current.role.as_str())
        {
            c.fail(
                "role",
                "Роль змінює адміністратор у розділі «Співробітники»",
            );
        }
        if let Some(changes) = self.preferences.take() {
            merge_preferences(&mut c, &mut p, changes);
        }
        c.finish()?;
        Ok(p.with_name())
    }

    /// `name` (split into first and last name), then `firstName` and `lastName`, which win.
    fn apply_names(&mut self, c: &mut Checks, p: &mut Profile) {
        if let Some(name) = self
            .name
            .take()
            .and_then(|raw| c.text("name", &raw, TextRule::line(201).required()))
        {
            let (first, last) = name.split_once(char::is_whitespace).unwrap_or((&name, ""));
            p.first_name = first.to_owned();
            p.last_name = last.trim().to_owned();
            for (field, value) in [("name", &p.first_name), ("name", &p.last_name)] {
                if value.chars().count() > 100 {
                    c.fail(field, "Ім'я та прізвище — не більше 100 символів кожне");
                }
            }
        }
        if let Some(v) = self
            .first_name
            .take()
            .and_then(|raw| c.text("firstName", &raw, TextRule::line(100).required()))
        {
            p.first_name = v;
        }
        if let Some(v) = self
            .last_name
            .take()
            .and_then(|raw| c.text("lastName", &raw, TextRule::line(100)))
        {
            p.last_name = v;
        }
    }

    /// E-mail, phones, birth date, address, emergency contact and specialization.
    fn apply_contacts(&mut self, c: &mut Checks, p: &mut Profile, today: NaiveDate) {
        if let Some(v) = self.email.take().and_then(|raw| c.email("email", &raw, true)) {
            p.email = v;
        }
        if let Some(v) = self.phone.take().and_then(|raw| c.phone("phone", &raw)) {
            p.phone = v;
        }
        let earliest_age = today - chrono::Days::new(365 * 10);
        if let Some(v) = self
            .birth_date
            .take()
            .and_then(|raw| c.date("birthDate", &raw, earliest_age))
        {
            p.birth_date = v;
        }
        let optional: [(&str, Option<String>, &mut Option<String>, usize); 3] = [
            ("address", self.address.take(), &mut p.address, 300),
            (
                "emergencyContact",
                self.emergency_contact.take(),
                &mut p.emergency_contact,
                200,
            ),
            (
                "specialization",
                self.specialization.take(),
                &mut p.specialization,
                200,
            ),
        ];
        for (field, raw, slot, max) in optional {
            if let Some(v) = raw.and_then(|raw| c.text(field, &raw, TextRule::line(max))) {
                *slot = (!v.is_empty()).then_some(v);
            }
        }
        if let Some(v) = self
            .emergency_phone
            .take()
            .and_then(|raw| c.phone("emergencyPhone", &raw))
        {
            p.emergency_phone = (!v.is_empty()).then_some(v);
        }
    }
}

/// Merges `changes` into the stored preferences key by key (`null` removes a key), within
/// [`MAX_PREFERENCES_BYTES`].
fn merge_preferences(c: &mut Checks, p: &mut Profile, changes: Map<String, Value>) {
    for (key, value) in changes {
        if value.is_null() {
            p.preferences.0.remove(&key);
        } else {
            p.preferences.0.insert(key, value);
        }
    }
    if serde_json::to_vec(&p.preferences.0)
        .map_or(true, |v| v.len() > MAX_PREFERENCES_BYTES)
    {
        c.fail(
            "preferences",
            format!("Не більше {} КБ налаштувань", MAX_PREFERENCES_BYTES / 1024),
        );
    }
}

/// The fields a profile edit may change, for comparison and the audit trail.
pub(super) fn editable(p: &Profile) -> serde_json::Value {
    serde_json::json!({
        "email": p.email, "firstName": p.first_name, "lastName": p.last_name, "phone": p.phone,
        "preferences": p.preferences.0, "birthDate": p.birth_date, "address": p.address,
        "emergencyContact": p.emergency_contact, "emergencyPhone": p.emergency_phone,
        "specialization": p.specialization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn profile() -> Profile {
        Profile {
            id: 1,
            email: "a@example.com".into(),
            name: String::new(),
            first_name: "Олена".into(),
            last_name: "Адмін".into(),
            phone: String::new(),
            role: Role::Master,
            avatar: None,
            preferences: sqlx::types::Json(Map::new()),
            birth_date: None,
            address: None,
            emergency_contact: None,
            emergency_phone: None,
            specialization: None,
            telegram_connected: false,
            avatar_key: None,
        }
        .with_name()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()
    }

    #[test]
    fn name_splits_into_first_and_last() {
        let changes: ProfileChanges =
            serde_json::from_value(serde_json::json!({"name": "  Марія  Іванівна Коваль "}))
                .unwrap();
        let p = changes.apply(&profile(), today()).unwrap();
        assert_eq!(
            (p.first_name.as_str(), p.last_name.as_str(), p.name.as_str()),
            ("Марія", "Іванівна Коваль", "Марія Іванівна Коваль")
        );
    }

    #[test]
    fn role_cannot_change_and_problems_are_collected() {
        let changes: ProfileChanges = serde_json::from_value(serde_json::json!({
            "role": "admin", "email": "nope", "birthDate": "2029-01-01", "phone": "x"
        }))
        .unwrap();
        let AppError::Invalid(details) = changes.apply(&profile(), today()).unwrap_err() else {
            panic!()
        };
        assert_eq!(
            details.keys().collect::<Vec<_>>(),
            ["birthDate", "email", "phone", "role"]
        );
        let same: ProfileChanges =
            serde_json::from_value(serde_json::json!({"role": "master"})).unwrap();
        assert!(same.apply(&profile(), today()).is_ok());
    }

    #[test]
    fn preferences_merge_and_null_removes() {
        let mut current = profile();
        current.preferences.0.insert("theme".into(), "dark".into());
        current.preferences.0.insert("lang".into(), "uk".into());
        let changes: ProfileChanges = serde_json::from_value(
            serde_json::json!({"preferences": {"lang": null, "compact": true}}),
        )
        .unwrap();
        let p = changes.apply(&current, today()).unwrap();
        assert_eq!(
            Value::Object(p.preferences.0),
            serde_json::json!({"theme": "dark", "compact": true})
        );
    }
}
