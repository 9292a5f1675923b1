//! Hostile reference imports through the real server (issue 17, item 4): a tiny workbook whose used
//! range reaches XFD1048576, a CSV over the row limit, a file of thousands of bad rows, a 100,000-code
//! parent chain ending in a cycle, and a code tree nested too deep. Each is refused with a 4xx whose
//! JSON names the limit; the server keeps serving and the stored reference data are unchanged.

mod common;

use common::api::{XLSX, call_json, import_reference, json_call};
use common::records::{reference_workbook, workbook};
use common::*;
use serde_json::Value;

struct Fixture {
    _dir: tempfile::TempDir,
    server: Server,
    admin: String,
    before: Value,
}

fn reference(f: &Fixture) -> Value {
    let (s, v) = json_call(&f.server.addr, &f.admin, "GET", "/v1/reference", None);
    assert_eq!(s, 200, "{v}");
    v
}

fn import(f: &Fixture, query: &str, body: &[u8], content_type: &str) -> (u16, Value) {
    call_json(&f.server.addr, &f.admin, "POST", &format!("/v1/reference/import{query}"), body, content_type)
}

/// A server holding the fixture project's reference data, and that data as read back.
fn setup() -> Fixture {
    let dir = tempfile::tempdir().expect("dir");
    let admin = token_as(dir.path(), None, "P1", "admin");
    let server = start(dir.path());
    let mut f = Fixture { _dir: dir, server, admin, before: Value::Null };
    import_reference(&f.server.addr, &f.admin, &reference_workbook());
    f.before = reference(&f);
    f
}

/// The server still answers and holds exactly what it held before the refused import.
fn assert_unharmed(f: &Fixture) {
    let (s, b) = get(&f.server.addr, "/healthz");
    assert_eq!(s, 200, "the server keeps serving: {b}");
    assert_eq!(reference(f), f.before, "a refused import changes nothing");
}

#[test]
fn a_workbook_reaching_past_the_limits_is_refused_before_it_is_read() {
    let f = setup();
    // (row, column) of one stray cell, 0-based, and where the refusal should point (1-based, letters).
    let strays = [(1_048_575u32, 16_383u16, 1_048_576, "XFD"), (100_001, 0, 100_002, "A"), (2, 32, 3, "AG")];
    for (row, col, at_row, at_col) in strays {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("sites").expect("sheet");
        for (c, text) in ["id", "name", "time_zone"].into_iter().enumerate() {
            sheet.write_string(0, c as u16, text).expect("header");
        }
        for (c, text) in ["S9", "西区", "Asia/Shanghai"].into_iter().enumerate() {
            sheet.write_string(1, c as u16, text).expect("row");
        }
        sheet.write_string(row, col, "x").expect("stray cell");
        let bytes = book.save_to_buffer().expect("xlsx");
        assert!(bytes.len() < 8 * 1024, "a tiny file: {} bytes", bytes.len());
        let (s, v) = import(&f, "", &bytes, XLSX);
        assert_eq!(s, 422, "{v}");
        let e = &v["errors"][0];
        assert_eq!(
            (e["table"].as_str(), e["row"].as_u64(), e["column"].as_str()),
            (Some("sites"), Some(at_row), Some(at_col)),
            "{v}"
        );
        assert_eq!(v["field"].as_str(), Some(format!("sites.{at_col}").as_str()), "{v}");
        let message = e["message"].as_str().expect("message");
        assert!(message.contains("100000 data rows") && message.contains("32 columns"), "names the limits: {v}");
        assert_unharmed(&f);
    }
}

#[test]
fn a_csv_over_the_row_limit_is_refused() {
    let f = setup();
    let mut csv = String::from("id,name,time_zone\n");
    for i in 0..100_001 {
        csv.push_str(&format!("S{i},site {i},Asia/Shanghai\n"));
    }
    let (s, v) = import(&f, "?table=sites", csv.as_bytes(), "text/csv");
    assert_eq!(s, 422, "{v}");
    let e = &v["errors"][0];
    assert_eq!((e["table"].as_str(), e["row"].as_u64()), (Some("sites"), Some(100_002)), "{v}");
    assert!(e["message"].as_str().expect("message").contains("100000 data rows"), "names the limit: {v}");
    assert_unharmed(&f);
    // A row wider than the columns read is refused too, naming the column.
    let wide = format!("id,name,time_zone\nS9,x,Asia/Shanghai{}\n", ",x".repeat(40));
    let (s, v) = import(&f, "?table=sites", wide.as_bytes(), "text/csv");
    assert_eq!(s, 422, "{v}");
    let e = &v["errors"][0];
    assert_eq!((e["row"].as_u64(), e["column"].as_str()), (Some(2), Some("AG")), "{v}");
    assert!(e["message"].as_str().expect("message").contains("32 columns"), "names the limit: {v}");
    assert_unharmed(&f);
}

