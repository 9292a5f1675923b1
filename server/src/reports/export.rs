//! Reports as files: CSV (UTF-8 with a BOM so Excel reads 中文 correctly) and XLSX
//! (`rust_xlsxwriter`). Both carry the JSON's exact figures: the CSV writes each number as the
//! same decimal text the JSON has; XLSX numbers are binary floats, so a cell holds the float
//! nearest the exact decimal and a number format shows it to the figure's usual decimals (the
//! display may round, e.g. 2.86875 headcount-days shows 2.869; the cell keeps 2.86875). CSV text
//! that begins like a formula is neutralised; XLSX text is a string cell, which a spreadsheet
//! never evaluates.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

use super::{Cell, ReportError, Table};
use crate::web::i18n::Lang;

/// The file formats a report downloads as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

/// The words of an exported file: the JSON API's stable column keys and English labels (`/v1`
/// without `?lang=`), or a page language (the screens' exports, `/v1` with `?lang=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    Keys,
    Lang(Lang),
}

impl Words {
    /// `key` for the API, else the page language's words for `label` (a UI string key).
    pub fn head(self, key: &'static str, label: &'static str) -> &'static str {
        match self {
            Words::Keys => key,
            Words::Lang(l) => l.t(label),
        }
    }

    /// `lang=en|zh-CN` of a query (`/v1`), else the API's keys.
    pub fn from_query(lang: Option<&str>) -> Words {
        lang.and_then(Lang::parse).map_or(Words::Keys, Words::Lang)
    }

    /// The language of labels (English for the API's keys).
    pub fn lang(self) -> Lang {
        match self {
            Words::Keys => Lang::En,
            Words::Lang(l) => l,
        }
    }
}

/// A download's file name without its extension: as people read it (`点工汇总_一号楼_2026-11`) and
/// a plain-ASCII one for clients that cannot read RFC 5987 (`day-labour_P1_2026-11`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    pub display: String,
    pub ascii: String,
}

impl FileName {
    /// `parts` joined by `_`, each without characters a file system or a header refuses.
    pub fn new(display: &[&str], ascii: &[&str]) -> FileName {
        let clean = |s: &str| -> String {
            s.trim()
                .chars()
                .map(|c| if c.is_control() || "\\/:*?\"<>|;".contains(c) || c.is_whitespace() { '-' } else { c })
                .collect()
        };
        let join =
            |parts: &[&str]| parts.iter().map(|p| clean(p)).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
        let ascii: String =
            join(ascii).chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
        FileName { display: join(display), ascii }
    }

    /// An ASCII name only (the API's names before languages: `labour-P1`).
    pub fn plain(name: &str) -> FileName {
        let ascii: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
        FileName { display: ascii.clone(), ascii }
    }

    /// The `Content-Disposition` value (RFC 6266): the ASCII fallback in `filename`, and the name
    /// as people read it, UTF-8 percent-encoded (RFC 5987), in `filename*` when it differs.
    pub fn disposition(&self, ext: &str) -> String {
        let mut out = format!("attachment; filename=\"{}.{ext}\"", self.ascii);
        if self.display != self.ascii {
            let mut enc = String::new();
            for b in format!("{}.{ext}", self.display).bytes() {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    enc.push(b as char);
                } else {
                    enc.push_str(&format!("%{b:02X}"));
                }
            }
            out.push_str(&format!("; filename*=UTF-8''{enc}"));
        }
        out
    }
}

/// `table` as a file download named `name`.
pub fn download(name: &FileName, format: FileFormat, table: &Table) -> Result<axum::response::Response, ReportError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (bytes, mime, ext) = match format {
        FileFormat::Csv => (csv(table)?, "text/csv; charset=utf-8", "csv"),
        FileFormat::Xlsx => (xlsx(table)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, name.disposition(ext))], bytes)
        .into_response())
}

/// A date range as file names and titles say it: a whole month `2026-11`, one day `2026-11-05`,
/// else `2026-11-01_2026-11-30` (an open end: the words for "start" or "today").
pub fn range_label(from: Option<NaiveDate>, to: Option<NaiveDate>, lang: Lang) -> String {
    use chrono::Datelike;
    match (from, to) {
        (Some(f), Some(t)) if f == t => f.to_string(),
        (Some(f), Some(t))
            if f.day() == 1
                && f.year() == t.year()
                && f.month() == t.month()
                && t.succ_opt().is_none_or(|n| n.day() == 1) =>
        {
            f.format("%Y-%m").to_string()
        }
        (None, None) => lang.t("lab_all_dates").to_string(),
        (f, t) => format!(
            "{}_{}",
            f.map_or_else(|| lang.t("lab_start").to_string(), |d| d.to_string()),
            t.map_or_else(|| lang.t("lab_today").to_string(), |d| d.to_string())
        ),
    }
}

