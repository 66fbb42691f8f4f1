//! From rows of cells to client cards: the header row (Ukrainian or English names), then every
//! data row checked with the same rules as the API. Blocking-free and pure.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::spreadsheet::{self, Cell};
use super::headers::{Column, column_of};
use crate::{
    clients::{
        fields::{self, split_full_name},
        model::Percent,
    },
    money::Money,
    text,
};

/// Rows a file may hold (data rows, not counting the header and blank rows).
pub const MAX_ROWS: usize = 100_000;
/// The header is looked for among this many first non-blank rows.
const HEADER_SEARCH: usize = 10;

/// A valid row. `None` is an empty cell: the default for a new client, "keep" for an update.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Card {
    pub row: u32,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<String>,
    pub source: Option<String>,
    pub card_number: Option<String>,
    pub discount_bp: Option<i32>,
    pub bonus_minor: Option<i64>,
    pub notes: Option<String>,
    /// The client asked not to be messaged about visits.
    pub messages_opt_out: Option<bool>,
}

/// A row that was not imported, by its number in the spreadsheet.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct RowError {
    pub row: u32,
    pub error: String,
}

#[derive(Debug, PartialEq)]
pub enum RowsError {
    /// The Ukrainian names of the required columns that were not found.
    MissingColumns(Vec<&'static str>),
    TooManyRows,
}

/// Collects the rows of one file.
pub struct Rows {
    today: NaiveDate,
    columns: Option<Vec<(usize, Column)>>,
    split_first_name: bool,
    blank_rows_before_header: usize,
    pub cards: Vec<Card>,
    pub errors: Vec<RowError>,
    /// Data rows seen (valid or not).
    pub total: usize,
    phones: HashMap<String, u32>,
    too_many: bool,
}

impl Rows {
    pub fn new(today: NaiveDate) -> Self {
        Rows {
            today,
            columns: None,
            split_first_name: false,
            blank_rows_before_header: 0,
            cards: Vec::new(),
            errors: Vec::new(),
            total: 0,
            phones: HashMap::new(),
            too_many: false,
        }
    }

    /// Takes the next row; false when reading should stop.
    pub fn push(&mut self, number: u32, cells: Vec<Cell>) -> bool {
        if cells.iter().all(Cell::is_empty) {
            return true;
        }
        let Some(columns) = &self.columns else {
            self.try_header(&cells);
            self.blank_rows_before_header += 1;
            return self.columns.is_some() || self.blank_rows_before_header < HEADER_SEARCH;
        };
        if self.total == MAX_ROWS {
            self.too_many = true;
            return false;
        }
        self.total += 1;
        if let Some(column) = spreadsheet::unstorable_column(&cells) {
            self.errors.push(RowError { row: number, error: spreadsheet::unstorable_message(column) });
            return true;
        }
        let card = read_card(columns, self.split_first_name, number, &cells, self.today);
        match card {
            Ok(card) => match self.phones.get(&card.phone) {
                Some(first) => self.errors.push(RowError {
                    row: number,
                    error: format!("Телефон {} уже є у рядку {first}", card.phone),
                }),
                None => {
                    self.phones.insert(card.phone.clone(), number);
                    self.cards.push(card);
                }
            },
            Err(error) => self.errors.push(RowError { row: number, error }),
        }
        true
    }

    fn try_header(&mut self, cells: &[Cell]) {
        let mut columns: Vec<(usize, Column)> = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            if let Some(c) = column_of(&cell.text())
                && !columns.iter().any(|(_, seen)| *seen == c)
            {
                columns.push((i, c));
            }
        }
        if columns.len() >= 2 {
            let has = |c: Column| columns.iter().any(|(_, seen)| *seen == c);
            self.split_first_name = !has(Column::LastName) && !has(Column::MiddleName);
            self.columns = Some(columns);
        }
    }

