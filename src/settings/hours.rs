//! The salon's weekly opening hours: the answer's two shapes, the stored shape, and how a
//! `PUT`'s day changes apply.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check::{Checks, clock_time};

/// Weekly opening hours, `mon` to `sun`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WeekHours {
    pub mon: DayHours,
    pub tue: DayHours,
    pub wed: DayHours,
    pub thu: DayHours,
    pub fri: DayHours,
    pub sat: DayHours,
    pub sun: DayHours,
}

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LONG_DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl WeekHours {
    pub fn day_mut(&mut self, key: &str) -> Option<&mut DayHours> {
        let i = DAYS
            .iter()
            .position(|d| *d == key)
            .or_else(|| LONG_DAYS.iter().position(|d| *d == key))?;
        [
            &mut self.mon,
            &mut self.tue,
            &mut self.wed,
            &mut self.thu,
            &mut self.fri,
            &mut self.sat,
            &mut self.sun,
        ]
        .into_iter()
        .nth(i)
    }

    /// Built from the stored `{day: {start, end, isOpen}}`; a missing day reads as closed.
    pub fn from_stored(stored: &BTreeMap<String, StoredDay>) -> Self {
        let day = |key: &str| match stored.get(key) {
            Some(d) => DayHours::new(&d.start, &d.end, d.is_open),
            None => DayHours::new("09:00", "18:00", false),
        };
        WeekHours {
            mon: day("mon"),
            tue: day("tue"),
            wed: day("wed"),
            thu: day("thu"),
            fri: day("fri"),
            sat: day("sat"),
            sun: day("sun"),
        }
    }

    pub fn to_stored(&self) -> BTreeMap<String, StoredDay> {
        let days = [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ];
        DAYS.iter()
            .zip(days)
            .map(|(k, d)| {
                (
                    (*k).to_owned(),
                    StoredDay {
                        start: d.start.clone(),
                        end: d.end.clone(),
                        is_open: d.is_open,
                    },
                )
            })
            .collect()
    }
}

/// One day's hours, in the client library's shape (`start`, `end`, `isOpen`) and, with the
/// same values, in the settings screen's (`from`, `to`, `enabled`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayHours {
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "18:00")]
    pub end: String,
    pub is_open: bool,
    pub enabled: bool,
    pub from: String,
    pub to: String,
}

impl DayHours {
    fn new(start: &str, end: &str, is_open: bool) -> Self {
        DayHours {
            start: start.to_owned(),
            end: end.to_owned(),
            is_open,
            enabled: is_open,
            from: start.to_owned(),
            to: end.to_owned(),
        }
    }
}

/// A day as stored in `salons.working_hours`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredDay {
    pub start: String,
    pub end: String,
    pub is_open: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayChange {
    pub start: Option<String>,
    pub end: Option<String>,
    pub is_open: Option<bool>,
    pub enabled: Option<bool>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub fn apply_hours(c: &mut Checks, week: &mut WeekHours, days: BTreeMap<String, DayChange>) {
    for (key, change) in days {
        let field = format!("workingHours.{key}");
        let Some(day) = week.day_mut(&key.to_ascii_lowercase()) else {
            c.fail(&field, "Невідомий день тижня (mon…sun)");
            continue;
        };
        let mut ok = true;
        for (name, raw, slot) in [
            ("start", change.start.or(change.from), &mut day.start),
            ("end", change.end.or(change.to), &mut day.end),
        ] {
            if let Some(raw) = raw {
                match clock_time(&raw) {
                    Some(t) => *slot = t,
                    None => {
                        c.fail(
                            &format!("{field}.{name}"),
                            "Час у форматі ГГ:ХХ, від 00:00 до 23:59",
                        );
                        ok = false;
                    }
                }
            }
        }
        if let Some(open) = change.is_open.or(change.enabled) {
            day.is_open = open;
        }
        // "HH:MM" strings compare in time order.
        if ok && day.is_open && day.end <= day.start {
            c.fail(
                &format!("{field}.end"),
                "Кінець робочого дня має бути пізніше за початок",
            );
        }
        day.from = day.start.clone();
        day.to = day.end.clone();
        day.enabled = day.is_open;
    }
}