#[test]
fn thousands_of_bad_rows_list_the_first_hundred_and_count_the_rest() {
    let f = setup();
    let mut csv = String::from("id,name,time_zone\n");
    for i in 0..5_000 {
        csv.push_str(&format!("S{i},site {i},Mars/Olympus\n"));
    }
    let (s, v) = import(&f, "?table=sites", csv.as_bytes(), "text/csv");
    assert_eq!(s, 422, "{v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 100, "the first hundred are listed");
    assert_eq!((errors[0]["row"].as_u64(), errors[99]["row"].as_u64()), (Some(2), Some(101)), "in file order");
    assert_eq!(v["more_errors"].as_u64(), Some(4_900), "the rest are counted: {}", v["message"]);
    assert!(v["message"].as_str().expect("message").contains("5000 problem(s)"), "{}", v["message"]);
    assert_unharmed(&f);
}

#[test]
fn a_long_cost_code_chain_ending_in_a_cycle_names_the_cycle() {
    let f = setup();
    // k00000 → k00001 → … → k99999 → k99990: 100,000 codes, the last ten a cycle.
    let n = 100_000;
    let mut csv = String::from("code,name,parent\n");
    for i in 0..n {
        let parent = if i + 1 < n { i + 1 } else { n - 10 };
        csv.push_str(&format!("k{i:05},code {i},k{parent:05}\n"));
    }
    let (s, v) = import(&f, "?table=cost_codes", csv.as_bytes(), "text/csv");
    assert_eq!(s, 422, "{}", v["message"]);
    let named: Vec<(u64, &str)> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].as_u64().expect("row"), e["message"].as_str().expect("message")))
        .collect();
    // Only the ten codes on the cycle are their own ancestors (rows 99,992 to 100,001); the codes
    // leading into it are not, and are not blamed.
    let rows: Vec<u64> = named.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, (99_992..=100_001).collect::<Vec<u64>>(), "{named:?}");
    assert!(named.iter().all(|(_, m)| m.contains("would be its own ancestor")), "{named:?}");
    assert_eq!(v["more_errors"].as_u64(), Some(0), "{}", v["message"]);
    assert_unharmed(&f);
}

#[test]
fn cost_codes_nest_at_most_twenty_levels() {
    let f = setup();
    // A chain of `levels` codes: L00 at the top, each next one under the previous.
    let chain = |levels: usize| {
        let rows: Vec<Vec<String>> = std::iter::once(vec!["code".to_string(), "name".into(), "parent".into()])
            .chain((0..levels).map(|i| {
                let parent = if i == 0 { String::new() } else { format!("L{:02}", i - 1) };
                vec![format!("L{i:02}"), format!("level {}", i + 1), parent]
            }))
            .collect();
        let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        workbook(&[("cost_codes", &rows)])
    };
    let (s, v) = import(&f, "", &chain(21), XLSX);
    assert_eq!(s, 422, "{v}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "only the 21st level is too deep: {v}");
    assert_eq!((errors[0]["row"].as_u64(), errors[0]["column"].as_str()), (Some(22), Some("C (parent)")), "{v}");
    assert!(errors[0]["message"].as_str().expect("message").contains("at most 20 levels"), "{v}");
    assert_unharmed(&f);
    let (s, v) = import(&f, "", &chain(20), XLSX);
    assert_eq!(s, 200, "twenty levels import: {v}");
    assert_eq!(reference(&f)["cost_codes"].as_array().map(Vec::len), Some(3 + 20));
}

#[test]
fn a_workbook_unpacking_to_hundreds_of_megabytes_is_refused() {
    use std::io::{Read, Write};
    let f = setup();
    // A good sites sheet whose shared strings table is padded with 12 million more strings: about
    // 200 MB of XML in a file of about a megabyte.
    let good = workbook(&[("sites", &[&["id", "name", "time_zone"], &["S9", "西区", "Asia/Shanghai"]])]);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(good)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().expect("entry name").to_string();
        let mut text = Vec::new();
        entry.read_to_end(&mut text).expect("read entry");
        out.start_file(name.as_str(), deflated).expect("start");
        if name == "xl/sharedStrings.xml" {
            let end = text.windows(6).position(|w| w == b"</sst>").expect("</sst>");
            out.write_all(&text[..end]).expect("write");
            let padding = b"<si><t>x</t></si>".repeat(100_000);
            for _ in 0..120 {
                out.write_all(&padding).expect("write");
            }
            out.write_all(&text[end..]).expect("write");
        } else {
            out.write_all(&text).expect("write");
        }
    }
    let bomb = out.finish().expect("finish").into_inner();
    assert!(bomb.len() < 2 << 20, "a small file: {} bytes", bomb.len());
    let (s, v) = import(&f, "", &bomb, XLSX);
    assert_eq!((s, v["field"].as_str()), (400, Some("file")), "{v}");
    assert!(v["message"].as_str().expect("message").contains("more than 128 MB"), "names the limit: {v}");
    assert_unharmed(&f);
}
