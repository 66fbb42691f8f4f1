//! Reading an uploaded spreadsheet into rows of cells, within one set of bounds. Every import
//! (clients, inventory) reads its file here; nothing in this module knows a domain.
//!
//! Accepted formats, told by the bytes rather than the name: `.xlsx` (a zip of XML) and UTF-8
//! `.csv` (`;`, `,` or tab separated). Refused with a 422 naming those two:
//! - `.xls` (a compound document): calamine parses every sheet of an `.xls` when it opens the
//!   file, reserving and laying out a dense grid sized by what the file claims (its DIMENSIONS
//!   record and cell coordinates), so a few kilobytes can ask for gigabytes before any check of
//!   ours could run;
//! - `.ods`, `.xlsb` and any other zip: only calamine's `.xlsx` reader is ever used.
//!
//! Bounds ([`Limits`]), each checked before the thing it bounds is built:
//! - the zip's central directory: at most [`Limits::max_entries`] entries, each declaring at
//!   most [`Limits::max_entry_bytes`] unpacked and at most [`Limits::max_ratio`] times its
//!   packed size, [`Limits::max_unpacked_bytes`] together; then every entry is inflated into a
//!   sink under the same budget, because declared sizes may lie;
//! - the shared-strings table: its declared `uniqueCount` (calamine reserves that many
//!   strings up front) and its unpacked size;
//! - the sheet: its `<dimension ref>` and every cell's row and column, checked as the cells
//!   stream by (`worksheet_cells_reader`; never `worksheet_range`, which allocates the dense
//!   grid from the first to the last used cell);
//! - each cell's length, the cells kept and the text kept in all ([`Limits::max_cells`],
//!   [`Limits::max_text_bytes`]): a short shared string referenced by millions of cells
//!   cannot multiply.
//!
//! Parsing is blocking: [`read_off_thread`] runs it on the blocking pool, at most
//! [`PARALLEL_READS`] files at a time per process.

use std::{
    collections::BTreeMap,
    io::{Cursor, Read},
};

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// The bounds every uploaded spreadsheet is read within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Upload size (the contract's 10 MB).
    pub max_file_bytes: usize,
    /// Entries in a zip.
    pub max_entries: usize,
    /// Unpacked size of any one zip entry.
    pub max_entry_bytes: u64,
    /// Unpacked size of all entries together.
    pub max_unpacked_bytes: u64,
    /// How many times an entry larger than [`RATIO_FLOOR`] may inflate.
    pub max_ratio: u64,
    /// Unpacked size of the shared-strings entry (calamine keeps all of it in memory).
    pub max_shared_strings_bytes: u64,
    /// The `uniqueCount` the shared-strings table may declare.
    pub max_shared_strings: u64,
    /// The last row (1-based, as the sheet shows it) a non-empty cell may be in.
    pub max_rows: u32,
    /// The last column (1-based) a non-empty cell may be in.
    pub max_columns: u32,
    /// Characters in one cell (Excel's own limit).
    pub max_cell_chars: usize,
    /// Cell slots kept for all rows (a row keeps a slot for every column up to its last cell).
    pub max_cells: usize,
    /// Bytes of text kept for all cells.
    pub max_text_bytes: usize,
}

/// The one set of limits of every import.
pub const LIMITS: Limits = Limits {
    max_file_bytes: 10 * 1024 * 1024,
    max_entries: 1_000,
    max_entry_bytes: 100 * 1024 * 1024,
    max_unpacked_bytes: 100 * 1024 * 1024,
    max_ratio: 100,
    max_shared_strings_bytes: 32 * 1024 * 1024,
    max_shared_strings: 1_000_000,
    // 100,000 data rows (the largest import) plus headers and blank rows.
    max_rows: 100_100,
    max_columns: 256,
    max_cell_chars: 32_767,
    max_cells: 2_000_000,
    max_text_bytes: 64 * 1024 * 1024,
};

