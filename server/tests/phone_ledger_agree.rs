//! Property: whatever hours, days, rates (to the office's 4 decimals), rate units and hours per day
//! a foreman enters, the amount the phone library shows for each crew line is, to the cent, what
//! the server's ledger posts for it once the sheet is approved, and the sheet's total is the sum
//! posted. The phone is the real library (its app-facing API, in process); the server side is its
//! own document store, decision and posting code over a real SQLite database.

use std::collections::HashMap;
use std::str::FromStr;

use automerge::AutoCommit;
use mobile_core::ffi::types::*;
use mobile_core::ffi::{FieldStore, reference_document};
use proptest::prelude::*;
use record_schema::DecisionStatus;
use rust_decimal::Decimal;
use server::auth::Role;
use server::cache::DocCache;
use server::db::{Db, TokenGrant};
use server::docstore;
use server::ledger::store::{self, DecideRequest, heads_hex};

/// One crew line as typed: headcount, hours (true) or days, quantity in hundredths, rate as
/// (digits, decimals), rate per hour (true) or per day.
type Line = (i64, bool, i64, (i64, u32), bool);

fn a_line() -> impl Strategy<Value = Line> {
    (1i64..=40, any::<bool>(), 1i64..=300, (0i64..=2_000_000, 0u32..=4), any::<bool>())
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

fn reference(hours_per_day: &str) -> ReferenceData {
    ReferenceData {
        project_id: "P1".into(),
        currency: "CNY".into(),
        sites: vec![Site { id: "S1".into(), name: "一号楼".into(), time_zone: "Asia/Shanghai".into() }],
        cost_codes: vec![CostCode { code: "03-100".into(), name: "模板".into(), parent: None }],
        activities: vec![],
        trades: vec![],
        hours_per_day: Some(hours_per_day.into()),
        expense_categories: vec![],
        workers: vec![],
    }
}

/// The phone's sheet after entering `lines` (all in one call) on a project of `hours_per_day`.
fn on_the_phone(dir: &std::path::Path, hours_per_day: &str, lines: &[Line]) -> (LabourSheet, Vec<u8>) {
    let phone = FieldStore::open(dir.join("phone.db").display().to_string(), "王建国".into()).expect("open");
    let doc = reference_document(reference(hours_per_day)).expect("reference");
    phone.import_changes("reference:P1".into(), doc).expect("import reference");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    let new = NewLabourSheet {
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: None,
        work_date: today,
        currency: None,
        note: None,
    };
    let sheet = phone.create_labour_sheet(new).expect("sheet");
    let unit = |hours: bool| if hours { EffortUnit::Hours } else { EffortUnit::Days };
    let changes = lines
        .iter()
        .map(|&(headcount, hours, hundredths, (digits, decimals), per_hour)| {
            // Hours up to 24, days up to 3 (the limits of a day's work).
            let quantity = Decimal::new(if hours { hundredths * 8 % 2400 + 1 } else { hundredths }, 2);
            CrewLineChange::Add {
                line: CrewLineInput {
                    trade: "木工".into(),
                    crew: None,
                    headcount,
                    effort_unit: unit(hours),
                    effort: text(quantity),
                    rate: text(Decimal::new(digits, decimals)),
                    cost_code: "03-100".into(),
                    activity: None,
                    note: None,
                    workers: vec![],
                    rate_unit: Some(unit(per_hour)),
                },
            }
        })
        .collect();
    let sheet = phone.set_crew_lines(sheet.info.id.clone(), changes).expect("lines");
    let bytes = phone.export_document(sheet.info.id.clone()).expect("export");
    phone.close().expect("close");
    (sheet, bytes)
}

/// What the ledger posts per crew line once the server approves the document.
async fn posted(dir: &std::path::Path, id: &str, bytes: &[u8]) -> HashMap<String, (Decimal, Decimal)> {
    let db = Db::connect(None, dir).await.expect("sqlite");
    let mut doc = AutoCommit::load(bytes).expect("load");
    let heads = heads_hex(&doc.get_heads());
    docstore::insert(&db, id, "P1", "labour_sheet", doc).await.expect("store");
    let who = TokenGrant {
        device_id: "sup-1".into(),
        device_name: "陈明".into(),
        role: Role::Supervisor,
        project_id: "P1".into(),
    };
    let req = DecideRequest {
        record_id: id.into(),
        status: DecisionStatus::Approved,
        heads,
        comment: String::new(),
        request_id: None,
    };
    store::decide(&db, &DocCache::new(1 << 20), &who, req).await.expect("approve");
    let rows = store::postings_of(&db, "P1", Some(id)).await.expect("postings");
    rows.into_iter().map(|r| (r.posting.line_id.clone(), (r.posting.amount, r.posting.person_days))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn phone_amounts_are_the_ledgers(
        hours_per_day in 400i64..=1200,
        lines in proptest::collection::vec(a_line(), 1..12),
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let hours_per_day = text(Decimal::new(hours_per_day, 2));
        let (sheet, bytes) = on_the_phone(dir.path(), &hours_per_day, &lines);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let ledger = rt.block_on(posted(dir.path(), &sheet.info.id, &bytes));
        prop_assert_eq!(ledger.len(), sheet.lines.len());
        let mut total = Decimal::ZERO;
        for l in &sheet.lines {
            let (amount, person_days) = ledger[&l.id];
            prop_assert_eq!(&l.hours_per_day, &hours_per_day);
            prop_assert_eq!(amount.to_string(), l.cost.clone(), "line {:?}", l);
            let effort = Decimal::from_str(&l.effort).expect("effort");
            let days = match l.effort_unit {
                EffortUnit::Hours => Decimal::from(l.headcount) * effort / Decimal::from_str(&hours_per_day).expect("h"),
                EffortUnit::Days => Decimal::from(l.headcount) * effort,
            };
            // The ledger keeps quantities in millionths.
            prop_assert!((person_days - days).abs() <= Decimal::new(5, 7), "{} vs {}", person_days, days);
            total += amount;
        }
        prop_assert_eq!(total.to_string(), sheet.total_cost);
    }
}