    /// The result, or why the file as a whole is refused.
    pub fn finish(self) -> Result<Self, RowsError> {
        let Some(columns) = &self.columns else {
            return Err(RowsError::MissingColumns(vec!["Ім'я", "Телефон"]));
        };
        let has = |c: Column| columns.iter().any(|(_, seen)| *seen == c);
        let mut missing = Vec::new();
        if !has(Column::FirstName) && !has(Column::FullName) {
            missing.push("Ім'я");
        }
        if !has(Column::Phone) {
            missing.push("Телефон");
        }
        if !missing.is_empty() {
            return Err(RowsError::MissingColumns(missing));
        }
        if self.too_many {
            return Err(RowsError::TooManyRows);
        }
        Ok(self)
    }
}

fn read_card(columns: &[(usize, Column)], split: bool, row: u32, cells: &[Cell], today: NaiveDate) -> Result<Card, String> {
    let mut card = Card { row, ..Card::default() };
    let mut full_name = None;
    let mut problems: Vec<String> = Vec::new();
    for &(i, column) in columns {
        let Some(cell) = cells.get(i).filter(|c| !c.is_empty()) else { continue };
        if let Err((label, problem)) = read_cell(&mut card, &mut full_name, column, cell, today) {
            problems.push(format!("{label}: {problem}"));
        }
    }
    settle_names(&mut card, full_name, split, &mut problems);
    if card.phone.is_empty() && !problems.iter().any(|p| p.starts_with("Телефон")) {
        problems.push("Телефон: Вкажіть телефон".to_owned());
    }
    if problems.is_empty() { Ok(card) } else { Err(problems.join("; ")) }
}

/// Reads one non-empty cell into its field of `card` (a full name into `full_name`); a bad
/// value is its column's label and the problem.
fn read_cell(
    card: &mut Card,
    full_name: &mut Option<String>,
    column: Column,
    cell: &Cell,
    today: NaiveDate,
) -> Result<(), (&'static str, String)> {
    macro_rules! fail {
        ($label:expr, $problem:expr) => {
            return Err(($label, $problem.to_string()))
        };
    }
    let text = cell.text();
    match column {
        Column::FirstName => card.first_name = text,
        Column::FullName => *full_name = Some(text),
        Column::MiddleName => match fields::other_name(&text) {
            Ok(v) => card.middle_name = Some(v),
            Err(p) => fail!("По батькові", p),
        },
        Column::LastName => match fields::other_name(&text) {
            Ok(v) => card.last_name = Some(v),
            Err(p) => fail!("Прізвище", p),
        },
        Column::Phone => match fields::phone(&text) {
            Ok(v) => card.phone = v,
            Err(p) => fail!("Телефон", p),
        },
        Column::Email => match fields::email(&text) {
            Ok(v) => card.email = Some(v).filter(|v| !v.is_empty()),
            Err(p) => fail!("Email", p),
        },
        Column::BirthDate => match date_of(cell).and_then(|d| fields::birth_date(d, today)) {
            Ok(d) => card.birth_date = Some(d),
            Err(p) => fail!("Дата народження", p),
        },
        Column::Gender => match gender_of(&text) {
            Some(g) => card.gender = Some(g.to_owned()),
            None => fail!("Стать", "жінка, чоловік або інше (female, male, other)"),
        },
        Column::Source => match category_of(&text) {
            Some(c) => card.source = Some(c.to_owned()),
            None => fail!("Категорія", "VIP, постійний, новий або неактивний"),
        },
        Column::CardNumber => match fields::card_number(&text) {
            Ok(v) => card.card_number = Some(v),
            Err(p) => fail!("Номер картки", p),
        },
        Column::Discount => match amount_of(&text).map(|m| Percent(i32::try_from(m.minor()).unwrap_or(-1))) {
            Ok(p) => match fields::discount(p) {
                Ok(p) => card.discount_bp = Some(p.0),
                Err(problem) => fail!("Знижка", problem),
            },
            Err(problem) => fail!("Знижка", problem),
        },
        Column::Bonus => match amount_of(&text).and_then(fields::bonus) {
            Ok(m) => card.bonus_minor = Some(m.minor()),
            Err(problem) => fail!("Бонуси", problem),
        },
        Column::Notes => match fields::notes(&text) {
            Ok(v) => card.notes = Some(v),
            Err(p) => fail!("Примітки", p),
        },
        Column::MessagesOptOut => match yes_no(&text) {
            Some(v) => card.messages_opt_out = Some(v),
            None => fail!("Без повідомлень", "так або ні (yes, no)"),
        },
    }
    Ok(())
}

