//! A one-event iCalendar file (RFC 5545) for a visit. Written by hand: one event needs text
//! escaping and line folding, not a calendar library.
//!
//! `METHOD:PUBLISH`, not `REQUEST`: a REQUEST is an iTIP invitation that needs an ORGANIZER and
//! makes mail clients offer Accept/Decline replies to an address nobody reads; PUBLISH simply
//! adds the visit to the client's calendar (and a later PUBLISH of the same UID updates it).

use chrono::{DateTime, Utc};

/// What the event says.
pub struct Event<'a> {
    /// Stable per appointment, so a resent file updates the event instead of adding one.
    pub uid: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    /// Left out when empty.
    pub location: &'a str,
    /// Left out when empty.
    pub description: &'a str,
}

/// The MIME type the file is attached with.
pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// The file, stamped `stamp` (when it was made).
pub fn calendar(e: &Event, stamp: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Adelante//Visits//UK".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", e.uid),
        format!("DTSTAMP:{}", utc(stamp)),
        format!("DTSTART:{}", utc(e.starts_at)),
        format!("DTEND:{}", utc(e.ends_at)),
        format!("SUMMARY:{}", text(e.summary)),
    ];
    if !e.location.is_empty() {
        lines.push(format!("LOCATION:{}", text(e.location)));
    }
    if !e.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(e.description)));
    }
    lines.extend(["STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"].map(str::to_owned));
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

/// A UTC date-time in the basic format: `20261212T123000Z`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslash, semicolon and comma escaped, every line break as `\n`.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Splits a content line into lines of at most 75 octets, never inside a character; each
/// continuation starts with a space (which counts toward its 75).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 37);
    let mut room = 75;
    for c in line.chars() {
        if c.len_utf8() > room {
            out.push_str("\r\n ");
            room = 74;
        }
        out.push(c);
        room -= c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_escape_separators_and_line_breaks() {
        assert_eq!(text(r"a,b;c\d"), r"a\,b\;c\\d");
        assert_eq!(text("one\r\ntwo\nthree\rfour"), r"one\ntwo\nthree\nfour");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "Манікюр ".repeat(20));
        let folded = fold(&line);
        let parts: Vec<&str> = folded.split("\r\n").collect();
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= 75), "{parts:?}");
        assert!(parts[1..].iter().all(|p| p.starts_with(' ')));
        let unfolded: String = folded.replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT:x"), "SHORT:x");
    }

    #[test]
    fn an_event_is_in_utc_with_crlf_lines() {
        let at = |h| DateTime::parse_from_rfc3339(&format!("2026-12-12T{h:02}:30:00+02:00")).unwrap().to_utc();
        let ics = calendar(
            &Event { uid: "appointment-7@3.adelante", starts_at: at(14), ends_at: at(15), summary: "Стрижка — Весна", location: "", description: "" },
            at(9),
        );
        assert!(ics.contains("\r\nDTSTART:20261212T123000Z\r\nDTEND:20261212T133000Z\r\n"), "{ics}");
        assert!(ics.contains("\r\nUID:appointment-7@3.adelante\r\n"));
        assert!(!ics.contains("LOCATION"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'));
    }
}