/// Any entry may inflate to this size whatever its ratio (tiny files compress oddly).
pub const RATIO_FLOOR: u64 = 1024 * 1024;
/// Files parsed at once per process.
pub const PARALLEL_READS: usize = 2;
static READING: Semaphore = Semaphore::const_new(PARALLEL_READS);

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
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

    /// The cell as trimmed text: integers without a decimal point, dates as `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Int(i) => i.to_string(),
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Cell::Number(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// Whether PostgreSQL can store the cell's text (it refuses NUL in `text`).
    pub fn is_storable(&self) -> bool {
        !matches!(self, Cell::Text(t) if t.contains('\0'))
    }
}

/// The 1-based column of the first cell of `cells` whose text PostgreSQL cannot store, for a
/// per-row error.
pub fn unstorable_column(cells: &[Cell]) -> Option<usize> {
    cells.iter().position(|c| !c.is_storable()).map(|i| i + 1)
}

/// The message of a row refused by [`unstorable_column`].
pub fn unstorable_message(column: usize) -> String {
    format!(
        "Комірка у стовпці {} містить недопустимі символи (NUL)",
        column_name(column as u32)
    )
}

/// The non-empty rows of the first sheet, each with its 1-based number as the sheet shows it.
pub type Rows = Vec<(u32, Vec<Cell>)>;

/// Why a file cannot be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetError {
    /// Neither an .xlsx nor text.
    Unsupported,
    /// An .xls (compound document) workbook.
    LegacyXls,
    Corrupt,
    /// A zip that unpacks beyond the bounds.
    Bomb,
    NotUtf8,
    /// A non-empty cell below the last row allowed.
    TooManyRows,
    /// A non-empty cell right of the last column allowed.
    TooManyColumns,
    /// A cell longer than allowed, at (1-based row, 1-based column).
    CellTooLong(u32, u32),
    /// More cells or text than kept for one file.
    TooMuchData,
    Empty,
}

impl From<SheetError> for AppError {
    fn from(e: SheetError) -> Self {
        let l = LIMITS;
        let (code, message) = match e {
            SheetError::Unsupported => (
                "unsupported_file",
                "Файл має бути таблицею .xlsx або .csv (UTF-8)".to_owned(),
            ),
            SheetError::LegacyXls => (
                "unsupported_file",
                "Формат .xls не підтримується: збережіть таблицю як .xlsx або .csv (UTF-8)".to_owned(),
            ),
            SheetError::Corrupt => (
                "corrupt_file",
                "Не вдалося прочитати таблицю: файл пошкоджений".to_owned(),
            ),
            SheetError::Bomb => (
                "unpacked_too_large",
                format!(
                    "Розпакований файл завеликий (понад {} МБ) або підозріло стиснутий",
                    l.max_unpacked_bytes / 1024 / 1024
                ),
            ),
            SheetError::NotUtf8 => ("unsupported_encoding", "CSV-файл має бути в кодуванні UTF-8".to_owned()),
            SheetError::TooManyRows => ("too_many_rows", format!("Таблиця довша за {} рядків", l.max_rows)),
            SheetError::TooManyColumns => (
                "too_many_columns",
                format!("Таблиця ширша за {} стовпців", l.max_columns),
            ),
            SheetError::CellTooLong(row, col) => (
                "cell_too_long",
                format!(
                    "Комірка {}{row} довша за {} символів",
                    column_name(col),
                    l.max_cell_chars
                ),
            ),
            SheetError::TooMuchData => (
                "too_much_data",
                "У таблиці забагато даних для одного імпорту".to_owned(),
            ),
            SheetError::Empty => ("empty_file", "Файл порожній".to_owned()),
        };
        AppError::unprocessable(code, message)
    }
}

/// `1` → `A`, `27` → `AA`.
pub fn column_name(mut column: u32) -> String {
    let mut name = Vec::new();
    while column > 0 {
        let rem = (column - 1) % 26;
        name.push(b'A' + rem as u8);
        column = (column - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Runs `f` (a parse of an upload) on the blocking pool, at most [`PARALLEL_READS`] at once.
pub async fn read_off_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let _permit = READING.acquire().await.map_err(anyhow::Error::from)?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("spreadsheet reader stopped: {e}")))
}

