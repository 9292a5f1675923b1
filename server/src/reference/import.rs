//! CSV and XLSX files as reference tables of text cells. A CSV file is one table (named by the
//! caller); an XLSX workbook carries one table per sheet, the sheet named like the table
//! (`sites`, `cost_codes`, `activities`, `trades`, `expense_categories`, `project`). Row 1 is the header.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, DataType, Reader, Xlsx, XlsxError};

use super::table::{RawTable, Table, column_letter};
use super::{CellError, Problems, ReferenceError};

/// Largest reference file accepted (a big company's cost code list is a few hundred KB).
pub const MAX_FILE_BYTES: usize = 16 << 20;
/// Most data rows one table may hold, under its header. Real lists run to a few thousand rows; a
/// million-row sheet took 79 s and 1.7 GB to refuse.
pub const MAX_ROWS: usize = 100_000;
/// Columns read: a table has at most nine, the rest is room for notes beside them.
pub const MAX_COLUMNS: usize = 32;
/// Non-empty cells read from one workbook (every table full to [`MAX_ROWS`] is 1.9 million).
pub const MAX_CELLS: usize = 2_000_000;
/// Text read from one file's cells. A workbook cell naming a shared string is a copy of it, so a
/// small file could otherwise repeat one long string millions of times.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// Most bytes a workbook may unpack to (every table full to [`MAX_ROWS`] is about 100 MB of XML).
/// XML compresses up to a thousandfold and calamine holds the shared strings table whole, so a file
/// within [`MAX_FILE_BYTES`] could otherwise unpack to gigabytes of strings.
pub const MAX_UNZIPPED_BYTES: u64 = 128 << 20;

/// The refusal of a cell past the rows and columns read, naming both limits.
fn outside(table: &str, row: usize, column: usize) -> ReferenceError {
    ReferenceError::Invalid(Problems::one(CellError {
        table: table.into(),
        row,
        column: column_letter(column),
        message: format!(
            "is outside what is read: a table has a header and at most {MAX_ROWS} data rows (rows 1 to {}) \
             and {MAX_COLUMNS} columns (A to {})",
            MAX_ROWS + 1,
            column_letter(MAX_COLUMNS - 1)
        ),
    }))
}

/// What one file's cells may add up to (see [`MAX_CELLS`], [`MAX_TEXT_BYTES`]).
struct Budget {
    cells: usize,
    bytes: usize,
}

impl Budget {
    fn new() -> Self {
        Budget { cells: MAX_CELLS, bytes: MAX_TEXT_BYTES }
    }

    fn take(&mut self, table: &str, row: usize, column: usize, text: &str) -> Result<(), ReferenceError> {
        match (self.cells.checked_sub(1), self.bytes.checked_sub(text.len())) {
            (Some(cells), Some(bytes)) => {
                (self.cells, self.bytes) = (cells, bytes);
                Ok(())
            }
            _ => Err(ReferenceError::Invalid(Problems::one(CellError {
                table: table.into(),
                row,
                column: column_letter(column),
                message: format!(
                    "the file holds more than {MAX_CELLS} filled cells or {} MB of text, more than is read",
                    MAX_TEXT_BYTES >> 20
                ),
            }))),
        }
    }
}

/// XLSX files are zip archives.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads a file: XLSX when it is one, else CSV as `table` (required for CSV).
pub fn read_file(bytes: &[u8], table: Option<Table>) -> Result<Vec<RawTable>, ReferenceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReferenceError::Unreadable(format!("file is larger than {} MB", MAX_FILE_BYTES >> 20)));
    }
    if is_xlsx(bytes) {
        let tables = read_xlsx(bytes)?;
        return Ok(match table {
            Some(t) => tables.into_iter().filter(|r| r.table == t).collect(),
            None => tables,
        });
    }
    let table = table.ok_or_else(|| {
        ReferenceError::Unreadable(
            "a CSV file holds one table: say which (table=sites|cost_codes|activities|trades|expense_categories|project)"
                .into(),
        )
    })?;
    Ok(vec![read_csv(bytes, table)?])
}

fn labels(header: &[String]) -> Vec<String> {
    header.iter().enumerate().map(|(i, h)| format!("{} ({})", column_letter(i), h.trim())).collect()
}

