//! Wall-clock dates and times as the contract writes them, and their instants in a salon's
//! time zone.
//!
//! Dates are `YYYY-MM-DD`, times `HH:MM` (never with seconds: the calendar splits on `:`).
//! Converting a salon's wall-clock moment to an instant is where DST bites: a moment in the
//! spring gap does not exist (refused), one in the autumn overlap happens twice (the first).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use utoipa::ToSchema;

/// A time of day written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, ToSchema)]
#[sqlx(transparent)]
#[schema(value_type = String, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:30")]
pub struct HhMm(pub NaiveTime);

impl HhMm {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        // Accept H:MM and HH:MM[:SS] but always write HH:MM.
        NaiveTime::parse_from_str(s, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
            .map(HhMm)
            .map_err(|_| "час у форматі ГГ:ХХ")
    }

    pub fn minutes(self) -> u32 {
        use chrono::Timelike;
        self.0.hour() * 60 + self.0.minute()
    }

    pub fn from_minutes(m: u32) -> Option<Self> {
        NaiveTime::from_hms_opt(m / 60, m % 60, 0).map(HhMm)
    }
}

impl std::fmt::Display for HhMm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Timelike;
        // Written by hand: chrono's `format` parses its pattern on every call, and a day view
        // writes hundreds of these.
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

impl Serialize for HhMm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HhMm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HhMm::parse(&s).map_err(de::Error::custom)
    }
}

/// A calendar date written `YYYY-MM-DD` (unpadded `2026-5-3` is accepted on input), in the
/// years 1900 to 2200 (`text::MIN_YEAR`, `text::MAX_YEAR`), as its schema's pattern says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type, ToSchema)]
#[sqlx(transparent)]
#[schema(value_type = String, format = Date, pattern = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-", example = "2026-05-13")]
pub struct Ymd(pub NaiveDate);

impl Ymd {
    /// Also refuses years outside `text::MIN_YEAR..=text::MAX_YEAR` (chrono reads
    /// `+262143-12-31`, and arithmetic near its limits panics).
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        use chrono::Datelike;
        let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| "дата у форматі РРРР-ММ-ДД")?;
        if !(crate::text::MIN_YEAR..=crate::text::MAX_YEAR).contains(&date.year()) {
            return Err("дата поза межами 1900–2200 років");
        }
        Ok(Ymd(date))
    }
}

impl std::fmt::Display for Ymd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month(), self.0.day())
    }
}

impl Serialize for Ymd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ymd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ymd::parse(&s).map_err(de::Error::custom)
    }
}

/// Serialises an instant as `2026-05-13T07:30:00Z` (RFC 3339, whole seconds), written by hand:
/// slot searches write thousands of them.
pub fn utc_seconds<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut out = String::with_capacity(20);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()
    );
    s.serialize_str(&out)
}

/// Why a wall-clock moment has no instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonexistentTime;

/// The instant of `date time` in `tz`. A time inside a spring-forward gap does not exist; one
/// inside an autumn overlap resolves to its first occurrence.
pub fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, NonexistentTime> {
    match tz.from_local_datetime(&NaiveDateTime::new(date, time)) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(NonexistentTime),
    }
}

/// Parses an IANA zone name (`Europe/Kyiv`), falling back to Kyiv for unknown names stored
/// before validation existed.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Kyiv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        Ymd::parse(s).unwrap().0
    }
    fn t(s: &str) -> NaiveTime {
        HhMm::parse(s).unwrap().0
    }

    #[test]
    fn formats_without_seconds() {
        assert_eq!(serde_json::to_string(&HhMm::parse("9:05").unwrap()).unwrap(), "\"09:05\"");
        assert_eq!(HhMm::parse("09:05:00").unwrap().to_string(), "09:05");
        assert!(HhMm::parse("25:00").is_err());
        assert!(HhMm::parse("nine").is_err());
        assert_eq!(Ymd::parse("2026-5-3").unwrap().to_string(), "2026-05-03");
        assert!(Ymd::parse("2026-02-30").is_err());
    }

    #[test]
    fn instants_write_as_rfc3339_utc() {
        #[derive(Serialize)]
        struct W(#[serde(serialize_with = "utc_seconds")] DateTime<Utc>);
        let t = DateTime::parse_from_rfc3339("2026-03-29T01:05:09+03:00").unwrap().with_timezone(&Utc);
        assert_eq!(serde_json::to_string(&W(t)).unwrap(), "\"2026-03-28T22:05:09Z\"");
    }

    #[test]
    fn kyiv_spring_gap_and_autumn_overlap() {
        let kyiv = chrono_tz::Europe::Kyiv;
        // 29 March 2026: 03:00 EET jumps to 04:00 EEST.
        assert_eq!(instant(kyiv, d("2026-03-29"), t("02:30")).unwrap().to_rfc3339(), "2026-03-29T00:30:00+00:00");
        assert_eq!(instant(kyiv, d("2026-03-29"), t("03:30")), Err(NonexistentTime));
        assert_eq!(instant(kyiv, d("2026-03-29"), t("04:00")).unwrap().to_rfc3339(), "2026-03-29T01:00:00+00:00");
        // 25 October 2026: 04:00 EEST falls back to 03:00 EET; 03:30 happens twice.
        assert_eq!(instant(kyiv, d("2026-10-25"), t("03:30")).unwrap().to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert_eq!(instant(kyiv, d("2026-10-25"), t("10:00")).unwrap().to_rfc3339(), "2026-10-25T08:00:00+00:00");
    }
}