/// A sheet name Excel accepts: no `[]:*?/\`, not starting or ending with an apostrophe, at most
/// 31 characters: past that, words are dropped from the end (never cut mid-word), else cut.
pub fn sheet_name(name: &str) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c }).collect();
    let clean = clean.trim().trim_matches('\'').trim().to_string();
    if clean.chars().count() <= 31 {
        return if clean.is_empty() { "Sheet1".into() } else { clean };
    }
    let mut out = String::new();
    for word in clean.split(' ') {
        let next = if out.is_empty() { word.to_string() } else { format!("{out} {word}") };
        if next.chars().count() > 31 {
            break;
        }
        out = next;
    }
    if out.is_empty() { clean.chars().take(31).collect() } else { out }
}

/// Characters that make a spreadsheet read a CSV cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub fn csv(table: &Table) -> Result<Vec<u8>, ReportError> {
    use std::fmt::Write as _;
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let err = |e: csv::Error| ReportError::Export(e.to_string());
        w.write_record(&table.columns).map_err(err)?;
        // One buffer for every cell that is not text already (no String per cell).
        let mut buf = String::new();
        for row in &table.rows {
            for cell in row {
                match cell {
                    // Text that begins like a formula gets a leading apostrophe, so a name typed on
                    // a phone or imported can never run in the office's spreadsheet. Numbers never
                    // pass here, so -12.50 stays a number.
                    Cell::Text(s) if s.starts_with(FORMULA_START) => {
                        buf.clear();
                        buf.push('\'');
                        buf.push_str(s);
                        w.write_field(&buf).map_err(err)?;
                    }
                    Cell::Text(s) => w.write_field(s).map_err(err)?,
                    // Exact: the JSON's text, never rounded to the shown decimals.
                    Cell::Number(d, _) => {
                        buf.clear();
                        let _ = write!(buf, "{d}");
                        w.write_field(&buf).map_err(err)?;
                    }
                    Cell::Date(d, f) => {
                        buf.clear();
                        if *f == "yyyy-mm" {
                            let _ = write!(buf, "{}", d.format("%Y-%m"));
                        } else {
                            let _ = write!(buf, "{d}");
                        }
                        w.write_field(&buf).map_err(err)?;
                    }
                    Cell::Empty => w.write_field("").map_err(err)?,
                }
            }
            w.write_record(None::<&[u8]>).map_err(err)?;
        }
        w.flush().map_err(|e| ReportError::Export(e.to_string()))?;
    }
    Ok(out)
}

fn number_format(dp: u32) -> Format {
    let pattern = if dp == 0 { "#,##0".to_string() } else { format!("#,##0.{}", "0".repeat(dp as usize)) };
    Format::new().set_num_format(pattern)
}

/// The float nearest `d`, read from its exact text (written into `buf`, reused cell to cell).
fn as_f64(d: Decimal, buf: &mut String) -> f64 {
    use std::fmt::Write as _;
    buf.clear();
    let _ = write!(buf, "{d}");
    buf.parse().unwrap_or(f64::NAN)
}