/// One CSV table: UTF-8 (a BOM, as Excel writes, is skipped), comma separated, quoted as RFC 4180.
pub fn read_csv(bytes: &[u8], table: Table) -> Result<RawTable, ReferenceError> {
    read_delimited(bytes, table, b',')
}

/// Rows pasted from a spreadsheet (tab separated, as a copy of cells is) or from a CSV file.
pub fn read_pasted(text: &str, table: Table) -> Result<RawTable, ReferenceError> {
    let first = text.lines().next().unwrap_or_default();
    read_delimited(text.as_bytes(), table, if first.contains('\t') { b'\t' } else { b',' })
}

/// `read_csv` with another separator; the same limits and errors.
fn read_delimited(bytes: &[u8], table: Table, delimiter: u8) -> Result<RawTable, ReferenceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    let mut rows = Vec::new();
    let mut budget = Budget::new();
    let name = table.as_str();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let why = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text (save the CSV as UTF-8)".to_string(),
                _ => e.to_string(),
            };
            ReferenceError::Invalid(Problems::one(CellError {
                table: name.into(),
                row: i + 1,
                column: "-".into(),
                message: why,
            }))
        })?;
        if i > MAX_ROWS {
            return Err(outside(name, i + 1, 0));
        }
        // Empty cells past the columns read are let be (a spreadsheet's CSV export pads rows).
        if let Some(c) = record.iter().skip(MAX_COLUMNS).position(|c| !c.trim().is_empty()) {
            return Err(outside(name, i + 1, MAX_COLUMNS + c));
        }
        let mut cells = Vec::with_capacity(record.len().min(MAX_COLUMNS));
        for (c, text) in record.iter().take(MAX_COLUMNS).enumerate() {
            budget.take(name, i + 1, c, text)?;
            cells.push(text.to_string());
        }
        rows.push((i + 1, cells));
    }
    let mut rows = rows.into_iter();
    let header = rows.next().map(|(_, h)| h).unwrap_or_default();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(ReferenceError::Invalid(Problems::one(CellError {
            table: table.as_str().into(),
            row: 1,
            column: "A".into(),
            message: "the file is empty: row 1 must name the columns".into(),
        })));
    }
    Ok(RawTable { table, labels: labels(&header), header, rows: rows.collect() })
}

/// A cell as text: numbers by their shortest exact decimal form (an amount typed as 1234.5 reads
/// `1234.5`), dates as `YYYY-MM-DD`.
pub(crate) fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => format!("{f}"),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => d.as_date().map(|t| t.to_string()).unwrap_or_else(|| dt.to_string()),
        DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// A sheet's filled cells by row (numbered as Excel shows them), each row's cells by column from A;
/// `None` for a chart sheet. Cells are read one by one and checked against the limits as they come:
/// calamine's `worksheet_range` allocates the whole rectangle the used cells span, and a workbook of
/// 1.5 KB whose only cells are A1 and XFD1048576 spans 17 billion cells (512 GiB).
fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Option<BTreeMap<usize, Vec<String>>>, ReferenceError> {
    let unreadable = |e: XlsxError| ReferenceError::Unreadable(format!("sheet {name}: {e}"));
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(e) => return Err(unreadable(e)),
    };
    let mut rows: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize + 1, column as usize);
        if row > MAX_ROWS + 1 || column >= MAX_COLUMNS {
            return Err(outside(name, row, column));
        }
        let text = cell_text(value);
        budget.take(name, row, column, &text)?;
        let cells = rows.entry(row).or_default();
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(Some(rows))
}

