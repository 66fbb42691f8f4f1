//! Reading an uploaded spreadsheet (.xlsx, .xls or .csv) into rows of cells, defensively.
//!
//! The format is told by the bytes, not the name: a zip archive is read as .xlsx, a compound
//! document as .xls, UTF-8 text as CSV (`;`, `,` or tab separated). An .xlsx is a zip archive,
//! so before parsing, its entries are counted and decompressed into a sink with a budget:
//! more than [`MAX_UNPACKED`] bytes in all, or an entry compressed more than [`MAX_RATIO`]
//! times, is refused (a zip bomb). Its cells are streamed rather than laid out as a dense
//! grid, so two far-apart cells cannot allocate the sheet in between. Blocking: run it on
//! `spawn_blocking`.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xls, Xlsx};

use crate::http::error::AppError;

/// Decompressed size allowed for a whole .xlsx archive.
pub const MAX_UNPACKED: u64 = 50 * 1024 * 1024;
/// Largest compression ratio of an entry bigger than 1 MiB; real sheets stay far below.
pub const MAX_RATIO: u64 = 200;
const MAX_ENTRIES: usize = 1_000;
/// Data rows accepted per file (one transaction; larger files should be split).
pub const MAX_ROWS: usize = 5_000;
/// Cells to the right of this many columns are ignored.
const MAX_COLUMNS: usize = 64;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Number(f64),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// The non-empty rows of the first sheet, with their 1-based row numbers as the user sees them.
pub type Rows = Vec<(usize, Vec<Cell>)>;

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetError {
    Unsupported,
    Corrupt,
    Bomb,
    NotUtf8,
    TooManyRows,
    Empty,
}

impl From<SheetError> for AppError {
    fn from(e: SheetError) -> Self {
        let (code, message) = match e {
            SheetError::Unsupported => ("unsupported_file", "Файл має бути таблицею .xlsx, .xls або .csv".to_owned()),
            SheetError::Corrupt => ("corrupt_file", "Не вдалося прочитати таблицю: файл пошкоджений".to_owned()),
            SheetError::Bomb => ("unpacked_too_large", format!(
                "Розпакований файл завеликий (понад {} МБ) або підозріло стиснутий", MAX_UNPACKED / 1024 / 1024)),
            SheetError::NotUtf8 => ("unsupported_encoding", "CSV-файл має бути в кодуванні UTF-8".to_owned()),
            SheetError::TooManyRows => ("too_many_rows", format!("Не більше {MAX_ROWS} рядків у файлі")),
            SheetError::Empty => ("empty_file", "Файл порожній".to_owned()),
        };
        AppError::unprocessable(code, message)
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads the first sheet of `bytes`; `file_name` only decides whether text may be CSV.
pub fn read(bytes: &[u8], file_name: Option<&str>) -> Result<Rows, SheetError> {
    let rows = if bytes.starts_with(ZIP_MAGIC) {
        check_archive(bytes)?;
        read_xlsx(bytes)?
    } else if bytes.starts_with(CFB_MAGIC) {
        read_xls(bytes)?
    } else if may_be_text(file_name) && !bytes.contains(&0) {
        read_csv(bytes)?
    } else {
        return Err(SheetError::Unsupported);
    };
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(SheetError::TooManyRows);
    }
    Ok(rows)
}

fn may_be_text(file_name: Option<&str>) -> bool {
    let Some(name) = file_name.map(str::to_ascii_lowercase) else { return true };
    name.ends_with(".csv") || name.ends_with(".txt") || !name.contains('.')
}

/// Refuses archives that unpack beyond the budget, by their declared sizes first and then by
/// actually inflating every entry into a sink (declared sizes can lie).
pub fn check_archive(bytes: &[u8]) -> Result<(), SheetError> {
    check_archive_within(bytes, MAX_UNPACKED)
}

fn check_archive_within(bytes: &[u8], budget: u64) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    if archive.len() > MAX_ENTRIES {
        return Err(SheetError::Bomb);
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| SheetError::Corrupt)?;
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        if size > 1024 * 1024 && size / packed > MAX_RATIO {
            return Err(SheetError::Bomb);
        }
        declared = declared.saturating_add(size);
    }
    if declared > budget {
        return Err(SheetError::Bomb);
    }
    let mut left = budget;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| SheetError::Corrupt)?;
        let inflated = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink()).map_err(|_| SheetError::Corrupt)?;
        if inflated > left {
            return Err(SheetError::Bomb);
        }
        left -= inflated;
    }
    Ok(())
}

/// Collects cells into rows, skipping empty rows and far-right columns.
#[derive(Default)]
struct Collector {
    rows: std::collections::BTreeMap<u32, Vec<Cell>>,
}

