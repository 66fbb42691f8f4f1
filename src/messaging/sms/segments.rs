//! How many SMS a text is billed as (GSM 03.38 / 3GPP TS 23.038 and TS 23.040).

/// The GSM 7-bit default alphabet, one septet each (escape, 0x1B, left out).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: an escape plus the character, two septets each.
const GSM_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Segments `text` takes: 160 septets in one GSM 7-bit message, 153 per part once it is split
/// (the concatenation header takes the rest); with any character outside the GSM alphabet the
/// whole text is UCS-2: 70 UTF-16 units in one, 67 per part. A part never splits an escape
/// sequence or a surrogate pair, so such a character at a boundary moves to the next part.
///
/// An empty text is 0 segments: there is nothing to send (and [`super::Sms::send`] refuses it).
pub fn segments(text: &str) -> u32 {
    match text.chars().map(gsm_septets).collect::<Option<Vec<_>>>() {
        Some(septets) => pack(&septets, 160, 153),
        None => pack(&text.chars().map(char::len_utf16).collect::<Vec<_>>(), 70, 67),
    }
}

fn gsm_septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Fills parts of `multi` units in order, never splitting one character's units.
fn pack(widths: &[usize], single: usize, multi: usize) -> u32 {
    let total: usize = widths.iter().sum();
    if total == 0 {
        return 0;
    }
    if total <= single {
        return 1;
    }
    let (mut parts, mut used) = (1, 0);
    for &width in widths {
        if used + width > multi {
            parts += 1;
            used = 0;
        }
        used += width;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::segments;

    fn a(n: usize) -> String {
        "a".repeat(n)
    }

    #[test]
    fn sms_gsm_alphabet_is_complete() {
        assert_eq!(super::GSM_BASIC.chars().count(), 127);
        assert_eq!(super::GSM_EXTENSION.chars().count(), 10);
    }

    #[test]
    fn sms_empty_text_is_no_segment() {
        assert_eq!(segments(""), 0);
    }

    #[test]
    fn sms_gsm_text_fits_160_then_153_per_part() {
        assert_eq!(segments(&a(1)), 1);
        assert_eq!(segments(&a(160)), 1);
        assert_eq!(segments(&a(161)), 2);
        assert_eq!(segments(&a(306)), 2);
        assert_eq!(segments(&a(307)), 3);
        assert_eq!(segments("Запис підтверджено"), 1, "Cyrillic is not GSM but short");
        // 26 characters, 156 septets: one GSM message, where UCS-2 would need three.
        assert_eq!(segments(&"@£$¥èéùìòÇ\n_ÆæßÉ!¡¿§äöñüà".repeat(6)), 1);
    }

    #[test]
    fn sms_extension_characters_take_two_septets() {
        assert_eq!(segments(&format!("{}€", a(158))), 1);
        assert_eq!(segments(&format!("{}€", a(159))), 2);
        assert_eq!(segments(&"{}".repeat(40)), 1);
        assert_eq!(segments(&"[]".repeat(41)), 2);
        assert_eq!(segments("\u{0C}^\\~|"), 1);
    }

    #[test]
    fn sms_escape_sequence_is_not_split_between_parts() {
        // 306 septets would be two parts, but the € straddles the first boundary.
        assert_eq!(segments(&format!("{}€{}", a(152), a(152))), 3);
        assert_eq!(segments(&format!("{}€{}", a(151), a(153))), 2);
    }

    #[test]
    fn sms_any_other_character_makes_it_ucs2() {
        assert_eq!(segments(&"я".repeat(70)), 1);
        assert_eq!(segments(&"я".repeat(71)), 2);
        assert_eq!(segments(&"я".repeat(134)), 2);
        assert_eq!(segments(&"я".repeat(135)), 3);
        assert_eq!(segments(&format!("{}ї", a(69))), 1, "one Ukrainian letter turns Latin text into UCS-2");
        assert_eq!(segments(&format!("{}ї", a(70))), 2);
    }

    #[test]
    fn sms_emoji_counts_as_two_utf16_units() {
        assert_eq!(segments(&"😀".repeat(35)), 1);
        assert_eq!(segments(&format!("{}😀", a(69))), 2);
        // The pair is not split: 66 units, then the emoji would cross the 67-unit boundary.
        assert_eq!(segments(&format!("{}😀{}", "я".repeat(66), "я".repeat(66))), 3);
        assert_eq!(segments(&format!("{}😀{}", "я".repeat(65), "я".repeat(67))), 2);
    }
}
