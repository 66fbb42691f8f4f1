//! The permission vocabulary, the per-role defaults and the check itself.
//!
//! A salon's matrix maps, per role, permission id → `true`/`false` (checkboxes) or an option
//! string (select-type ids such as `clients.show`: `all` or `own`). An id is granted when its
//! value is `true` or a non-empty string and so is the value of every ancestor in the
//! vocabulary (`clients` → `clients.card` → `clients.card.edit`): the roles page resets children
//! when a parent is turned off, and we enforce the same rule on the server.

use std::{
    collections::{BTreeMap, HashSet},
    sync::LazyLock,
};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Role;

const VOCABULARY_TXT: &str = include_str!("../../policies/permissions.txt");
const DEFAULTS_TOML: &str = include_str!("../../policies/role_defaults.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionDef {
    pub id: String,
    /// Allowed values of a select-type id; empty for checkboxes.
    pub options: Vec<String>,
}

/// Every permission id the frontend's roles page knows, in its order.
pub static VOCABULARY: LazyLock<Vec<PermissionDef>> = LazyLock::new(|| parse_vocabulary(VOCABULARY_TXT));

static IDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| VOCABULARY.iter().map(|p| p.id.as_str()).collect());

fn parse_vocabulary(text: &str) -> Vec<PermissionDef> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next().unwrap_or_default().to_owned();
            let options = words
                .find_map(|w| w.strip_prefix("options="))
                .map(|o| o.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            PermissionDef { id, options }
        })
        .collect()
}

pub fn is_known(id: &str) -> bool {
    IDS.contains(id)
}

#[derive(Deserialize)]
struct RoleDefault {
    grant: Vec<String>,
    #[serde(default)]
    select: BTreeMap<String, String>,
}

/// The default matrix row of a role, as stored in `role_permissions.permissions`.
pub fn defaults_for(role: Role) -> Map<String, Value> {
    let all: BTreeMap<String, RoleDefault> =
        toml::from_str(DEFAULTS_TOML).expect("policies/role_defaults.toml is checked by tests");
    let def = &all[role.as_str()];
    let everything = def.grant.iter().any(|g| g == "*");
    VOCABULARY
        .iter()
        .map(|p| {
            let value = if p.options.is_empty() {
                Value::Bool(everything || def.grant.contains(&p.id))
            } else {
                Value::String(def.select.get(&p.id).cloned().unwrap_or_default())
            };
            (p.id.clone(), value)
        })
        .collect()
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => !s.is_empty(),
        _ => false,
    }
}

/// Whether `matrix` grants `id`, including every ancestor that is itself a permission.
pub fn grants(matrix: &Map<String, Value>, id: &str) -> bool {
    let mut prefix_end = 0;
    loop {
        let next = id[prefix_end..].find('.').map(|i| prefix_end + i);
        let prefix = &id[..next.unwrap_or(id.len())];
        if (prefix == id || is_known(prefix)) && !truthy(matrix.get(prefix)) {
            return false;
        }
        match next {
            Some(i) => prefix_end = i + 1,
            None => return true,
        }
    }
}

/// The value a select-type id holds (`clients.show` → `all` / `own`), when granted.
pub fn selected<'a>(matrix: &'a Map<String, Value>, id: &str) -> Option<&'a str> {
    if !grants(matrix, id) {
        return None;
    }
    matrix.get(id).and_then(Value::as_str)
}

/// The array form of a matrix row, as `GET`/`PUT /settings/roles` carry it: every id the row
/// grants (ancestors included, see [`grants`]), in vocabulary order; a checkbox as its bare id, a
/// select as `id:value` (`clients.show:own`). Ids that are off are absent.
pub fn encode(matrix: &Map<String, Value>) -> Vec<String> {
    VOCABULARY
        .iter()
        .filter(|p| grants(matrix, &p.id))
        .map(|p| match matrix.get(&p.id) {
            Some(Value::String(v)) if !p.options.is_empty() => format!("{}:{v}", p.id),
            _ => p.id.clone(),
        })
        .collect()
}

/// Problems with an array-form row, by the entry as sent (`permissions` for the list itself).
pub type EntryErrors = BTreeMap<String, Vec<String>>;

