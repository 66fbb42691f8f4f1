//! What a client is told about a visit (booked, coming up, cancelled), by e-mail and by SMS.
//! The calendar domain decides when; this module decides the words. Times are shown on the
//! salon's clock.

use chrono::{DateTime, Datelike, Utc, Weekday};

use super::{
    Attachment, Email, ics,
    visits::Purpose,
    templates::{self, VisitMail},
};

/// Also here: the module is where callers of [`visit_email`] look for it.
pub use super::SalonContacts;

/// The visit a message is about.
#[derive(Debug, Clone)]
pub struct Visit {
    pub appointment_id: i64,
    pub client_name: String,
    pub service: String,
    pub master: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The mail to `to`. A confirmation carries the visit as an `.ics` event.
pub fn visit_email(kind: Purpose, visit: &Visit, salon: &SalonContacts, to: &str) -> Email {
    let template = match kind {
        Purpose::Confirmation => "visit_confirmation",
        Purpose::Reminder => "visit_reminder",
        Purpose::Cancellation => "visit_cancellation",
    };
    let mail = VisitMail {
        template,
        client_name: visit.client_name.clone(),
        service: visit.service.clone(),
        master: visit.master.clone(),
        when: when(visit.starts_at, salon.zone),
        until: visit.ends_at.with_timezone(&salon.zone).format("%H:%M").to_string(),
    };
    let mut email = templates::render(&mail, to, salon);
    if kind == Purpose::Confirmation {
        email.attachments.push(calendar_file(visit, salon));
    }
    email
}

/// The SMS: one line, as short as the facts allow (70 Cyrillic characters fill a segment).
pub fn visit_sms(kind: Purpose, visit: &Visit, salon: &SalonContacts) -> String {
    let at = visit.starts_at.with_timezone(&salon.zone).format("%d.%m о %H:%M");
    match kind {
        Purpose::Confirmation => format!("{}: ви записані на {}, {at}", salon.name, visit.service),
        Purpose::Reminder => format!("{}: чекаємо вас {at}, {}", salon.name, visit.service),
        Purpose::Cancellation if salon.phone.is_empty() => {
            format!("{}: запис {at} скасовано", salon.name)
        }
        Purpose::Cancellation => format!("{}: запис {at} скасовано. {}", salon.name, salon.phone),
    }
}

/// `пт, 12 грудня о 14:30` in `zone`.
pub fn when(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&zone);
    format!(
        "{}, {} {} о {}",
        weekday(local.weekday()),
        local.day(),
        MONTHS[local.month0() as usize],
        local.format("%H:%M")
    )
}

fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "пн",
        Weekday::Tue => "вт",
        Weekday::Wed => "ср",
        Weekday::Thu => "чт",
        Weekday::Fri => "пт",
        Weekday::Sat => "сб",
        Weekday::Sun => "нд",
    }
}

/// Month names in the genitive, as a date says them.
const MONTHS: [&str; 12] = [
    "січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
    "листопада", "грудня",
];

fn calendar_file(visit: &Visit, salon: &SalonContacts) -> Attachment {
    let uid = format!("appointment-{}@{}.adelante", visit.appointment_id, salon.slug_or_id);
    let summary = format!("{} — {}", visit.service, salon.name);
    let description = visit.master.as_ref().map(|m| format!("Майстер: {m}")).unwrap_or_default();
    let event = ics::Event {
        uid: &uid,
        starts_at: visit.starts_at,
        ends_at: visit.ends_at,
        summary: &summary,
        location: &salon.address,
        description: &description,
    };
    Attachment {
        filename: "visit.ics".into(),
        content_type: ics::CONTENT_TYPE.into(),
        bytes: ics::calendar(&event, Utc::now()).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salon() -> SalonContacts {
        SalonContacts {
            name: "Весна".into(),
            address: "Київ, вул. Хрещатик, 1".into(),
            phone: "+380441234567".into(),
            email: String::new(),
            website: String::new(),
            zone: chrono_tz::Europe::Kyiv,
            slug_or_id: "3".into(),
        }
    }

    fn visit() -> Visit {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        Visit {
            appointment_id: 7,
            client_name: "Марія".into(),
            service: "Стрижка".into(),
            master: None,
            starts_at: at("2026-12-12T12:30:00Z"),
            ends_at: at("2026-12-12T13:30:00Z"),
        }
    }

    #[test]
    fn times_read_on_the_salons_clock_in_ukrainian() {
        let at = DateTime::parse_from_rfc3339("2026-12-11T12:30:00Z").unwrap().to_utc();
        assert_eq!(when(at, chrono_tz::Europe::Kyiv), "пт, 11 грудня о 14:30");
        let summer = DateTime::parse_from_rfc3339("2026-06-01T05:00:00Z").unwrap().to_utc();
        assert_eq!(when(summer, chrono_tz::Europe::Kyiv), "пн, 1 червня о 08:00");
    }

    #[test]
    fn an_sms_fits_one_segment_for_a_short_name() {
        for kind in [Purpose::Confirmation, Purpose::Reminder, Purpose::Cancellation] {
            let sms = visit_sms(kind, &visit(), &salon());
            assert!(sms.chars().count() <= 70, "{sms} is {} characters", sms.chars().count());
            assert!(sms.contains("12.12 о 14:30"), "{sms}");
        }
    }
}
