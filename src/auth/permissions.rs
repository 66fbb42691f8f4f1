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

static IDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| VOCABULARY.iter().map(|p| p.id.as_str()).collect());

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
}
