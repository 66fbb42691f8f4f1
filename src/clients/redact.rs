//! Fields of a client card that the roles page lets a salon hide, hidden on the server.
//!
//! | field | list (`GET /clients`) | card (`GET /clients/{id}`, answers of `POST`/`PUT`) |
//! |---|---|---|
//! | `phone`, `email` | `clients.list.show_contacts` | `clients.card.show_phone` |
//! | `middleName`, `lastName` (and the surname in `name`) | `clients.card.show_name` | `clients.card.show_name` |
//! | `notes` | `clients.card.view_note` | `clients.card.view_note` |
//! | `bonusBalance` | `clients.loyalty.view` | `clients.loyalty.view` |
//! | `visits` of the card | — | `clients.history.view` |
//!
//! `GET /clients/export` follows the list's rules, on both of its sheets. The list's search (and
//! the export's) matches phones and e-mails only for users who see them in the list.
//!
//! Hidden values keep the shape the frontend reads (contract §3.4): `phone` stays a string,
//! masked to its first four and last two characters (`+380*******67`); `email` is absent (it is
//! optional); names and notes are `""`; `bonusBalance` is `0` (a required number). A `PUT` by a user who cannot see a field ignores that
//! field, so a form that sends the masked values back changes nothing.

use super::{input::ClientChanges, model::Client};
use crate::auth::CurrentUser;

/// What one user is shown of a client in one view.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    contacts: bool,
    surname: bool,
    note: bool,
    loyalty: bool,
}

impl Shown {
    /// The client list's rules.
    pub fn list(user: &CurrentUser) -> Self {
        Shown {
            contacts: user.may("clients.list.show_contacts"),
            surname: user.may("clients.card.show_name"),
            note: user.may("clients.card.view_note"),
            loyalty: user.may("clients.loyalty.view"),
        }
    }

    /// The client card's rules.
    pub fn card(user: &CurrentUser) -> Self {
        Shown {
            contacts: user.may("clients.card.show_phone"),
            surname: user.may("clients.card.show_name"),
            note: user.may("clients.card.view_note"),
            loyalty: user.may("clients.loyalty.view"),
        }
    }

    pub fn apply(self, mut c: Client) -> Client {
        if !self.contacts {
            c.phone = mask_phone(&c.phone);
            c.email = None;
        }
        if !self.surname {
            c.middle_name = String::new();
            c.last_name = String::new();
            c.name = c.first_name.clone();
        }
        if !self.note {
            c.notes = String::new();
        }
        if !self.loyalty {
            c.bonus_balance = crate::money::Money(0);
        }
        c
    }

    /// A phone as this user may see it.
    pub fn phone(self, phone: &str) -> String {
        if self.contacts { phone.to_owned() } else { mask_phone(phone) }
    }

    /// Whether this user sees phones and e-mails (and so may search by them).
    pub fn contacts(self) -> bool {
        self.contacts
    }

    /// Whether this user sees surnames.
    pub fn surname(self) -> bool {
        self.surname
    }

    /// Drops the changes of fields this user cannot see.
    pub fn keep_visible(self, mut changes: ClientChanges) -> ClientChanges {
        if !self.contacts {
            changes.phone = None;
            changes.email = None;
        }
        if !self.surname {
            changes.middle_name = None;
            changes.last_name = None;
        }
        if !self.note {
            changes.notes = None;
        }
        if !self.loyalty {
            changes.bonus_balance = None;
        }
        changes
    }
}

/// A full name (`Марія Коваль`) reduced to its first word, where the surname is hidden.
pub fn first_word(name: &str) -> String {
    name.split_whitespace().next().unwrap_or_default().to_owned()
}

/// `+380671234567` → `+380*******67`: enough to tell two clients apart, not to call them.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let keep_end = chars.len() - 2;
    chars
        .iter()
        .enumerate()
        .map(|(i, ch)| if i < 4 || i >= keep_end { *ch } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn phones_keep_the_country_code_and_two_digits() {
        assert_eq!(mask_phone("+380671234567"), "+380*******67");
        assert_eq!(mask_phone("+12345"), "******");
        assert_eq!(mask_phone(""), "");
    }
}
