//! Sync scopes end to end (issue 25, docs/sync-scopes.md §8): the phone library (`FieldStore`)
//! against the real server binary, on SQLite and PostgreSQL. A paired foreman's phone holds exactly
//! its scope after a sync (its site's recent records, nothing of other sites or older days); moved
//! to another site and back it converges each time in one-round idle syncs (no manifest exchange);
//! copying from a day it no longer holds fetches that day first; and a supervisor's rejection of
//! an old record (corrected since its approval) reaches its author's phone, which had evicted it.

mod common;

use chrono::{Days, NaiveDate, Utc};
use common::api::json_call;
use common::*;
use fieldledger_tests::phone_core::{open_phone, sheet_at, sync_paired};
use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::*;
use serde_json::json;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn days_ago(n: u64) -> String {
    today().checked_sub_days(Days::new(n)).expect("date").to_string()
}

fn sheet_on(phone: &FieldStore, site: &str, date: &str) -> String {
    phone.create_labour_sheet(sheet_at(site, date)).expect("sheet").info.id
}

fn ids(phone: &FieldStore) -> Vec<String> {
    let mut v: Vec<String> =
        phone.list_records(RecordFilter::default()).expect("list").into_iter().map(|r| r.id).collect();
    v.sort();
    v
}

fn story(url: Option<&str>) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let writer_token = token(d, url, "P1");
    let sup = token_as(d, url, "P1", "supervisor");
    let wang = add_foreman_wang(d, url);
    let set_sites = |sites: &[&str]| set_sites(d, url, &wang, sites);
    set_sites(&["S1"]);
    let server = start_with(d, url);
    let base = format!("http://{}", server.addr);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    // A colleague's phone (a token without a person) records two sites, today and a month ago.
    let writer = open_phone(d, "li");
    let s1_today = sheet_on(&writer, "S1", &today().to_string());
    let s1_old = sheet_on(&writer, "S1", &days_ago(30));
    let s2_today = sheet_on(&writer, "S2", &today().to_string());
    let s2_old = sheet_on(&writer, "S2", &days_ago(30));
    let r = rt.block_on(writer.sync(base.clone(), writer_token.clone(), None, None)).expect("writer syncs");
    assert!(r.errors.is_empty(), "{:?}", r.errors);

    // 王's phone, paired: on S1 it holds S1's recent record only.
    let phone = paired_phone(&rt, d, url, &base, &wang, "wang");
    sync_paired(&rt, &phone);
    assert_eq!(ids(&phone), std::slice::from_ref(&s1_today), "exactly its scope");

    // Moved to S2: S2's recent record comes, S1's leaves (evicted after the sync that brought the
    // new scope, its drop sent with the next), and idle syncs are one round (digests agree).
    set_sites(&["S2"]);
    sync_paired(&rt, &phone);
    assert_eq!(ids(&phone), std::slice::from_ref(&s2_today));
    for _ in 0..2 {
        let idle = sync_paired(&rt, &phone);
        assert_eq!((idle.rounds, idle.documents_received), (1, 0), "{idle:?}");
    }
    // And back.
    set_sites(&["S1"]);
    sync_paired(&rt, &phone);
    assert_eq!(ids(&phone), std::slice::from_ref(&s1_today));
    for _ in 0..2 {
        let idle = sync_paired(&rt, &phone);
        assert_eq!((idle.rounds, idle.documents_received), (1, 0), "{idle:?}");
    }

    // Copy from a day the phone does not hold: fetched first (and pinned), then copied as today.
    let copy = rt
        .block_on(phone.copy_sheet_from_day("P1".into(), "S1".into(), days_ago(30), today().to_string(), None, None))
        .expect("copy")
        .expect("the day's sheet");
    assert_eq!(copy.work_date, today().to_string());
    let held = ids(&phone);
    assert!(held.contains(&s1_old) && held.contains(&copy.info.id), "{held:?}");
    assert!(!held.contains(&s2_old));

    // 王's own old record, approved, then out once own records are held 7 days only: evicted. A
    // supervisor's rejection reopens it, and it comes back to 王's phone whole.
    let mine = sheet_on(&phone, "S1", &days_ago(20));
    sync_paired(&rt, &phone);
    let heads = phone.heads(mine.clone()).expect("heads");
    let (s, v) = json_call(
        &server.addr,
        &sup,
        "POST",
        &format!("/v1/records/{mine}/approve"),
        Some(json!({ "heads": heads, "comment": "" })),
    );
    assert_eq!(s, 200, "{v}");
    sync_paired(&rt, &phone);
    exec_sql(
        d,
        url,
        "INSERT INTO projects (id, name, currency, updated_at_ms) VALUES ('P1', 'P1', 'CNY', 0) \
         ON CONFLICT (id) DO NOTHING",
    );
    exec_sql(d, url, "UPDATE projects SET scope_own_days = 7 WHERE id = 'P1'");
    let r = sync_paired(&rt, &phone);
    assert!(!ids(&phone).contains(&mine), "approved, older than own_days: evicted ({r:?})");
    // The standing approval can only be replaced: a colleague fetches the old sheet and corrects it
    // (changed since approval: open again), and the supervisor rejects the correction.
    let writer_remote = (Some(base.clone()), Some(writer_token.clone()));
    let got = rt
        .block_on(writer.fetch_record(mine.clone(), writer_remote.0.clone(), writer_remote.1.clone(), None))
        .expect("fetch");
    assert_eq!(got, std::slice::from_ref(&mine));
    writer.update_labour_sheet(mine.clone(), days_ago(20), Some("corrected".into())).expect("edit");
    rt.block_on(writer.sync(base.clone(), writer_token.clone(), None, None)).expect("writer syncs");
    let corrected = writer.heads(mine.clone()).expect("heads");
    let (s, v) = json_call(
        &server.addr,
        &sup,
        "POST",
        &format!("/v1/records/{mine}/reject"),
        Some(json!({ "heads": corrected, "comment": "wrong crew" })),
    );
    assert_eq!(s, 200, "{v}");
    sync_paired(&rt, &phone);
    assert!(ids(&phone).contains(&mine), "the rejection brought it back");
    let status = phone.approval_status(mine.clone()).expect("status");
    assert_eq!((status.state, status.comment.as_deref()), (ApprovalState::Rejected, Some("wrong crew")));
}

#[test]
fn phone_holds_its_scope_on_sqlite() {
    story(None);
}

#[test]
fn phone_holds_its_scope_on_postgresql() {
    let pg = ThrowawayPg::create();
    story(Some(&pg.url()));
}
