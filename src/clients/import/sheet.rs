//! Reading an uploaded file into rows of cells: `.xlsx` (and other zip-based workbooks) and
//! `.xls` with calamine, `.csv` with the csv crate. Blocking work: call from
//! `spawn_blocking`.
//!
//! A zip is inflated once, into nothing, before calamine sees it: more than [`MAX_UNPACKED`]
//! bytes in total, or an entry that inflates more than [`MAX_RATIO`] times, is refused, so a
//! small upload cannot make the server unpack gigabytes.

use std::io::{Cursor, Read};

use calamine::{Data, Reader};
use chrono::NaiveDate;

/// Bound on the inflated size of all entries of an uploaded workbook.
pub const MAX_UNPACKED: u64 = 100 * 1024 * 1024;
/// Bound on how many times an entry may inflate (XML of real sheets stays far below).
pub const MAX_RATIO: u64 = 100;
/// Any entry may inflate to this size whatever its ratio (tiny files compress oddly).
const RATIO_FLOOR: u64 = 1024 * 1024;

/// One cell, whatever the file format.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text: integers without a decimal point, dates as `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Int(i) => i.to_string(),
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Cell::Number(f) => f.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum SheetError {
    /// Neither a workbook calamine reads nor UTF-8 text.
    NotASpreadsheet,
    /// A zip that inflates beyond the bounds.
    TooLargeUnpacked,
    /// A workbook without a single worksheet.
    NoSheet,
}

/// Calls `row` with each row's 1-based number (as the spreadsheet shows it) and cells.
pub fn read(bytes: &[u8], mut row: impl FnMut(u32, Vec<Cell>) -> bool) -> Result<(), SheetError> {
    if bytes.starts_with(b"PK\x03\x04") {
        check_zip(bytes, MAX_UNPACKED, MAX_RATIO)?;
        read_workbook(bytes, &mut row)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        read_workbook(bytes, &mut row)
    } else {
        read_csv(bytes, &mut row)
    }
}

/// Refuses a zip whose entries inflate beyond `max_total` bytes together, or an entry that
/// inflates past a megabyte and more than `max_ratio` times its compressed size. Sizes are measured by
/// inflating (the sizes a zip declares may lie), stopping as soon as a bound is passed.
pub fn check_zip(bytes: &[u8], max_total: u64, max_ratio: u64) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::NotASpreadsheet)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| SheetError::NotASpreadsheet)?;
        let ratio_room = entry.compressed_size().max(1).saturating_mul(max_ratio).max(RATIO_FLOOR);
        if entry.size() > ratio_room || total.saturating_add(entry.size()) > max_total {
            return Err(SheetError::TooLargeUnpacked);
        }
        let room = (max_total - total).min(ratio_room);
        let inflated =
            std::io::copy(&mut entry.take(room + 1), &mut std::io::sink()).map_err(|_| SheetError::NotASpreadsheet)?;
        if inflated > room {
            return Err(SheetError::TooLargeUnpacked);
        }
        total += inflated;
    }
    Ok(())
}

fn read_workbook(bytes: &[u8], row: &mut impl FnMut(u32, Vec<Cell>) -> bool) -> Result<(), SheetError> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::NotASpreadsheet)?;
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(_)) => return Err(SheetError::NotASpreadsheet),
        None => return Err(SheetError::NoSheet),
    };
    let Some((first_row, first_col)) = range.start() else { return Ok(()) };
    for (i, cells) in range.rows().enumerate() {
        // Columns left of the used range are empty; keep positions as the sheet shows them.
        let mut out = vec![Cell::Empty; first_col as usize];
        out.extend(cells.iter().map(cell));
        if !row(first_row + i as u32 + 1, out) {
            break;
        }
    }
    Ok(())
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Int(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).map_or(Cell::Empty, Cell::Date)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
    }
}

fn read_csv(bytes: &[u8], row: &mut impl FnMut(u32, Vec<Cell>) -> bool) -> Result<(), SheetError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.contains(&0) || std::str::from_utf8(text).is_err() {
        return Err(SheetError::NotASpreadsheet);
    }
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    // Excel in Ukrainian locales writes `;`; others `,`; some tools tabs.
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| (first_line.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let mut number = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                number += 1;
                let cells = record.iter().map(|v| if v.trim().is_empty() { Cell::Empty } else { Cell::Text(v.to_owned()) });
                if !row(number, cells.collect()) {
                    return Ok(());
                }
            }
            Err(_) => return Err(SheetError::NotASpreadsheet),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(name: &str, content: &[u8]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(content).unwrap();
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn zips_that_inflate_too_far_are_refused() {
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let bomb = zip_with("xl/worksheets/sheet1.xml", &zeros);
        assert_eq!(check_zip(&bomb, MAX_UNPACKED, MAX_RATIO), Err(SheetError::TooLargeUnpacked));
        // The total bound holds even for entries of a plausible ratio.
        let text: Vec<u8> = (0..1_500_000u32).flat_map(|i| (i.wrapping_mul(2_654_435_761)).to_le_bytes()).collect();
        let plain = zip_with("a.xml", &text);
        assert_eq!(check_zip(&plain, 4 * 1024 * 1024, MAX_RATIO), Err(SheetError::TooLargeUnpacked));
        assert_eq!(check_zip(&plain, MAX_UNPACKED, MAX_RATIO), Ok(()));
    }

    #[test]
    fn csv_with_semicolons_and_a_bom_is_read() {
        let mut rows = Vec::new();
        read("\u{feff}Ім'я;Телефон\nМарія;067 123 45 67\n".as_bytes(), |n, cells| {
            rows.push((n, cells));
            true
        })
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], (2, vec![Cell::Text("Марія".into()), Cell::Text("067 123 45 67".into())]));
    }

    #[test]
    fn binary_that_is_no_workbook_is_refused() {
        assert_eq!(read(b"\x89PNG\r\n\x1a\n\0\0\0", |_, _| true), Err(SheetError::NotASpreadsheet));
        assert_eq!(read(&zip_with("hello.txt", b"hi"), |_, _| true), Err(SheetError::NotASpreadsheet));
    }

    #[test]
    fn numbers_read_as_text_without_a_decimal_point() {
        assert_eq!(Cell::Number(380671234567.0).text(), "380671234567");
        assert_eq!(Cell::Number(10.5).text(), "10.5");
        assert_eq!(Cell::Date(NaiveDate::from_ymd_opt(1990, 5, 3).unwrap()).text(), "1990-05-03");
    }
}