pub fn xlsx(table: &Table) -> Result<Vec<u8>, ReportError> {
    use chrono::Datelike;
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Export(e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&table.sheet)).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, *h, &bold).map_err(err)?;
    }
    let mut formats: std::collections::HashMap<u32, Format> = std::collections::HashMap::new();
    let mut date_formats: std::collections::HashMap<&'static str, Format> = std::collections::HashMap::new();
    // Each column's most common number or date format becomes the column's format, and its cells
    // with that format are written without one: the sheet gives them the column's (the same style
    // index in the file). A format passed with a cell is hashed to find its index, and that was a
    // third of the whole-history export's time (callgrind; server/benches/exports.rs).
    let column_formats = column_formats(table);
    for (c, key) in column_formats.iter().enumerate() {
        let f = match key {
            Some(FormatKey::Number(dp)) => formats.entry(*dp).or_insert_with(|| number_format(*dp)),
            Some(FormatKey::Date(p)) => date_formats.entry(p).or_insert_with(|| Format::new().set_num_format(*p)),
            None => continue,
        };
        sheet.set_column_format(c as u16, f).map_err(err)?;
    }
    // Date columns are as wide as their dates (autofit does not measure date cells).
    let mut date_cols: std::collections::BTreeSet<u16> = std::collections::BTreeSet::new();
    let mut buf = String::new();
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 3;
        for (c, cell) in row.iter().enumerate() {
            let own = column_formats.get(c).copied().flatten();
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s).map_err(err)?;
                }
                Cell::Number(d, dp) if own == Some(FormatKey::Number(*dp)) => {
                    sheet.write_number(r, c, as_f64(*d, &mut buf)).map_err(err)?;
                }
                Cell::Number(d, dp) => {
                    let f = formats.entry(*dp).or_insert_with(|| number_format(*dp));
                    sheet.write_number_with_format(r, c, as_f64(*d, &mut buf), f).map_err(err)?;
                }
                Cell::Date(d, pattern) => {
                    let x = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                        .map_err(err)?;
                    if own == Some(FormatKey::Date(pattern)) {
                        sheet.write_datetime(r, c, &x).map_err(err)?;
                    } else {
                        let f = date_formats.entry(pattern).or_insert_with(|| Format::new().set_num_format(*pattern));
                        sheet.write_datetime_with_format(r, c, &x, f).map_err(err)?;
                    }
                    date_cols.insert(c);
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(3, 0).map_err(err)?;
    sheet.autofit();
    // The title after autofit: it runs over the empty cells beside it instead of widening column A.
    sheet.write_string_with_format(0, 0, &table.title, &bold).map_err(err)?;
    for c in date_cols {
        sheet.set_column_width(c, 12).map_err(err)?;
    }
    // Level 3 as Excel itself writes: the whole-history labour export (107,612 rows) compresses in
    // 24% less time for a file 20% larger (4.6 MB against 3.8 MB; server/benches/exports.rs).
    book.set_zip_compression_level(3);
    book.save_to_buffer().map_err(err)
}

/// A cell's number format: decimals of a number, or a date pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum FormatKey {
    Number(u32),
    Date(&'static str),
}