/// Reads the array form back into a full matrix row (every vocabulary id present: `false` or
/// `""` when absent), the inverse of [`encode`]. Accepts the roles screen's `<module>.enabled`
/// for a module id. Refuses, naming each bad entry: an unknown id, a checkbox with a value, a
/// select without one or with a value outside its options, an id given twice (`clients` and
/// `clients.enabled`, `clients.show:all` and `clients.show:own`), an id whose parent is absent
/// (the screen turns children off with their parent), and an empty list.
pub fn decode(entries: &[String]) -> Result<Map<String, Value>, EntryErrors> {
    let mut errors = EntryErrors::new();
    let mut bad = |entry: &str, problem: String| errors.entry(entry.to_owned()).or_default().push(problem);
    if entries.is_empty() {
        bad("permissions", "Роль повинна мати хоча б один дозвіл".to_owned());
    }
    let mut given: BTreeMap<&str, (&str, Value)> = BTreeMap::new();
    for entry in entries {
        let (raw_id, value) = match entry.split_once(':') {
            Some((id, v)) => (id, Some(v)),
            None => (entry.as_str(), None),
        };
        let id = raw_id.strip_suffix(".enabled").filter(|m| !m.contains('.') && is_known(m)).unwrap_or(raw_id);
        let Some(def) = VOCABULARY.iter().find(|p| p.id == id) else {
            bad(entry, "Невідомий дозвіл".to_owned());
            continue;
        };
        let value = match (def.options.is_empty(), value) {
            (true, None) => Value::Bool(true),
            (true, Some(_)) => {
                bad(entry, "Цей дозвіл вмикається без значення".to_owned());
                continue;
            }
            (false, Some(v)) if def.options.iter().any(|o| o == v) => Value::String(v.to_owned()),
            (false, _) => {
                bad(entry, format!("Оберіть одне зі значень: {}", def.options.join(", ")));
                continue;
            }
        };
        if let Some((first, _)) = given.get(def.id.as_str()) {
            let first = (*first).to_owned();
            bad(entry, format!("Дозвіл уже вказано як «{first}»"));
            bad(&first, format!("Дозвіл повторюється як «{entry}»"));
            continue;
        }
        given.insert(def.id.as_str(), (entry.as_str(), value));
    }
    for (id, (entry, _)) in &given {
        let mut end = 0;
        while let Some(i) = id[end..].find('.').map(|i| end + i) {
            let parent = &id[..i];
            if is_known(parent) && !given.contains_key(parent) {
                bad(entry, format!("Потребує дозволу «{parent}»"));
            }
            end = i + 1;
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(VOCABULARY
        .iter()
        .map(|p| {
            let value = given.remove(p.id.as_str()).map(|(_, v)| v).unwrap_or_else(|| {
                if p.options.is_empty() { Value::Bool(false) } else { Value::String(String::new()) }
            });
            (p.id.clone(), value)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_matches_the_roles_page() {
        assert_eq!(VOCABULARY.len(), 104);
        let modules = VOCABULARY.iter().filter(|p| !p.id.contains('.')).count();
        assert_eq!(modules, 7);
        let show = VOCABULARY.iter().find(|p| p.id == "clients.show").unwrap();
        assert_eq!(show.options, ["all", "own"]);
    }

    #[test]
    fn defaults_name_only_known_ids_with_valid_options() {
        let all: BTreeMap<String, RoleDefault> = toml::from_str(DEFAULTS_TOML).unwrap();
        for role in Role::ALL {
            let def = &all[role.as_str()];
            for id in def.grant.iter().filter(|g| *g != "*") {
                let p = VOCABULARY.iter().find(|p| &p.id == id).unwrap_or_else(|| panic!("unknown {id}"));
                assert!(p.options.is_empty(), "{id} is a select, put it under select");
            }
            for (id, value) in &def.select {
                let p = VOCABULARY.iter().find(|p| &p.id == id).unwrap_or_else(|| panic!("unknown {id}"));
                assert!(p.options.contains(value), "{id} = {value}");
            }
        }
    }

    #[test]
    fn children_need_their_parents() {
        let mut m = defaults_for(Role::Manager);
        assert!(grants(&m, "appointments.edit.price"));
        m.insert("appointments.edit".into(), Value::Bool(false));
        assert!(!grants(&m, "appointments.edit.price"));
        assert!(grants(&m, "appointments.create"));
        m.insert("appointments".into(), Value::Bool(false));
        assert!(!grants(&m, "appointments.create"));
    }

    #[test]
    fn selects_grant_by_value() {
        let master = defaults_for(Role::Master);
        assert_eq!(selected(&master, "clients.show"), Some("own"));
        assert!(!grants(&master, "clients.export"));
        assert!(!grants(&master, "settings.staff.manage_access"));
        let admin = defaults_for(Role::Admin);
        assert!(VOCABULARY.iter().all(|p| grants(&admin, &p.id)), "admin has everything");
    }
    #[test]
    fn default_rows_never_grant_a_child_without_its_parent() {
        for role in Role::ALL {
            let row = defaults_for(role);
            for p in VOCABULARY.iter() {
                assert_eq!(truthy(row.get(&p.id)), grants(&row, &p.id), "{}: {}", role.as_str(), p.id);
            }
            assert_eq!(decode(&encode(&row)).unwrap(), row, "{} round-trips", role.as_str());
        }
    }

    #[test]
    fn the_array_form_round_trips_and_reads_the_screens_spelling() {
        let list: Vec<String> = ["clients.enabled", "clients.show:own", "clients.card.edit"].map(str::to_owned).into();
        let row = decode(&list).unwrap();
        assert_eq!(row.len(), VOCABULARY.len());
        assert_eq!(row["clients"], Value::Bool(true));
        assert_eq!(row["clients.delete"], Value::Bool(false));
        assert_eq!(row["finances.cashboxes.all"], Value::String(String::new()));
        assert_eq!(selected(&row, "clients.show"), Some("own"));
        assert_eq!(encode(&row), ["clients", "clients.card.edit", "clients.show:own"]);
    }

    #[test]
    fn bad_entries_are_named() {
        let bad = |list: &[&str]| decode(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap_err();
        assert!(bad(&[]).contains_key("permissions"));
        let e = bad(&["clients", "clients.nope", "clients.show:some", "clients.show", "clients.delete:true"]);
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            ["clients.delete:true", "clients.nope", "clients.show", "clients.show:some"]
        );
        let e = bad(&["clients", "clients.enabled"]);
        assert_eq!(e.len(), 2, "{e:?}");
        let e = bad(&["clients", "clients.show:all", "clients.show:own"]);
        assert_eq!(e.keys().collect::<Vec<_>>(), ["clients.show:all", "clients.show:own"]);
        let e = bad(&["appointments", "appointments.edit.price"]);
        assert_eq!(e["appointments.edit.price"], ["Потребує дозволу «appointments.edit»"]);
        assert!(bad(&["clients.delete"]).contains_key("clients.delete"), "module switch off");
        assert!(bad(&["settings.enabled.x"]).contains_key("settings.enabled.x"));
    }
}
