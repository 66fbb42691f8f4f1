//! Writing the .xlsx exports (clients, inventory, finances): one look for every workbook the
//! API answers — a bold header row frozen at the top, dates as Excel dates, money as hryvnias
//! to the kopiyka — and the answer that carries a workbook.
//!
//! Text goes through [`text::for_cell`], so no cell is refused for being longer than Excel
//! allows. A money cell holds `minor / 100` as a double: exact to the kopiyka for every amount
//! a salon has, and what Excel sums.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{ExcelDateTime, Format, Worksheet, XlsxError};

use crate::{money::Money, text};

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The cell formats of one workbook.
pub struct Formats {
    pub bold: Format,
    pub date: Format,
    pub datetime: Format,
    pub money: Format,
    pub bold_money: Format,
}

impl Default for Formats {
    fn default() -> Self {
        Self {
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("dd.mm.yyyy"),
            datetime: Format::new().set_num_format("dd.mm.yyyy hh:mm"),
            money: Format::new().set_num_format("#,##0.00"),
            bold_money: Format::new().set_bold().set_num_format("#,##0.00"),
        }
    }
}

/// A worksheet named `name` whose first row holds `headers` (title, column width) in bold and
/// stays in view while scrolling.
pub fn sheet(name: &str, headers: &[(&str, f64)], f: &Formats) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    for (col, (title, width)) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &f.bold)?;
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

/// The cells an export writes, each in its one format.
pub trait Cells {
    /// Text, cut to what a cell holds.
    fn text(&mut self, row: u32, col: u16, value: &str) -> Result<&mut Worksheet, XlsxError>;
    /// An amount in hryvnias (`#,##0.00`).
    fn money(&mut self, row: u32, col: u16, value: Money, f: &Formats) -> Result<&mut Worksheet, XlsxError>;
    /// A calendar date (`dd.mm.yyyy`).
    fn date(&mut self, row: u32, col: u16, value: NaiveDate, f: &Formats) -> Result<&mut Worksheet, XlsxError>;
    /// An instant as the salon's wall-clock date and time (`dd.mm.yyyy hh:mm`).
    fn local_datetime(
        &mut self,
        row: u32,
        col: u16,
        value: DateTime<Utc>,
        zone: Tz,
        f: &Formats,
    ) -> Result<&mut Worksheet, XlsxError>;
}

impl Cells for Worksheet {
    fn text(&mut self, row: u32, col: u16, value: &str) -> Result<&mut Worksheet, XlsxError> {
        self.write_string(row, col, text::for_cell(value))
    }

    fn money(&mut self, row: u32, col: u16, value: Money, f: &Formats) -> Result<&mut Worksheet, XlsxError> {
        self.write_number_with_format(row, col, hryvnias(value), &f.money)
    }

    fn date(&mut self, row: u32, col: u16, value: NaiveDate, f: &Formats) -> Result<&mut Worksheet, XlsxError> {
        self.write_datetime_with_format(row, col, excel_date(value)?, &f.date)
    }

    fn local_datetime(
        &mut self,
        row: u32,
        col: u16,
        value: DateTime<Utc>,
        zone: Tz,
        f: &Formats,
    ) -> Result<&mut Worksheet, XlsxError> {
        let local = value.with_timezone(&zone).naive_local();
        let at = excel_date(local.date())?.and_hms(local.hour() as u16, local.minute() as u8, local.second())?;
        self.write_datetime_with_format(row, col, at, &f.datetime)
    }
}

/// The amount as a number of hryvnias, for a number cell.
pub fn hryvnias(value: Money) -> f64 {
    value.minor() as f64 / 100.0
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// The workbook as a download named `file_name` (`clients.xlsx`).
pub fn attachment(bytes: Vec<u8>, file_name: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    ([(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    #[test]
    fn long_text_is_cut_to_a_cell_and_money_keeps_its_kopiykas() {
        let f = Formats::default();
        let mut sheet = sheet("Аркуш", &[("Назва", 10.0), ("Сума", 10.0)], &f).unwrap();
        sheet.text(1, 0, &"я".repeat(40_000)).expect("a cut value is accepted");
        sheet.money(1, 1, Money(123_456_789), &f).unwrap();
        let mut book = Workbook::new();
        book.push_worksheet(sheet);
        assert!(book.save_to_buffer().is_ok());
        assert_eq!(hryvnias(Money(123_456_789)), 1_234_567.89);
        assert_eq!(hryvnias(Money(-5)), -0.05);
    }
}