/// The first and last name from a full-name column, or from a first-name cell holding the
/// whole name (`split`), and their checks.
fn settle_names(card: &mut Card, full_name: Option<String>, split: bool, problems: &mut Vec<String>) {
    let whole = if card.first_name.is_empty() { full_name } else if split { Some(card.first_name.clone()) } else { None };
    if let Some(whole) = whole {
        let (first, last) = split_full_name(&whole);
        card.first_name = first;
        if !last.is_empty() {
            card.last_name = Some(last);
        }
    }
    match fields::first_name(&card.first_name) {
        Ok(v) => card.first_name = v,
        Err(p) => problems.push(format!("Ім'я: {p}")),
    }
    if card.last_name.as_ref().is_some_and(|l| l.chars().count() > 100) {
        problems.push("Прізвище: Не більше 100 символів".to_owned());
    }
}

/// A date cell, or text as `YYYY-MM-DD`, `DD.MM.YYYY`, `DD/MM/YYYY`, or an Excel serial number.
fn date_of(cell: &Cell) -> Result<NaiveDate, &'static str> {
    const WRONG: &str = "дата у форматі ДД.ММ.РРРР або РРРР-ММ-ДД";
    let date = match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Int(n) => serial_date(*n as f64).ok_or(WRONG),
        Cell::Number(n) => serial_date(*n).ok_or(WRONG),
        Cell::Text(t) => {
            let t = t.trim();
            let day = t.split(['T', ' ']).next().unwrap_or(t);
            ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y.%m.%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
                .ok_or(WRONG)
        }
        Cell::Empty | Cell::Bool(_) => Err(WRONG),
    }?;
    // chrono reads `+262143-12-31`; dates are kept to the years every request is held to.
    if (text::MIN_YEAR..=text::MAX_YEAR).contains(&date.year()) { Ok(date) } else { Err(WRONG) }
}

/// Excel's 1900 date system (serial 1 = 1900-01-01, counting its phantom 29 February).
fn serial_date(n: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(n.floor() as i64))
}

/// A non-negative amount with at most two decimals: `10`, `10,5`, `10.5 %`, `1 200,50 грн`.
fn amount_of(text: &str) -> Result<Money, &'static str> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '%' | '₴'))
        .collect::<String>()
        .trim_end_matches("грн")
        .trim_end_matches("uah")
        .replace(',', ".");
    Money::parse(&cleaned)
}

fn gender_of(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().trim_end_matches('.') {
        "female" | "f" | "ж" | "жін" | "жінка" | "жіноча" | "жіноча стать" | "woman" => Some("female"),
        "male" | "m" | "ч" | "чол" | "чоловік" | "чоловіча" | "man" => Some("male"),
        "other" | "інше" | "інша" | "інший" => Some("other"),
        _ => None,
    }
}

/// A yes/no cell: words in Ukrainian or English, 1/0, +/−, or a spreadsheet's TRUE/FALSE.
fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().trim_end_matches('.') {
        "так" | "да" | "yes" | "y" | "true" | "1" | "+" => Some(true),
        "ні" | "нет" | "no" | "n" | "false" | "0" | "-" | "−" => Some(false),
        _ => None,
    }
}

