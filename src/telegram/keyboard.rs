//! What a button asks for: the callback data of the bot's inline keyboards (at most 64 bytes,
//! as Telegram allows), written and read in one place. Every id in it comes back from the
//! client's side and is looked up again in the salon's transaction before anything is done.

use chrono::{NaiveDate, NaiveTime};

use crate::ids::{AppointmentId, ServiceId, StaffId};

/// A member chosen for a booking, or whoever is free.
pub type Member = Option<StaffId>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Menu,
    Contacts,
    /// Booking: the categories.
    Book,
    /// The services of the category `service` belongs to.
    Category(ServiceId),
    /// Who performs the service.
    Service(ServiceId),
    /// Days with free time.
    Member(ServiceId, Member),
    /// Free times of the day.
    Day(ServiceId, Member, NaiveDate),
    /// The booking to confirm.
    Time(ServiceId, Member, NaiveDate, NaiveTime),
    Confirm(ServiceId, Member, NaiveDate, NaiveTime),
    /// The client's upcoming visits.
    Visits,
    /// Ask before cancelling.
    Cancel(AppointmentId),
    Cancelled(AppointmentId),
    /// Moving a visit: days, times, then the move.
    Move(AppointmentId),
    MoveDay(AppointmentId, NaiveDate),
    MoveTo(AppointmentId, NaiveDate, NaiveTime),
}

fn member(m: Member) -> i64 {
    m.map_or(0, StaffId::get)
}

fn day(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn time(t: NaiveTime) -> String {
    t.format("%H%M").to_string()
}

impl Action {
    pub fn data(&self) -> String {
        use Action::*;
        match *self {
            Menu => "m".into(),
            Contacts => "c".into(),
            Book => "b".into(),
            Category(s) => format!("bc:{s}"),
            Service(s) => format!("bs:{s}"),
            Member(s, m) => format!("bm:{s}:{}", member(m)),
            Day(s, m, d) => format!("bd:{s}:{}:{}", member(m), day(d)),
            Time(s, m, d, t) => format!("bt:{s}:{}:{}:{}", member(m), day(d), time(t)),
            Confirm(s, m, d, t) => format!("bk:{s}:{}:{}:{}", member(m), day(d), time(t)),
            Visits => "v".into(),
            Cancel(a) => format!("vc:{a}"),
            Cancelled(a) => format!("vx:{a}"),
            Move(a) => format!("vm:{a}"),
            MoveDay(a, d) => format!("vd:{a}:{}", day(d)),
            MoveTo(a, d, t) => format!("vt:{a}:{}:{}", day(d), time(t)),
        }
    }

    /// `None` for anything this version did not write.
    pub fn parse(data: &str) -> Option<Action> {
        use Action::*;
        let mut parts = data.split(':');
        let tag = parts.next()?;
        let args: Vec<&str> = parts.collect();
        let id = |i: usize| args.get(i).and_then(|a| a.parse::<i64>().ok()).filter(|n| *n > 0);
        let service = |i: usize| id(i).map(ServiceId);
        let visit = |i: usize| id(i).map(AppointmentId);
        let member = |i: usize| -> Option<self::Member> {
            let n = args.get(i)?.parse::<i64>().ok()?;
            match n {
                0 => Some(None),
                n if n > 0 => Some(Some(StaffId(n))),
                _ => None,
            }
        };
        let date = |i: usize| NaiveDate::parse_from_str(args.get(i)?, "%Y%m%d").ok();
        let at = |i: usize| NaiveTime::parse_from_str(args.get(i)?, "%H%M").ok();
        let action = match (tag, args.len()) {
            ("m", 0) => Menu,
            ("c", 0) => Contacts,
            ("b", 0) => Book,
            ("bc", 1) => Category(service(0)?),
            ("bs", 1) => Service(service(0)?),
            ("bm", 2) => Member(service(0)?, member(1)?),
            ("bd", 3) => Day(service(0)?, member(1)?, date(2)?),
            ("bt", 4) => Time(service(0)?, member(1)?, date(2)?, at(3)?),
            ("bk", 4) => Confirm(service(0)?, member(1)?, date(2)?, at(3)?),
            ("v", 0) => Visits,
            ("vc", 1) => Cancel(visit(0)?),
            ("vx", 1) => Cancelled(visit(0)?),
            ("vm", 1) => Move(visit(0)?),
            ("vd", 2) => MoveDay(visit(0)?, date(1)?),
            ("vt", 3) => MoveTo(visit(0)?, date(1)?, at(2)?),
            _ => return None,
        };
        Some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_and_fits_telegrams_64_bytes() {
        let (s, m) = (ServiceId(i64::MAX), Some(StaffId(i64::MAX)));
        let (d, t) = (NaiveDate::from_ymd_opt(2027, 3, 28).unwrap(), NaiveTime::from_hms_opt(9, 45, 0).unwrap());
        let a = AppointmentId(i64::MAX);
        for action in [
            Action::Menu, Action::Contacts, Action::Book, Action::Category(s), Action::Service(s), Action::Member(s, None),
            Action::Member(s, m), Action::Day(s, m, d), Action::Time(s, m, d, t), Action::Confirm(s, m, d, t),
            Action::Visits, Action::Cancel(a), Action::Cancelled(a), Action::Move(a), Action::MoveDay(a, d),
            Action::MoveTo(a, d, t),
        ] {
            let data = action.data();
            assert!(data.len() <= 64, "{data} is {} bytes", data.len());
            assert_eq!(Action::parse(&data), Some(action), "{data}");
        }
    }

    #[test]
    fn anything_else_is_no_action() {
        for data in ["", "x", "bs", "bs:-1", "bs:0", "bs:1:2", "bm:1:-3", "bd:1:0:20271340", "bt:1:0:20270101:2561", "vc:abc"] {
            assert_eq!(Action::parse(data), None, "{data}");
        }
    }
}
