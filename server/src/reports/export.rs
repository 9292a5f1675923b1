//! Reports as files: CSV (UTF-8 with a BOM so Excel reads 中文 correctly) and XLSX
//! (`rust_xlsxwriter`). Both carry the JSON's exact figures: the CSV writes each number as the
//! same decimal text the JSON has; XLSX numbers are binary floats, so a cell holds the float
//! nearest the exact decimal and a number format shows it to the figure's usual decimals (the
//! display may round, e.g. 2.86875 headcount-days shows 2.869; the cell keeps 2.86875). CSV text
//! that begins like a formula is neutralised; XLSX text is a string cell, which a spreadsheet
//! never evaluates.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use super::{Cell, ReportError, Table};

/// The file formats a report downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

/// `table` as a file download named `name` (made plain ASCII for the header: project ids may
/// hold anything).
pub fn download(name: &str, format: FileFormat, table: &Table) -> Result<axum::response::Response, ReportError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (bytes, mime, ext) = match format {
        FileFormat::Csv => (csv(table)?, "text/csv; charset=utf-8", "csv"),
        FileFormat::Xlsx => (xlsx(table)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{safe}.{ext}\"");
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// Characters that make a spreadsheet read a CSV cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as CSV text: one that begins like a formula gets a leading apostrophe, so a name
/// typed on a phone or imported can never run in the office's spreadsheet. Numbers are written
/// from `Cell::Number` and never pass here, so -12.50 stays a number.
fn neutralised(s: &str) -> String {
    if s.starts_with(FORMULA_START) { format!("'{s}") } else { s.to_string() }
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => neutralised(s),
        // Exact: the JSON's text, never rounded to the shown decimals.
        Cell::Number(d, _) => d.to_string(),
        Cell::Empty => String::new(),
    }
}

pub fn csv(table: &Table) -> Result<Vec<u8>, ReportError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| ReportError::Export(e.to_string());
        w.write_record(&table.columns).map_err(err)?;
        for row in &table.rows {
            w.write_record(row.iter().map(text)).map_err(err)?;
        }
        w.flush().map_err(|e| ReportError::Export(e.to_string()))?;
    }
    Ok(out)
}

fn number_format(dp: u32) -> Format {
    let pattern = if dp == 0 { "#,##0".to_string() } else { format!("#,##0.{}", "0".repeat(dp as usize)) };
    Format::new().set_num_format(pattern)
}

fn as_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub fn xlsx(table: &Table) -> Result<Vec<u8>, ReportError> {
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Export(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String = table.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(name.trim()).map_err(err)?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, &table.title, &bold).map_err(err)?;
    for (c, h) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold).map_err(err)?;
    }
    let mut formats: std::collections::HashMap<u32, Format> = std::collections::HashMap::new();
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 3;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s).map_err(err)?;
                }
                Cell::Number(d, dp) => {
                    let f = formats.entry(*dp).or_insert_with(|| number_format(*dp));
                    sheet.write_number_with_format(r, c, as_f64(*d), f).map_err(err)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(3, 0).map_err(err)?;
    sheet.autofit();
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn table() -> Table {
        Table {
            title: "Cost P1".into(),
            columns: vec!["code", "actual"],
            rows: vec![
                vec![Cell::text("01 土方"), Cell::Number(Decimal::from_str("1234567.89").expect("d"), 2)],
                vec![Cell::text("02"), Cell::Empty],
            ],
        }
    }

    #[test]
    fn csv_is_exact_text() {
        let out = String::from_utf8(csv(&table()).expect("csv")).expect("utf8");
        assert_eq!(out, "\u{feff}code,actual\n01 土方,1234567.89\n02,\n");
    }

    #[test]
    fn csv_text_never_starts_a_formula() {
        let mut t = table();
        t.rows = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\r=x", "'quoted", "a=b"]
            .iter()
            .map(|s| vec![Cell::text(*s), Cell::Number(Decimal::from_str("-12.50").expect("d"), 2)])
            .collect();
        let out = String::from_utf8(csv(&t).expect("csv")).expect("utf8");
        let mut r = csv::Reader::from_reader(out.trim_start_matches('\u{feff}').as_bytes());
        let cells: Vec<(String, String)> =
            r.records().map(|x| x.expect("row")).map(|x| (x[0].to_string(), x[1].to_string())).collect();
        let names: Vec<&str> = cells.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\r=x", "'quoted", "a=b"]);
        assert!(cells.iter().all(|(_, n)| n == "-12.50"), "{cells:?}");
    }

    #[test]
    fn xlsx_reads_back() {
        let bytes = xlsx(&table()).expect("xlsx");
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        let range = book.worksheet_range("Cost P1").expect("sheet");
        assert_eq!(range.get_value((3, 0)), Some(&Data::String("01 土方".into())));
        match range.get_value((3, 1)) {
            Some(Data::Float(f)) => assert_eq!(format!("{f:.2}"), "1234567.89"),
            other => panic!("expected a number, got {other:?}"),
        }
    }
}
