//! Field checks shared by the salon and profile settings: every problem of a body is
//! collected, so one 422 names them all.

use chrono::NaiveDate;

use crate::error::{AppError, FieldErrors};

/// What a text field accepts: at most `max` characters, `""` unless required, newlines only
/// where allowed. `TextRule::line(200).required()` reads as it checks.
#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    max: usize,
    required: bool,
    multiline: bool,
}

impl TextRule {
    /// One line of at most `max` characters; `""` is a value ("no value").
    pub const fn line(max: usize) -> Self {
        TextRule { max, required: false, multiline: false }
    }

    /// Like [`TextRule::line`], with newlines (and tabs) allowed.
    pub const fn lines(max: usize) -> Self {
        TextRule { max, required: false, multiline: true }
    }

    /// `""` is refused.
    pub const fn required(self) -> Self {
        TextRule { required: true, ..self }
    }
}

#[derive(Default)]
pub struct Checks {
    errors: FieldErrors,
}

impl Checks {
    pub fn fail(&mut self, field: &str, problem: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(problem.into());
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// Trimmed text within `rule`, without control characters (newlines only when the rule
    /// allows them).
    pub fn text(&mut self, field: &str, raw: &str, rule: TextRule) -> Option<String> {
        let TextRule { max, required, multiline } = rule;
        let value = raw.trim();
        if required && value.is_empty() {
            self.fail(field, "Обов'язкове поле");
            return None;
        }
        if value.chars().count() > max {
            self.fail(field, format!("Не більше {max} символів"));
            return None;
        }
        if value
            .chars()
            .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
        {
            self.fail(field, "Недопустимі символи");
            return None;
        }
        Some(value.to_owned())
    }

    /// A phone as people type it: digits with `+ - ( )` and spaces, 7 to 15 digits; `""` clears.
    pub fn phone(&mut self, field: &str, raw: &str) -> Option<String> {
        let value = self.text(field, raw, TextRule::line(32))?;
        if value.is_empty() {
            return Some(value);
        }
        let digits = value.chars().filter(char::is_ascii_digit).count();
        let allowed = value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' '));
        if !allowed || !(7..=15).contains(&digits) {
            self.fail(field, "Некоректний номер телефону");
            return None;
        }
        Some(value)
    }

    /// An e-mail, normalised to lower case; `""` clears unless `required`.
    pub fn email(&mut self, field: &str, raw: &str, required: bool) -> Option<String> {
        if raw.trim().is_empty() && !required {
            return Some(String::new());
        }
        match crate::auth::normalise_email(field, raw) {
            Ok(email) => Some(email),
            Err(_) => {
                self.fail(
                    field,
                    if raw.trim().is_empty() {
                        "Вкажіть e-mail"
                    } else {
                        "Некоректний e-mail"
                    },
                );
                None
            }
        }
    }

    /// An http(s) address (`https://` is assumed when the scheme is missing); `""` clears.
    pub fn url(&mut self, field: &str, raw: &str) -> Option<String> {
        let value = self.text(field, raw, TextRule::line(300))?;
        if value.is_empty() {
            return Some(value);
        }
        let full = if value.contains("://") {
            value
        } else {
            format!("https://{value}")
        };
        match url::Url::parse(&full) {
            Ok(u)
                if matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| h.contains('.')) =>
            {
                Some(full)
            }
            _ => {
                self.fail(field, "Некоректна адреса сайту");
                None
            }
        }
    }

    /// A social profile: a web address or a handle such as `@kyiv_beauty`; `""` clears.
    pub fn social(&mut self, field: &str, raw: &str) -> Option<String> {
        let value = self.text(field, raw, TextRule::line(300))?;
        let handle = value.strip_prefix('@').unwrap_or(&value);
        let is_handle = !handle.is_empty()
            && handle.len() <= 64
            && handle
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'));
        if value.is_empty() || is_handle {
            return Some(value);
        }
        if value.starts_with("http://") || value.starts_with("https://") {
            return self.url(field, &value);
        }
        self.fail(field, "Вкажіть посилання або ім'я профілю (@name)");
        None
    }

    /// `YYYY-MM-DD` between 1900-01-01 and `latest`; `""` clears (`Some(None)`).
    pub fn date(&mut self, field: &str, raw: &str, latest: NaiveDate) -> Option<Option<NaiveDate>> {
        let value = raw.trim();
        if value.is_empty() {
            return Some(None);
        }
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(d) if d >= earliest && d <= latest => Some(Some(d)),
            Ok(_) => {
                self.fail(field, "Дата поза допустимим діапазоном");
                None
            }
            Err(_) => {
                self.fail(field, "Дата у форматі РРРР-ММ-ДД");
                None
            }
        }
    }

    /// An integer within `range`.
    pub fn int(
        &mut self,
        field: &str,
        value: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i32> {
        if range.contains(&value) {
            i32::try_from(value).ok()
        } else {
            self.fail(
                field,
                format!("Значення від {} до {}", range.start(), range.end()),
            );
            None
        }
    }
}

/// `H:MM` or `HH:MM` from 00:00 to 23:59, normalised to `HH:MM`.
pub fn clock_time(raw: &str) -> Option<String> {
    let (h, m) = raw.trim().split_once(':')?;
    if !(1..=2).contains(&h.len())
        || m.len() != 2
        || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

/// Active ISO 4217 currency codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD \
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS \
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT \
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR \
    PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL \
    THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split_whitespace().any(|c| c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times() {
        assert_eq!(clock_time("9:05").as_deref(), Some("09:05"));
        assert_eq!(clock_time("23:59").as_deref(), Some("23:59"));
        for bad in [
            "25:00", "24:00", "12:60", "12", "1200", "ab:cd", "-1:00", "12:5", "123:00",
        ] {
            assert!(clock_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn collects_every_problem() {
        let mut c = Checks::default();
        assert_eq!(c.phone("phone", "").as_deref(), Some(""));
        assert!(c.phone("phone", "call me").is_none());
        assert_eq!(
            c.url("website", "salon.com.ua").as_deref(),
            Some("https://salon.com.ua")
        );
        assert!(c.url("website", "javascript:alert(1)").is_none());
        assert_eq!(
            c.social("instagram", "@kyiv_beauty").as_deref(),
            Some("@kyiv_beauty")
        );
        assert!(c.social("facebook", "not a handle").is_none());
        assert!(c.text("name", "x\u{0}y", TextRule::line(10).required()).is_none());
        let Err(AppError::Invalid(errors)) = c.finish() else {
            panic!("expected errors")
        };
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["facebook", "name", "phone", "website"]
        );
    }
}