fn category_of(text: &str) -> Option<&'static str> {
    match text.trim().to_lowercase().as_str() {
        "vip" | "віп" => Some("vip"),
        "regular" | "постійний" | "постійна" | "звичайний" => Some("regular"),
        "new" | "новий" | "нова" => Some("new"),
        "inactive" | "неактивний" | "неактивна" => Some("inactive"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn read(rows: Vec<Vec<Cell>>) -> Result<Rows, RowsError> {
        let mut r = Rows::new(NaiveDate::from_ymd_opt(2026, 5, 13).unwrap());
        for (i, row) in rows.into_iter().enumerate() {
            if !r.push(i as u32 + 1, row) {
                break;
            }
        }
        r.finish()
    }

    #[test]
    fn rows_become_cards_or_numbered_errors() {
        let r = read(vec![
            vec![t("Клієнти салону")],
            vec![t("Ім'я"), t("Прізвище"), t("Телефон"), t("Дата народження"), t("Стать"), t("Знижка, %"), t("Бонуси")],
            vec![t("Марія"), t("Петренко"), Cell::Number(380671234567.0), t("03.05.1990"), t("Жінка"), t("10,5"), t("1 200,50")],
            vec![],
            vec![t(""), t("Коваль"), t("0501112233")],
            vec![t("Олена"), t(""), t("+38 067 123 4567")],
            vec![t("Ірина"), t(""), t("123"), Cell::Number(33000.0), t("x")],
        ])
        .unwrap();
        assert_eq!(r.total, 4);
        assert_eq!(r.cards.len(), 1);
        let c = &r.cards[0];
        assert_eq!((c.row, c.first_name.as_str(), c.phone.as_str()), (3, "Марія", "+380671234567"));
        assert_eq!(c.birth_date, NaiveDate::from_ymd_opt(1990, 5, 3));
        assert_eq!((c.gender.as_deref(), c.discount_bp, c.bonus_minor), (Some("female"), Some(1050), Some(120_050)));
        let rows: Vec<u32> = r.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, [5, 6, 7]);
        assert!(r.errors[0].error.starts_with("Ім'я"), "{:?}", r.errors[0]);
        assert!(r.errors[1].error.contains("рядку 3"), "{:?}", r.errors[1]);
        assert!(r.errors[2].error.contains("Телефон") && r.errors[2].error.contains("Стать"), "{:?}", r.errors[2]);
    }

    #[test]
    fn a_lone_name_column_is_split_into_first_and_last() {
        let r = read(vec![vec![t("Name"), t("Phone")], vec![t("Олена Коваль"), Cell::Int(671234567)]]).unwrap();
        assert_eq!((r.cards[0].first_name.as_str(), r.cards[0].last_name.as_deref()), ("Олена", Some("Коваль")));
        assert_eq!(r.cards[0].phone, "+380671234567");
    }

    #[test]
    fn required_columns_and_row_limits_refuse_the_file() {
        assert_eq!(read(vec![vec![t("Прізвище"), t("Email")]]).err(), Some(RowsError::MissingColumns(vec!["Ім'я", "Телефон"])));
        assert_eq!(read(vec![vec![t("Ім'я"), t("Email")]]).err(), Some(RowsError::MissingColumns(vec!["Телефон"])));
        assert!(matches!(read(vec![vec![t("hello")]]), Err(RowsError::MissingColumns(_))));
        let mut rows = vec![vec![t("Ім'я"), t("Телефон")]];
        rows.extend((0..=MAX_ROWS).map(|_| vec![t("А"), t("1")]));
        assert_eq!(read(rows).err(), Some(RowsError::TooManyRows));
    }

    #[test]
    fn an_opt_out_column_reads_yes_and_no() {
        let r = read(vec![
            vec![t("Ім'я"), t("Телефон"), t("Без повідомлень")],
            vec![t("Олена"), t("0671234567"), t("так")],
            vec![t("Ірина"), t("0671234568"), Cell::Bool(false)],
            vec![t("Оксана"), t("0671234569"), t("")],
            vec![t("Марія"), t("0671234570"), t("можливо")],
        ])
        .unwrap();
        let opted: Vec<Option<bool>> = r.cards.iter().map(|c| c.messages_opt_out).collect();
        assert_eq!(opted, [Some(true), Some(false), None], "an empty cell keeps the card's choice");
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].error.starts_with("Без повідомлень"), "{:?}", r.errors);
    }

    #[test]
    fn excel_serial_dates_are_read() {
        assert_eq!(serial_date(33000.0), NaiveDate::from_ymd_opt(1990, 5, 7));
        assert_eq!(date_of(&t("1990-05-03T00:00:00")), Ok(NaiveDate::from_ymd_opt(1990, 5, 3).unwrap()));
        assert!(date_of(&t("03.13.1990")).is_err());
    }
}