/// Per column, the format most of its number and date cells have (none: text or empty only).
fn column_formats(table: &Table) -> Vec<Option<FormatKey>> {
    let mut counts: Vec<std::collections::HashMap<FormatKey, usize>> = vec![Default::default(); table.columns.len()];
    for row in &table.rows {
        for (c, cell) in row.iter().enumerate() {
            let key = match cell {
                Cell::Number(_, dp) => FormatKey::Number(*dp),
                Cell::Date(_, p) => FormatKey::Date(p),
                Cell::Text(_) | Cell::Empty => continue,
            };
            if c >= counts.len() {
                counts.resize_with(c + 1, Default::default);
            }
            *counts[c].entry(key).or_default() += 1;
        }
    }
    // Ties go to the smaller key, so the same table always makes the same file.
    counts.into_iter().map(|m| m.into_iter().max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k))).map(|(k, _)| k)).collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn table() -> Table {
        Table {
            sheet: "Cost P1".into(),
            title: "Cost P1".into(),
            columns: vec!["code", "actual"],
            rows: vec![
                vec![Cell::text("01 土方"), Cell::Number(Decimal::from_str("1234567.89").expect("d"), 2)],
                vec![Cell::text("02"), Cell::Empty],
            ],
        }
    }

    #[test]
    fn file_names_for_people_and_an_ascii_fallback() {
        let n = FileName::new(&["点工汇总", "一号楼 项目", "2026-11"], &["day-labour", "P1", "2026-11"]);
        assert_eq!(
            n.disposition("xlsx"),
            "attachment; filename=\"day-labour_P1_2026-11.xlsx\"; filename*=UTF-8''%E7%82%B9%E5%B7%A5%E6%B1%87%E6%80%BB_%E4%B8%80%E5%8F%B7%E6%A5%BC-%E9%A1%B9%E7%9B%AE_2026-11.xlsx"
        );
        assert_eq!(FileName::plain("labour-P1").disposition("csv"), "attachment; filename=\"labour-P1.csv\"");
        let d = |s: &str| s.parse::<NaiveDate>().ok();
        assert_eq!(range_label(d("2026-11-01"), d("2026-11-30"), Lang::En), "2026-11");
        assert_eq!(range_label(d("2026-11-05"), d("2026-11-05"), Lang::En), "2026-11-05");
        assert_eq!(range_label(d("2026-11-02"), d("2026-11-08"), Lang::En), "2026-11-02_2026-11-08");
        assert_eq!(range_label(None, None, Lang::ZhCn), "全部日期");
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(sheet_name("点工汇总 2026-11"), "点工汇总 2026-11");
        assert_eq!(sheet_name("Day-labour summary 2026-11-01_2026-11-30"), "Day-labour summary");
        assert_eq!(sheet_name("a/b:c"), "a b c");
        assert_eq!(sheet_name("''"), "Sheet1");
        assert!(sheet_name(&"x".repeat(40)).chars().count() == 31);
    }

    #[test]
    fn dates_are_date_cells() {
        let mut t = table();
        t.rows = vec![vec![Cell::Date(NaiveDate::from_ymd_opt(2026, 11, 5).expect("d"), "yyyy-mm-dd"), Cell::Empty]];
        let bytes = xlsx(&t).expect("xlsx");
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        let range = book.worksheet_range("Cost P1").expect("sheet");
        match range.get_value((3, 0)) {
            Some(Data::DateTime(x)) => {
                assert_eq!(x.as_datetime().map(|t| t.date().to_string()), Some("2026-11-05".into()))
            }
            other => panic!("expected a date cell, got {other:?}"),
        }
        assert_eq!(String::from_utf8(csv(&t).expect("csv")).expect("utf8"), "\u{feff}code,actual\n2026-11-05,\n");
    }

    /// The number format a cell of the first sheet shows with (its style's `formatCode`), read
    /// from the file's XML as Excel would.
    fn shown_format(bytes: &[u8], cell: &str) -> String {
        use std::io::Read as _;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut part = |name: &str| {
            let mut s = String::new();
            zip.by_name(name).expect("part").read_to_string(&mut s).expect("utf8");
            s
        };
        let (sheet, styles) = (part("xl/worksheets/sheet1.xml"), part("xl/styles.xml"));
        let attr = |tag: &str, name: &str| -> Option<String> {
            let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(tag[at..at + tag[at..].find('"')?].to_string())
        };
        let at = sheet.find(&format!("<c r=\"{cell}\"")).expect("cell written");
        let style: usize = attr(&sheet[at..at + sheet[at..].find('>').expect("tag")], "s")
            .map_or(0, |s| s.parse().expect("style index"));
        let xfs = &styles[styles.find("<cellXfs").expect("cellXfs")..];
        let xf = xfs.split("<xf ").nth(style + 1).expect("xf");
        let id = attr(&format!(" {xf}"), "numFmtId").expect("numFmtId");
        match id.as_str() {
            "0" => "General".into(),
            "14" => "m/d/yyyy".into(),
            _ => {
                let at = styles.find(&format!("numFmtId=\"{id}\" formatCode=\"")).expect("numFmt");
                let code = &styles[at..];
                attr(&format!(" {}", &code[..code.find("/>").expect("end")]), "formatCode").expect("code")
            }
        }
    }

    #[test]
    fn each_cell_shows_its_own_decimals_and_dates() {
        let d = |s: &str| Decimal::from_str(s).expect("decimal");
        let day = NaiveDate::from_ymd_opt(2026, 11, 5).expect("d");
        let mut t = table();
        t.columns = vec!["date", "days", "code"];
        // Worker-days mostly to 1 decimal (the column's format), one to 4, one whole; a month cell
        // among dates; text in a number column.
        t.rows = vec![
            vec![Cell::Date(day, "yyyy-mm-dd"), Cell::Number(d("1.5"), 1), Cell::text("03-100")],
            vec![Cell::Date(day, "yyyy-mm-dd"), Cell::Number(d("2.5"), 1), Cell::text("03-100")],
            vec![Cell::Date(day, "yyyy-mm"), Cell::Number(d("1.1875"), 4), Cell::text("03-100")],
            vec![Cell::Date(day, "yyyy-mm-dd"), Cell::Number(d("3"), 0), Cell::Empty],
            vec![Cell::text("TOTAL"), Cell::Number(d("8.6875"), 4), Cell::Number(d("12"), 0)],
        ];
        let bytes = xlsx(&t).expect("xlsx");
        for (cell, want) in [
            ("A4", "yyyy-mm-dd"),
            ("A5", "yyyy-mm-dd"),
            ("A6", "yyyy-mm"),
            ("A7", "yyyy-mm-dd"),
            ("B4", "#,##0.0"),
            ("B5", "#,##0.0"),
            ("B6", "#,##0.0000"),
            ("B7", "#,##0"),
            ("B8", "#,##0.0000"),
            ("C8", "#,##0"),
        ] {
            assert_eq!(shown_format(&bytes, cell), want, "{cell}");
        }
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
        let range = book.worksheet_range("Cost P1").expect("sheet");
        assert_eq!(range.get_value((5, 1)), Some(&Data::Float(1.1875)));
        assert!(matches!(range.get_value((6, 0)), Some(Data::DateTime(_))), "{:?}", range.get_value((6, 0)));
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
