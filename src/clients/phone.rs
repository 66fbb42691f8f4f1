use phonenumber::{Mode, country};

/// A phone number in E.164 (`+380671234567`), read with Ukraine as the default region:
/// `067 123 45 67`, `+380 (67) 123-45-67` and `380671234567` are one number. `None` for text
/// that is not a valid number (the calendar sends partial digits while a user is typing).
pub fn normalise_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.chars().filter(|c| c.is_ascii_digit()).count() < 7 {
        return None;
    }
    // "380..." without the plus is common in spreadsheets and forms.
    let digits_only = trimmed.chars().all(|c| c.is_ascii_digit());
    let candidate = if digits_only && trimmed.starts_with("380") { format!("+{trimmed}") } else { trimmed.to_owned() };
    let number = phonenumber::parse(Some(country::Id::UA), &candidate).ok()?;
    phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::normalise_phone as n;

    #[test]
    fn ukrainian_forms_become_one_number() {
        for raw in ["+380671234567", "+380 (67) 123-45-67", "067 123 45 67", "0671234567", "380671234567", "+38 067 123 4567"] {
            assert_eq!(n(raw).as_deref(), Some("+380671234567"), "{raw}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(n("+48 601 234 567").as_deref(), Some("+48601234567"));
    }

    #[test]
    fn partial_or_invalid_input_is_none() {
        for raw in ["", "067", "+380 (67", "hello", "0000000000"] {
            assert_eq!(n(raw), None, "{raw}");
        }
    }
}
