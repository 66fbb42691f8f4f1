//! The header names of an import: Ukrainian and English, forgiving about case, spaces,
//! apostrophes and punctuation.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    FirstName,
    MiddleName,
    LastName,
    FullName,
    Phone,
    Email,
    BirthDate,
    Gender,
    Source,
    CardNumber,
    Discount,
    Bonus,
    Notes,
    MessagesOptOut,
}

/// Header names, compared after lower-casing and dropping everything but letters and digits
/// ("Ім'я" → "імя", "E-mail" → "email", "Знижка, %" → "знижка").
const ALIASES: &[(&str, Column)] = &[
    ("імя", Column::FirstName), ("имя", Column::FirstName), ("firstname", Column::FirstName),
    ("name", Column::FirstName), ("givenname", Column::FirstName),
    ("побатькові", Column::MiddleName), ("отчество", Column::MiddleName), ("middlename", Column::MiddleName),
    ("patronymic", Column::MiddleName),
    ("прізвище", Column::LastName), ("фамилия", Column::LastName), ("lastname", Column::LastName),
    ("surname", Column::LastName), ("familyname", Column::LastName),
    ("піб", Column::FullName), ("фио", Column::FullName), ("повнеімя", Column::FullName),
    ("fullname", Column::FullName), ("клієнт", Column::FullName), ("client", Column::FullName),
    ("телефон", Column::Phone), ("тел", Column::Phone), ("мобільний", Column::Phone),
    ("номертелефону", Column::Phone), ("phone", Column::Phone), ("phonenumber", Column::Phone),
    ("mobile", Column::Phone), ("telephone", Column::Phone),
    ("email", Column::Email), ("пошта", Column::Email), ("електроннапошта", Column::Email),
    ("елпошта", Column::Email), ("mail", Column::Email), ("emailaddress", Column::Email),
    ("датанародження", Column::BirthDate), ("деньнародження", Column::BirthDate),
    ("birthdate", Column::BirthDate), ("birthday", Column::BirthDate), ("dateofbirth", Column::BirthDate),
    ("dob", Column::BirthDate),
    ("стать", Column::Gender), ("gender", Column::Gender), ("sex", Column::Gender),
    ("категорія", Column::Source), ("джерело", Column::Source), ("category", Column::Source),
    ("source", Column::Source),
    ("номеркартки", Column::CardNumber), ("картка", Column::CardNumber), ("карта", Column::CardNumber),
    ("cardnumber", Column::CardNumber), ("card", Column::CardNumber),
    ("знижка", Column::Discount), ("discount", Column::Discount),
    ("бонуси", Column::Bonus), ("бонус", Column::Bonus), ("бонуснийбаланс", Column::Bonus),
    ("bonus", Column::Bonus), ("bonuses", Column::Bonus), ("bonusbalance", Column::Bonus),
    ("примітки", Column::Notes), ("примітка", Column::Notes), ("коментар", Column::Notes),
    ("коментарі", Column::Notes), ("notes", Column::Notes), ("note", Column::Notes),
    ("comment", Column::Notes), ("comments", Column::Notes),
    ("безповідомлень", Column::MessagesOptOut), ("відмовавідповідомлень", Column::MessagesOptOut),
    ("неповідомляти", Column::MessagesOptOut), ("messagesoptout", Column::MessagesOptOut),
    ("optout", Column::MessagesOptOut), ("nomessages", Column::MessagesOptOut),
    ("donotcontact", Column::MessagesOptOut),
];

pub fn column_of(header: &str) -> Option<Column> {
    let key: String = header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    ALIASES.iter().find(|(alias, _)| *alias == key).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ukrainian_and_english_headers_are_recognised() {
        for header in ["Ім'я", "ІМ’Я", "First name", "first_name", "Name"] {
            assert_eq!(column_of(header), Some(Column::FirstName), "{header}");
        }
        assert_eq!(column_of("E-mail"), Some(Column::Email));
        assert_eq!(column_of("Знижка, %"), Some(Column::Discount));
        assert_eq!(column_of("Дата народження"), Some(Column::BirthDate));
        assert_eq!(column_of("Сегмент"), None);
    }
}
