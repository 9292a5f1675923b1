//! The funds centre's uploads (a roster, a bank's batch result file) as rows of text cells: CSV
//! (UTF-8, a BOM skipped) or the first worksheet of an XLSX workbook, row 1 the header. Read with
//! the reference import's safeguards (`crate::reference::import`: the workbook's unpacked size is
//! counted first, cells are read one by one) and tighter limits, since a roster or a month's bank
//! file is a few thousand rows at most.
//!
//! Headers are matched by name in Chinese or English (`Column`), case and blanks ignored; columns
//! not known are reported back, not refused (real rosters carry 序号, 性别, 备注 ...).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::error::{FundsError, FundsResult, RowProblem};
use crate::reference::import::{cell_text, check_unzipped_size, is_xlsx};
use crate::reference::table::column_letter;

/// Largest upload accepted.
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// Most data rows under the header (a big project's roster or month is a few thousand).
pub const MAX_ROWS: usize = 20_000;
/// Columns read.
pub const MAX_COLUMNS: usize = 32;
/// Longest cell text.
pub const MAX_CELL_CHARS: usize = 500;

/// One cell: its text, and whether the workbook held it as a number (an 18-digit ID number kept
/// as a number has lost its last digits, so it is refused rather than read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

/// A file's rows: the header's cells and each data row's number (as the spreadsheet shows it) and
/// cells.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

fn limit(what: &str, row: usize) -> FundsError {
    FundsError::too_large(
        "file",
        format!(
            "{what} (row {row}): a file holds a header and at most {MAX_ROWS} data rows, {MAX_COLUMNS} columns \
             (A to {}) and {MAX_CELL_CHARS} characters a cell",
            column_letter(MAX_COLUMNS - 1)
        ),
    )
}

fn check_cell(row: usize, column: usize, text: &str) -> FundsResult<()> {
    if row > MAX_ROWS + 1 {
        return Err(limit("too many rows", row));
    }
    if column >= MAX_COLUMNS {
        return Err(limit(&format!("a cell in column {}", column_letter(column)), row));
    }
    if text.chars().count() > MAX_CELL_CHARS {
        return Err(limit(&format!("a cell in column {} is too long", column_letter(column)), row));
    }
    Ok(())
}

/// Reads an upload: XLSX when it is one (its first worksheet), else CSV.
pub fn read(bytes: &[u8]) -> FundsResult<Sheet> {
    if bytes.is_empty() {
        return Err(FundsError::bad("file", "the file is empty: send the CSV or XLSX file as the request body"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FundsError::too_large("file", format!("the file is larger than {} MB", MAX_FILE_BYTES >> 20)));
    }
    let sheet = if is_xlsx(bytes) { read_xlsx(bytes)? } else { read_csv(bytes)? };
    if sheet.header.iter().all(|h| h.trim().is_empty()) {
        return Err(FundsError::bad("file", "row 1 must name the columns (the header is empty)"));
    }
    Ok(sheet)
}

fn read_csv(bytes: &[u8]) -> FundsResult<Sheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut sheet = Sheet::default();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record = record.map_err(|e| {
            let why = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text (save the CSV as UTF-8)".to_string(),
                _ => format!("is not readable CSV: {e}"),
            };
            FundsError::bad("file", format!("row {row} {why}"))
        })?;
        let mut cells = Vec::with_capacity(record.len().min(MAX_COLUMNS));
        for (c, text) in record.iter().enumerate() {
            if c >= MAX_COLUMNS && text.trim().is_empty() {
                continue;
            }
            check_cell(row, c, text)?;
            cells.push(Cell { text: text.to_string(), numeric: false });
        }
        if row == 1 {
            sheet.header = cells.into_iter().map(|c| c.text).collect();
        } else {
            sheet.rows.push((row, cells));
        }
    }
    Ok(sheet)
}

fn read_xlsx(bytes: &[u8]) -> FundsResult<Sheet> {
    check_unzipped_size(bytes).map_err(|e| FundsError::bad("file", e.to_string()))?;
    let unreadable = |e: &dyn std::fmt::Display| FundsError::bad("file", format!("not a readable XLSX workbook: {e}"));
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(name) = book.sheet_names().into_iter().next() else {
        return Err(FundsError::bad("file", "the workbook has no sheet"));
    };
    let mut reader = book.worksheet_cells_reader(&name).map_err(|e| unreadable(&e))?;
    let mut rows: BTreeMap<usize, Vec<Cell>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize + 1, column as usize);
        let text = cell_text(value);
        check_cell(row, column, &text)?;
        let cells = rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, Cell::default());
        }
        cells[column] = Cell { text, numeric: matches!(value, DataRef::Float(_) | DataRef::Int(_)) };
    }
    let mut rows = rows.into_iter();
    let header = rows.next().map(|(_, h)| h.into_iter().map(|c| c.text).collect()).unwrap_or_default();
    Ok(Sheet { header, rows: rows.collect() })
}