impl Collector {
    fn put(&mut self, (row, col): (u32, u32), cell: Cell) -> Result<(), SheetError> {
        let col = col as usize;
        if col >= MAX_COLUMNS || cell.is_empty() {
            return Ok(());
        }
        if !self.rows.contains_key(&row) && self.rows.len() > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            cells.resize(col + 1, Cell::Empty);
        }
        cells[col] = cell;
        Ok(())
    }

    fn finish(self) -> Rows {
        self.rows.into_iter().map(|(row, cells)| (row as usize + 1, cells)).collect()
    }
}

fn cell_of(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
        DataRef::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Rows, SheetError> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::Unsupported)?;
    let first = book.sheet_names().first().cloned().ok_or(SheetError::Empty)?;
    let mut reader = book.worksheet_cells_reader(&first).map_err(|_| SheetError::Corrupt)?;
    let mut rows = Collector::default();
    while let Some(cell) = reader.next_cell().map_err(|_| SheetError::Corrupt)? {
        rows.put(cell.get_position(), cell_of(cell.get_value()))?;
    }
    Ok(rows.finish())
}

fn read_xls(bytes: &[u8]) -> Result<Rows, SheetError> {
    let mut book: Xls<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| SheetError::Corrupt)?;
    let range = book.worksheet_range_at(0).ok_or(SheetError::Empty)?.map_err(|_| SheetError::Corrupt)?;
    let mut rows = Collector::default();
    for (row, col, value) in range.used_cells() {
        let at = range.start().map_or((0, 0), |(r, c)| (r + row as u32, c + col as u32));
        let cell = match value {
            calamine::Data::Empty => Cell::Empty,
            calamine::Data::Int(i) => Cell::Int(*i),
            calamine::Data::Float(f) => Cell::Number(*f),
            calamine::Data::Bool(b) => Cell::Bool(*b),
            calamine::Data::String(s) | calamine::Data::DateTimeIso(s) | calamine::Data::DurationIso(s) => {
                Cell::Text(s.clone())
            }
            calamine::Data::DateTime(d) => Cell::Number(d.as_f64()),
            calamine::Data::Error(e) => Cell::Text(format!("#{e:?}")),
        };
        rows.put(at, cell)?;
    }
    Ok(rows.finish())
}

fn read_csv(bytes: &[u8]) -> Result<Rows, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| SheetError::NotUtf8)?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Collector::default();
    // The csv reader skips blank lines; counting line breaks up to each record's start keeps
    // row numbers as an editor shows them.
    let (mut counted_to, mut line) = (0usize, 0usize);
    for record in reader.records() {
        let record = record.map_err(|_| SheetError::Corrupt)?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize).clamp(counted_to, text.len());
        // A record's position is taken before the blank lines in front of it.
        while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start].iter().filter(|b| **b == b'\n').count();
        counted_to = start;
        let row = u32::try_from(line).map_err(|_| SheetError::TooManyRows)?;
        for (col, field) in record.iter().enumerate() {
            rows.put((row, col as u32), Cell::Text(field.to_owned()))?;
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

    #[test]
    fn csv_with_semicolons_bom_and_blank_rows() {
        let rows = read("\u{feff}Назва;Артикул;Кількість\n\nЛак;L-1;\"2,5\"\n".as_bytes(), Some("a.csv")).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], (1, vec![Cell::Text("Назва".into()), Cell::Text("Артикул".into()), Cell::Text("Кількість".into())]));
        assert_eq!(rows[1].0, 3, "row numbers count the blank row");
        assert_eq!(rows[1].1[2], Cell::Text("2,5".into()));
    }

    #[test]
    fn what_is_not_a_spreadsheet_is_refused() {
        assert_eq!(read(b"\x89PNG\r\n\x1a\n\0\0", Some("photo.png")), Err(SheetError::Unsupported));
        assert_eq!(read(b"name,sku", Some("notes.pdf")), Err(SheetError::Unsupported));
        assert_eq!(read(b"\xff\xfeN\xffa", Some("a.csv")), Err(SheetError::NotUtf8));
        assert_eq!(read(b"  \n", Some("a.csv")), Err(SheetError::Empty));
        assert_eq!(read(&zip_of(&[("hello.txt", b"hi")]), Some("a.xlsx")), Err(SheetError::Unsupported));
        assert_eq!(read(b"PK\x03\x04garbage", Some("a.xlsx")), Err(SheetError::Corrupt));
    }

    #[test]
    fn archives_are_bounded_by_what_they_unpack_to() {
        let zeros = vec![0u8; 3 * 1024 * 1024];
        let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &zeros)]);
        assert_eq!(check_archive(&bomb), Err(SheetError::Bomb), "ratio");
        let plain: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let two = zip_of(&[("a", &plain), ("b", &plain)]);
        assert_eq!(check_archive_within(&two, 1_000_000), Err(SheetError::Bomb), "budget");
        assert_eq!(check_archive_within(&two, 2_000_000), Ok(()));
    }

    #[test]
    fn too_many_rows_stop_early() {
        let text: String = (0..=MAX_ROWS + 1).map(|i| format!("row{i}\n")).collect();
        assert_eq!(read(text.as_bytes(), None), Err(SheetError::TooManyRows));
    }
}