/// Reads the first sheet of `bytes` within [`LIMITS`]; `file_name` only decides whether text
/// may be CSV.
pub fn read(bytes: &[u8], file_name: Option<&str>) -> Result<Rows, SheetError> {
    read_within(bytes, file_name, &LIMITS)
}

/// [`read`] with other limits (tests use small ones).
pub fn read_within(bytes: &[u8], file_name: Option<&str>, limits: &Limits) -> Result<Rows, SheetError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(SheetError::Bomb);
    }
    let rows = if bytes.starts_with(ZIP_MAGIC) {
        check_archive(bytes, limits)?;
        read_xlsx(bytes, limits)?
    } else if bytes.starts_with(CFB_MAGIC) {
        return Err(SheetError::LegacyXls);
    } else if may_be_text(file_name) && !bytes.contains(&0) {
        read_csv(bytes, limits)?
    } else {
        return Err(SheetError::Unsupported);
    };
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(rows)
}

fn may_be_text(file_name: Option<&str>) -> bool {
    let Some(name) = file_name.map(str::to_ascii_lowercase) else {
        return true;
    };
    name.ends_with(".csv") || name.ends_with(".txt") || !name.contains('.')
}

/// Refuses a zip beyond the limits: first by what its central directory declares, then by
/// inflating every entry into a sink under the same budget (declared sizes may lie).
pub fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    if archive.len() > limits.max_entries {
        return Err(SheetError::Bomb);
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| SheetError::Corrupt)?;
        let name = entry.name().map_err(|_| SheetError::Corrupt)?.into_owned();
        let room = entry_room(&name, entry.compressed_size(), limits);
        if entry.size() > room {
            return Err(SheetError::Bomb);
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_unpacked_bytes {
        return Err(SheetError::Bomb);
    }
    let mut left = limits.max_unpacked_bytes;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| SheetError::Corrupt)?;
        let name = entry.name().map_err(|_| SheetError::Corrupt)?.into_owned();
        let room = entry_room(&name, entry.compressed_size(), limits).min(left);
        let shared_strings = is_shared_strings(&name);
        let inflated = if shared_strings {
            let mut head = Vec::new();
            (&mut entry)
                .take(64 * 1024)
                .read_to_end(&mut head)
                .map_err(|_| SheetError::Corrupt)?;
            check_shared_strings_head(&head, limits)?;
            let rest =
                std::io::copy(&mut entry.take(room + 1), &mut std::io::sink()).map_err(|_| SheetError::Corrupt)?;
            head.len() as u64 + rest
        } else {
            std::io::copy(&mut entry.take(room + 1), &mut std::io::sink()).map_err(|_| SheetError::Corrupt)?
        };
        if inflated > room {
            return Err(SheetError::Bomb);
        }
        left -= inflated;
    }
    Ok(())
}

/// What one entry may unpack to, by its name and packed size.
fn entry_room(name: &str, packed: u64, limits: &Limits) -> u64 {
    let by_ratio = packed.max(1).saturating_mul(limits.max_ratio).max(RATIO_FLOOR);
    let by_kind = if is_shared_strings(name) {
        limits.max_shared_strings_bytes
    } else {
        limits.max_entry_bytes
    };
    by_ratio.min(by_kind).min(limits.max_unpacked_bytes)
}

/// calamine finds the table as `<dir>sharedStrings.xml`, ignoring case and slash direction.
fn is_shared_strings(name: &str) -> bool {
    name.to_ascii_lowercase()
        .replace('\\', "/")
        .ends_with("sharedstrings.xml")
}

/// calamine reserves room for the `uniqueCount` the `<sst>` element declares before reading a
/// single string. Refuses a count beyond the limit, and a table whose `<sst>` start tag is not
/// within the first 64 KiB (where the count could not be checked).
fn check_shared_strings_head(head: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let text = String::from_utf8_lossy(head);
    let tag = text
        .match_indices('<')
        .map(|(i, _)| &text[i + 1..])
        .find(|rest| {
            let name = rest
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("");
            name == "sst" || name.ends_with(":sst")
        })
        .ok_or(SheetError::Corrupt)?;
    // The whole start tag must be in view, or a count could be cut in two.
    let tag = &tag[..tag.find('>').ok_or(SheetError::Corrupt)?];
    // Every number in the tag counts, whatever attribute it belongs to: a count written in
    // any form calamine might read is caught.
    for digits in tag.split(|c: char| !c.is_ascii_digit()).filter(|d| !d.is_empty()) {
        let n = digits.trim_start_matches('0');
        if n.len() > 19 || n.parse::<u64>().is_ok_and(|n| n > limits.max_shared_strings) {
            return Err(SheetError::Bomb);
        }
    }
    Ok(())
}

