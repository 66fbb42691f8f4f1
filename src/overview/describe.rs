//! Reading audit entries for people: the screen's action vocabulary, a name for the entity and
//! a short Ukrainian summary of what changed, all derived from the stored before/after JSON.

use serde_json::{Map, Value};

/// The screen's three actions for a stored verb: `created` and `deleted` as they are, every
/// other verb (`updated`, `password_changed`, ...) is an update.
pub fn screen_action(stored: &str) -> &'static str {
    match stored {
        "created" => "created",
        "deleted" => "deleted",
        _ => "updated",
    }
}

/// A name for the changed entity, from the state after the change (or before it, for a
/// deletion): a name, a person's first and last name, a record's client and service, a
/// document or receipt number, an e-mail. Empty when the JSON names nothing.
pub fn entity_name(before: Option<&Value>, after: Option<&Value>) -> String {
    let Some(obj) = after.or(before).and_then(Value::as_object) else {
        return String::new();
    };
    let text = |key: &str| {
        obj.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(client) = text("clientName") {
        return match text("serviceName") {
            Some(service) => format!("{client} — {service}"),
            None => client.to_owned(),
        };
    }
    if let Some(name) = text("name") {
        return name.to_owned();
    }
    let person = [("firstName", "lastName"), ("first_name", "last_name")]
        .iter()
        .find_map(|(f, l)| {
            let full = format!("{} {}", text(f).unwrap_or(""), text(l).unwrap_or(""));
            let full = full.trim();
            (!full.is_empty()).then(|| full.to_owned())
        });
    if let Some(person) = person {
        return person;
    }
    [
        "receiptNumber",
        "number",
        "email",
        "fileName",
        "description",
    ]
    .iter()
    .find_map(|k| text(k))
    .map(str::to_owned)
    .unwrap_or_default()
}

/// Keys whose change says nothing to a person.
const NOISE: [&str; 5] = [
    "updatedAt",
    "updated_at",
    "createdAt",
    "created_at",
    "service",
];

/// At most this many changed fields are named; the rest are counted.
const MAX_NAMED: usize = 6;

/// What happened, in a line: created / deleted, or the fields an update changed with their old
/// and new values (`status: scheduled → completed`).
pub fn details(stored_action: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    match stored_action {
        "created" => return "Створено".to_owned(),
        "deleted" => return "Видалено".to_owned(),
        "password_setup" => return "Встановлено пароль".to_owned(),
        "password_reset" => return "Пароль відновлено".to_owned(),
        "password_changed" => return "Пароль змінено".to_owned(),
        _ => {}
    }
    let empty = Map::new();
    let old = before.and_then(Value::as_object).unwrap_or(&empty);
    let new = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changed: Vec<String> = Vec::new();
    let mut count = 0;
    for (key, value) in new {
        if NOISE.contains(&key.as_str()) || old.get(key) == Some(value) {
            continue;
        }
        count += 1;
        if changed.len() < MAX_NAMED {
            changed.push(format!(
                "{key}: {} → {}",
                show(old.get(key)),
                show(Some(value))
            ));
        }
    }
    if changed.is_empty() {
        return "Змінено".to_owned();
    }
    let mut line = format!("Змінено {}", changed.join("; "));
    if count > MAX_NAMED {
        line.push_str(&format!(" та ще {}", count - MAX_NAMED));
    }
    line
}

/// A JSON value in a summary: text without quotes, nothing as a dash, long values cut.
fn show(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) if s.is_empty() => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// The appointment status a record's audit entry moved to, when it moved to a new one.
pub fn status_reached<'a>(
    stored_action: &str,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
) -> Option<&'a str> {
    let next = after?.get("status")?.as_str()?;
    let previous = before.and_then(|b| b.get("status")).and_then(Value::as_str);
    match stored_action {
        "created" => Some(next),
        "updated" if previous != Some(next) => Some(next),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_come_from_the_stored_json() {
        let record = json!({"clientName": "Марія", "serviceName": "Стрижка"});
        assert_eq!(entity_name(None, Some(&record)), "Марія — Стрижка");
        assert_eq!(
            entity_name(Some(&json!({"name": "Шампунь"})), None),
            "Шампунь"
        );
        assert_eq!(
            entity_name(
                None,
                Some(&json!({"firstName": "Ірина", "lastName": "Коваль"}))
            ),
            "Ірина Коваль"
        );
        assert_eq!(
            entity_name(
                None,
                Some(&json!({"first_name": "", "last_name": "", "email": "a@b.c"}))
            ),
            "a@b.c"
        );
        assert_eq!(entity_name(None, None), "");
    }

    #[test]
    fn details_name_what_changed() {
        let before = json!({"status": "scheduled", "price": 450, "notes": "", "updatedAt": "x"});
        let after = json!({"status": "completed", "price": 450, "notes": "VIP", "updatedAt": "y"});
        assert_eq!(
            details("updated", Some(&before), Some(&after)),
            "Змінено notes: — → VIP; status: scheduled → completed"
        );
        assert_eq!(details("created", None, Some(&after)), "Створено");
        assert_eq!(details("updated", Some(&after), Some(&after)), "Змінено");
        assert_eq!(screen_action("password_changed"), "updated");
    }

    #[test]
    fn status_transitions_are_found() {
        let (a, b) = (json!({"status": "arrived"}), json!({"status": "completed"}));
        assert_eq!(
            status_reached("updated", Some(&a), Some(&b)),
            Some("completed")
        );
        assert_eq!(status_reached("updated", Some(&b), Some(&b)), None);
        assert_eq!(status_reached("created", None, Some(&b)), Some("completed"));
        assert_eq!(status_reached("deleted", Some(&b), None), None);
    }
}