/// Refuses a workbook that unpacks to more than [`MAX_UNZIPPED_BYTES`], counting what its entries
/// really unpack to (the sizes an archive declares may lie) and stopping at the limit.
pub(crate) fn check_unzipped_size(bytes: &[u8]) -> Result<(), ReferenceError> {
    let unreadable =
        |e: &dyn std::fmt::Display| ReferenceError::Unreadable(format!("not a readable XLSX workbook: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut left = MAX_UNZIPPED_BYTES;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let read = std::io::copy(&mut (&mut entry).take(left + 1), &mut std::io::sink()).map_err(|e| unreadable(&e))?;
        left = left.checked_sub(read).ok_or_else(|| {
            ReferenceError::Unreadable(format!(
                "the workbook unpacks to more than {} MB, more than is read; a reference workbook is far smaller",
                MAX_UNZIPPED_BYTES >> 20
            ))
        })?;
    }
    Ok(())
}

/// Every sheet named like a table; other sheets are refused (a typo would silently import nothing).
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawTable>, ReferenceError> {
    check_unzipped_size(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ReferenceError::Unreadable(format!("not a readable XLSX workbook: {e}")))?;
    let mut out = Vec::new();
    let mut errors = Problems::default();
    let mut budget = Budget::new();
    for name in book.sheet_names() {
        let table = match name.parse::<Table>() {
            Ok(t) => t,
            Err(m) => {
                errors.push(CellError {
                    table: name.clone(),
                    row: 0,
                    column: "-".into(),
                    message: format!("sheet {m}"),
                });
                continue;
            }
        };
        let Some(mut rows) = read_sheet(&mut book, &name, &mut budget)?.map(BTreeMap::into_iter) else { continue };
        // The first row holding a cell is the header.
        let Some((_, header)) = rows.next() else { continue };
        out.push(RawTable { table, labels: labels(&header), header, rows: rows.collect() });
    }
    if !errors.is_empty() {
        return Err(ReferenceError::Invalid(errors));
    }
    if out.is_empty() {
        return Err(ReferenceError::Unreadable(
            "the workbook has no sheet named project, sites, cost_codes, activities, trades or expense_categories"
                .into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_and_quotes() {
        let t =
            read_csv(b"\xEF\xBB\xBFcode,name,budget\n01,\"Site works, general\",100\n", Table::CostCodes).expect("csv");
        assert_eq!(t.header, ["code", "name", "budget"]);
        assert_eq!(t.rows, vec![(2, vec!["01".to_string(), "Site works, general".into(), "100".into()])]);
        assert_eq!(t.labels[1], "B (name)");
    }

    #[test]
    fn csv_needs_a_table_and_a_header() {
        assert!(matches!(read_file(b"a,b\n", None), Err(ReferenceError::Unreadable(_))));
        assert!(matches!(read_csv(b"", Table::Sites), Err(ReferenceError::Invalid(_))));
        assert!(
            matches!(read_csv(b"id,name\n\xff\xfe,x\n", Table::Sites), Err(ReferenceError::Invalid(e)) if e[0].row == 2)
        );
    }

    #[test]
    fn xlsx_round_trip() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("cost_codes").expect("name");
        sheet.write(0, 0, "code").expect("w");
        sheet.write(0, 1, "name").expect("w");
        sheet.write(0, 2, "budget").expect("w");
        sheet.write(1, 0, "01").expect("w");
        sheet.write(1, 1, "土方").expect("w");
        sheet.write(1, 2, 1234.5).expect("w");
        let bytes = book.save_to_buffer().expect("save");
        let tables = read_file(&bytes, None).expect("xlsx");
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].rows, vec![(2, vec!["01".to_string(), "土方".into(), "1234.5".into()])]);
        assert!(matches!(read_file(b"PK\x03\x04garbage", None), Err(ReferenceError::Unreadable(_))));
    }

    #[test]
    fn xlsx_cells_keep_their_rows_and_columns() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("trades").expect("name");
        sheet.write(2, 2, "name").expect("w");
        sheet.write(3, 2, "木工").expect("w");
        sheet.write(5, 3, 380).expect("w");
        let tables = read_file(&book.save_to_buffer().expect("save"), None).expect("xlsx");
        assert_eq!(tables[0].header, ["", "", "name"]);
        assert_eq!(tables[0].labels[2], "C (name)");
        let rows = vec![
            (4, vec![String::new(), String::new(), "木工".into()]),
            (6, vec!["".into(), "".into(), "".into(), "380".into()]),
        ];
        assert_eq!(tables[0].rows, rows);
    }

    #[test]
    fn csv_rows_up_to_the_limit() {
        let csv = format!("name\n{}", "x\n".repeat(MAX_ROWS));
        assert_eq!(read_csv(csv.as_bytes(), Table::Trades).map(|t| t.rows.len()).ok(), Some(MAX_ROWS));
        let over = format!("{csv}x\n");
        assert!(
            matches!(read_csv(over.as_bytes(), Table::Trades), Err(ReferenceError::Invalid(e)) if e[0].row == MAX_ROWS + 2)
        );
    }
}
