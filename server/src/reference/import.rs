//! CSV and XLSX files as reference tables of text cells. A CSV file is one table (named by the
//! caller); an XLSX workbook carries one table per sheet, the sheet named like the table
//! (`sites`, `cost_codes`, `activities`, `trades`, `project`). Row 1 is the header.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx};

use super::table::{RawTable, Table, column_letter};
use super::{CellError, ReferenceError};

/// Largest reference file accepted (a big company's cost code list is a few hundred KB).
pub const MAX_FILE_BYTES: usize = 16 << 20;

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
            "a CSV file holds one table: say which (table=sites|cost_codes|activities|trades|project)".into(),
        )
    })?;
    Ok(vec![read_csv(bytes, table)?])
}

fn labels(header: &[String]) -> Vec<String> {
    header.iter().enumerate().map(|(i, h)| format!("{} ({})", column_letter(i), h.trim())).collect()
}

/// One CSV table: UTF-8 (a BOM, as Excel writes, is skipped), comma separated, quoted as RFC 4180.
pub fn read_csv(bytes: &[u8], table: Table) -> Result<RawTable, ReferenceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let why = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text (save the CSV as UTF-8)".to_string(),
                _ => e.to_string(),
            };
            ReferenceError::Invalid(vec![CellError {
                table: table.as_str().into(),
                row: i + 1,
                column: "-".into(),
                message: why,
            }])
        })?;
        rows.push((i + 1, record.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    let mut rows = rows.into_iter();
    let header = rows.next().map(|(_, h)| h).unwrap_or_default();
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(ReferenceError::Invalid(vec![CellError {
            table: table.as_str().into(),
            row: 1,
            column: "A".into(),
            message: "the file is empty: row 1 must name the columns".into(),
        }]));
    }
    Ok(RawTable { table, labels: labels(&header), header, rows: rows.collect() })
}

/// A cell as text: numbers by their shortest exact decimal form (an amount typed as 1234.5 reads
/// `1234.5`), dates as `YYYY-MM-DD`.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => d.as_date().map(|t| t.to_string()).unwrap_or_else(|| dt.to_string()),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Every sheet named like a table; other sheets are refused (a typo would silently import nothing).
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawTable>, ReferenceError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| ReferenceError::Unreadable(format!("not a readable XLSX workbook: {e}")))?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
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
        let range =
            book.worksheet_range(&name).map_err(|e| ReferenceError::Unreadable(format!("sheet {name}: {e}")))?;
        // Row numbers as Excel shows them, also when the used range does not start at A1.
        let (first_row, first_col) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let mut rows = range.rows().enumerate().map(|(i, cells)| {
            let mut texts: Vec<String> = vec![String::new(); first_col];
            texts.extend(cells.iter().map(cell_text));
            (first_row + i + 1, texts)
        });
        let Some((_, header)) = rows.next() else { continue };
        out.push(RawTable { table, labels: labels(&header), header, rows: rows.collect() });
    }
    if !errors.is_empty() {
        return Err(ReferenceError::Invalid(errors));
    }
    if out.is_empty() {
        return Err(ReferenceError::Unreadable(
            "the workbook has no sheet named project, sites, cost_codes, activities or trades".into(),
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
}