/// A header cell as compared: lower case, without blanks, a BOM, or a trailing `(…)`/`（…）` hint.
fn header_key(h: &str) -> String {
    let h = h.trim().trim_start_matches('\u{feff}');
    let h = h.split(['(', '（']).next().unwrap_or(h);
    h.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// Where each wanted column is in a header: `wanted` pairs a column's name (as errors show it) with
/// the header texts it may carry; returns the index per wanted name, and the headers not used.
pub fn locate(header: &[String], wanted: &[(&'static str, &[&str])]) -> FundsResult<Located> {
    let mut at = BTreeMap::new();
    let mut ignored = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let key = header_key(h);
        if key.is_empty() {
            continue;
        }
        match wanted.iter().find(|(_, names)| names.iter().any(|n| header_key(n) == key)) {
            Some((name, _)) => {
                if let Some(first) = at.insert(*name, i) {
                    return Err(FundsError::bad(
                        "file",
                        format!("columns {} and {} both hold {name}: keep one", column_letter(first), column_letter(i)),
                    ));
                }
            }
            None => ignored.push(format!("{} ({})", column_letter(i), h.trim())),
        }
    }
    Ok(Located { at, header: header.to_vec(), ignored })
}

/// The columns found by [`locate`].
#[derive(Debug, Clone)]
pub struct Located {
    at: BTreeMap<&'static str, usize>,
    header: Vec<String>,
    /// Header cells matching no known column (letter and text), reported back to the uploader.
    pub ignored: Vec<String>,
}

impl Located {
    pub fn has(&self, name: &str) -> bool {
        self.at.contains_key(name)
    }

    /// The cell of column `name` in `cells` (`None`: no such column, or the row is shorter).
    pub fn cell<'a>(&self, cells: &'a [Cell], name: &str) -> Option<&'a Cell> {
        cells.get(*self.at.get(name)?)
    }

    /// The trimmed text of column `name`, `None` when absent or blank.
    pub fn text<'a>(&self, cells: &'a [Cell], name: &str) -> Option<&'a str> {
        self.cell(cells, name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }

    /// `B (身份证号)`: the column's letter and header, for a problem.
    pub fn label(&self, name: &str) -> String {
        match self.at.get(name) {
            Some(&i) => format!("{} ({})", column_letter(i), self.header.get(i).map(|h| h.trim()).unwrap_or(name)),
            None => name.to_string(),
        }
    }

    pub fn problem(&self, row: usize, name: &str, message: impl Into<String>) -> RowProblem {
        RowProblem { row, column: self.label(name), message: message.into() }
    }
}

/// Whether a row holds nothing (blank rows between data are skipped).
pub fn blank(cells: &[Cell]) -> bool {
    cells.iter().all(|c| c.text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_headers() {
        let s = read("\u{feff}序号,姓名,身份证号（18位）, Crew ,备注\n1,张三,x,A组,\n".as_bytes()).expect("csv");
        let l = locate(
            &s.header,
            &[("name", &["姓名", "name"]), ("id_number", &["身份证号", "id_number"]), ("crew", &["班组", "crew"])],
        )
        .expect("located");
        assert_eq!(l.label("id_number"), "C (身份证号（18位）)");
        assert_eq!(l.text(&s.rows[0].1, "name"), Some("张三"));
        assert_eq!(l.text(&s.rows[0].1, "crew"), Some("A组"));
        assert_eq!(l.ignored, ["A (序号)", "E (备注)"]);
        assert!(locate(&s.header, &[("name", &["姓名", "序号"])]).is_err(), "two columns for one");
    }

    #[test]
    fn limits() {
        assert!(matches!(read(b""), Err(FundsError::BadInput { .. })));
        assert!(matches!(read(&vec![b'a'; MAX_FILE_BYTES + 1]), Err(FundsError::TooLarge { .. })));
        let many = format!("name\n{}", "x\n".repeat(MAX_ROWS + 1));
        assert!(matches!(read(many.as_bytes()), Err(FundsError::TooLarge { .. })));
        let long = format!("name\n{}\n", "长".repeat(MAX_CELL_CHARS + 1));
        assert!(matches!(read(long.as_bytes()), Err(FundsError::TooLarge { .. })));
        assert!(matches!(read(b"name\n\xff\xfe\n"), Err(FundsError::BadInput { .. })));
        assert!(matches!(read(b"PK\x03\x04garbage"), Err(FundsError::BadInput { .. })));
    }

    #[test]
    fn xlsx_numbers_are_flagged() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "姓名").expect("w");
        sheet.write(0, 1, "身份证号").expect("w");
        sheet.write(1, 0, "张三").expect("w");
        sheet.write(1, 1, 320102199001011234f64).expect("w");
        sheet.write(2, 1, "32010219900101123X").expect("w");
        let s = read(&book.save_to_buffer().expect("save")).expect("xlsx");
        assert_eq!(s.header, ["姓名", "身份证号"]);
        assert!(s.rows[0].1[1].numeric);
        assert!(!s.rows[1].1[1].numeric);
        assert_eq!(s.rows[1].0, 3);
    }
}