/// Collects cells into rows within the limits: positions are checked before anything is kept.
struct Collector<'l> {
    limits: &'l Limits,
    rows: BTreeMap<u32, Vec<Cell>>,
    cells: usize,
    text: usize,
}

impl<'l> Collector<'l> {
    fn new(limits: &'l Limits) -> Self {
        Collector {
            limits,
            rows: BTreeMap::new(),
            cells: 0,
            text: 0,
        }
    }

    /// Takes the cell at the 0-based `(row, col)`.
    fn put(&mut self, (row, col): (u32, u32), cell: Cell) -> Result<(), SheetError> {
        if cell.is_empty() {
            return Ok(());
        }
        if row >= self.limits.max_rows {
            return Err(SheetError::TooManyRows);
        }
        if col >= self.limits.max_columns {
            return Err(SheetError::TooManyColumns);
        }
        if let Cell::Text(t) = &cell {
            // A byte count bounds the character count from above: count chars only when needed.
            if t.len() > self.limits.max_cell_chars && t.chars().count() > self.limits.max_cell_chars {
                return Err(SheetError::CellTooLong(row + 1, col + 1));
            }
            self.text += t.len();
            if self.text > self.limits.max_text_bytes {
                return Err(SheetError::TooMuchData);
            }
        }
        let cells = self.rows.entry(row).or_default();
        let col = col as usize;
        if cells.len() <= col {
            self.cells += col + 1 - cells.len();
            if self.cells > self.limits.max_cells {
                return Err(SheetError::TooMuchData);
            }
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
        Ok(())
    }

    fn finish(self) -> Rows {
        self.rows.into_iter().map(|(row, cells)| (row + 1, cells)).collect()
    }
}

fn cell_of(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty | DataRef::Error(_) => Cell::Empty,
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day)).map_or(Cell::Empty, Cell::Date)
        }
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
    }
}

fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Rows, SheetError> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::Unsupported)?;
    let first = book.sheet_names().first().cloned().ok_or(SheetError::Empty)?;
    let mut reader = book.worksheet_cells_reader(&first).map_err(|_| SheetError::Corrupt)?;
    // The declared used range: refused at once when beyond the bounds (the cells are checked
    // again one by one, since the declaration may lie).
    let declared = reader.dimensions();
    if declared.end.0 >= limits.max_rows {
        return Err(SheetError::TooManyRows);
    }
    if declared.end.1 >= limits.max_columns {
        return Err(SheetError::TooManyColumns);
    }
    let mut rows = Collector::new(limits);
    while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Corrupt)? {
        rows.put(cell.get_position(), cell_of(cell.get_value()))?;
    }
    Ok(rows.finish())
}

fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Rows, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| SheetError::NotUtf8)?;
    let first_line = text.lines().next().unwrap_or("");
    // Excel in Ukrainian locales writes `;`; others `,`; some tools tabs.
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Collector::new(limits);
    // The csv reader skips blank lines; counting line breaks up to each record's start keeps
    // row numbers as an editor shows them.
    let (mut counted_to, mut line) = (0usize, 0usize);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|_| SheetError::Corrupt)? {
        let mut start = record
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .clamp(counted_to, text.len());
        // A record's position is taken before the blank lines in front of it.
        while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = start;
        let row = u32::try_from(line).map_err(|_| SheetError::TooManyRows)?;
        for (col, field) in record.iter().enumerate() {
            let col = u32::try_from(col).map_err(|_| SheetError::TooManyColumns)?;
            rows.put((row, col), Cell::Text(field.to_owned()))?;
        }
    }
    Ok(rows.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// A minimal .xlsx whose first sheet holds `cells` (reference, inline text) and declares
    /// `dimension`, with `sst` as its shared-strings table.
    pub fn xlsx(dimension: &str, cells: &[(&str, &str)], sst: Option<&[u8]>) -> Vec<u8> {
        let content_types = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
        let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
        let workbook = br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
        let workbook_rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
        let cells: String = cells
            .iter()
            .map(|(r, v)| format!(r#"<row><c r="{r}" t="inlineStr"><is><t>{v}</t></is></c></row>"#))
            .collect();
        let sheet = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>"#
        );
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", rels),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", workbook_rels),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ];
        if let Some(sst) = sst {
            entries.push(("xl/sharedStrings.xml", sst));
        }
        zip_of(&entries)
    }

    #[test]
    fn an_xlsx_is_read_as_a_stream_of_cells() {
        let rows = read(&xlsx("A1:B2", &[("A1", "Назва"), ("B2", "Лак")], None), Some("a.xlsx")).unwrap();
        assert_eq!(
            rows,
            vec![
                (1, vec![Cell::Text("Назва".into())]),
                (2, vec![Cell::Empty, Cell::Text("Лак".into())])
            ]
        );
    }

    #[test]
    fn far_apart_cells_are_refused_before_any_grid_exists() {
        // Declared honestly: refused by the dimension.
        let far = xlsx("A1:XFD1048576", &[("A1", "a"), ("XFD1048576", "b")], None);
        assert!(far.len() < 2_000, "{} bytes", far.len());
        assert_eq!(read(&far, None), Err(SheetError::TooManyRows));
        // Declared as a single cell: refused by the cell's position as it streams by.
        assert_eq!(
            read(&xlsx("A1", &[("A1", "a"), ("XFD1048576", "b")], None), None),
            Err(SheetError::TooManyRows)
        );
        assert_eq!(
            read(&xlsx("A1", &[("A1", "a"), ("XFD1", "b")], None), None),
            Err(SheetError::TooManyColumns)
        );
    }

    #[test]
    fn a_declared_shared_strings_count_beyond_the_bound_is_refused() {
        let sst =
            br#"<?xml version="1.0"?><sst xmlns="x" count="1" uniqueCount="4000000000000"><si><t>a</t></si></sst>"#;
        assert_eq!(
            read(&xlsx("A1", &[("A1", "a")], Some(sst)), None),
            Err(SheetError::Bomb)
        );
        let fine = br#"<?xml version="1.0"?><sst xmlns="x" count="1" uniqueCount="1"><si><t>a</t></si></sst>"#;
        assert!(read(&xlsx("A1", &[("A1", "a")], Some(fine)), None).is_ok());
        let mut late = b"<?xml version=\"1.0\"?><!--".to_vec();
        late.extend(std::iter::repeat_n(b' ', 70 * 1024));
        late.extend(b"--><sst uniqueCount=\"1\"></sst>");
        assert_eq!(
            read(&xlsx("A1", &[("A1", "a")], Some(&late)), None),
            Err(SheetError::Corrupt)
        );
    }

    #[test]
    fn a_huge_shared_strings_entry_is_refused_by_its_size() {
        let mut sst = b"<sst uniqueCount=\"1\"><si><t>".to_vec();
        sst.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
        sst.extend(b"</t></si></sst>");
        let limits = Limits {
            max_shared_strings_bytes: 1024 * 1024,
            ..LIMITS
        };
        assert_eq!(
            read_within(&xlsx("A1", &[("A1", "a")], Some(&sst)), None, &limits),
            Err(SheetError::Bomb)
        );
    }

    #[test]
    fn long_cells_and_too_much_text_are_refused() {
        let long = "я".repeat(LIMITS.max_cell_chars + 1);
        assert_eq!(
            read(&xlsx("A1:B1", &[("A1", "a"), ("B1", &long)], None), None),
            Err(SheetError::CellTooLong(1, 2))
        );
        let text: String = (0..100).map(|i| format!("{i};{}\n", "x".repeat(50))).collect();
        let limits = Limits {
            max_text_bytes: 1_000,
            ..LIMITS
        };
        assert_eq!(
            read_within(text.as_bytes(), None, &limits),
            Err(SheetError::TooMuchData)
        );
        let limits = Limits {
            max_cells: 50,
            ..LIMITS
        };
        assert_eq!(
            read_within(text.as_bytes(), None, &limits),
            Err(SheetError::TooMuchData)
        );
    }

    #[test]
    fn csv_with_semicolons_bom_and_blank_rows() {
        let rows = read(
            "\u{feff}Назва;Артикул;Кількість\n\nЛак;L-1;\"2,5\"\n".as_bytes(),
            Some("a.csv"),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3, "row numbers count the blank row");
        assert_eq!(rows[1].1[2], Cell::Text("2,5".into()));
    }

    #[test]
    fn csv_rows_and_columns_are_bounded_while_streaming() {
        let limits = Limits {
            max_rows: 10,
            max_columns: 3,
            ..LIMITS
        };
        let tall: String = (0..11).map(|i| format!("row{i}\n")).collect();
        assert_eq!(
            read_within(tall.as_bytes(), None, &limits),
            Err(SheetError::TooManyRows)
        );
        assert_eq!(
            read_within(b"a;b;c;d\n", None, &limits),
            Err(SheetError::TooManyColumns)
        );
    }

    #[test]
    fn what_is_not_an_accepted_spreadsheet_is_refused() {
        assert_eq!(
            read(b"\x89PNG\r\n\x1a\n\0\0", Some("photo.png")),
            Err(SheetError::Unsupported)
        );
        assert_eq!(read(b"name,sku", Some("notes.pdf")), Err(SheetError::Unsupported));
        assert_eq!(read(b"\xff\xfeN\xffa", Some("a.csv")), Err(SheetError::NotUtf8));
        assert_eq!(read(b"  \n", Some("a.csv")), Err(SheetError::Empty));
        assert_eq!(
            read(&zip_of(&[("hello.txt", b"hi")]), Some("a.xlsx")),
            Err(SheetError::Unsupported)
        );
        assert_eq!(read(b"PK\x03\x04garbage", Some("a.xlsx")), Err(SheetError::Corrupt));
        let ods = zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", b"<x/>"),
        ]);
        assert_eq!(read(&ods, Some("a.ods")), Err(SheetError::Unsupported));
        let mut xls = CFB_MAGIC.to_vec();
        xls.extend([0u8; 504]);
        assert_eq!(read(&xls, Some("a.xls")), Err(SheetError::LegacyXls));
    }

    #[test]
    fn archives_are_bounded_by_what_they_unpack_to() {
        let zeros = vec![0u8; 3 * 1024 * 1024];
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
        assert_eq!(check_archive(&bomb, &LIMITS), Err(SheetError::Bomb), "ratio");
        let plain: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let two = zip_of(&[("a", &plain), ("b", &plain)]);
        let small = Limits {
            max_unpacked_bytes: 1_000_000,
            ..LIMITS
        };
        assert_eq!(check_archive(&two, &small), Err(SheetError::Bomb), "budget");
        let enough = Limits {
            max_unpacked_bytes: 2_000_000,
            ..LIMITS
        };
        assert_eq!(check_archive(&two, &enough), Ok(()));
    }

    #[test]
    fn nul_in_a_cell_is_found_for_a_row_error() {
        assert_eq!(
            unstorable_column(&[Cell::Text("a".into()), Cell::Text("b\0".into())]),
            Some(2)
        );
        assert_eq!(
            unstorable_message(28),
            "Комірка у стовпці AB містить недопустимі символи (NUL)"
        );
        assert_eq!(unstorable_column(&[Cell::Int(1)]), None);
    }

    #[test]
    fn numbers_read_as_text_without_a_decimal_point() {
        assert_eq!(Cell::Number(380671234567.0).text(), "380671234567");
        assert_eq!(Cell::Number(10.5).text(), "10.5");
        assert_eq!(
            Cell::Date(NaiveDate::from_ymd_opt(1990, 5, 3).unwrap()).text(),
            "1990-05-03"
        );
    }
}
