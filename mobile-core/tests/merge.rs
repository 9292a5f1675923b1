//! Two phones edit one sheet offline and merge; concurrent values are reported, not silently dropped;
//! imports that would leave an unreadable document are refused whole.

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::EffortUnit;

/// Sends `id`'s changes made on `from` after `since` to `to`.
fn send(from: &common::TestStore, to: &common::TestStore, id: &str, since: Vec<String>) {
    let bytes = from.store.export_changes(id.into(), since).expect("export");
    to.store.import_changes(id.into(), bytes).expect("import");
}

#[test]
fn concurrent_edits_merge_and_conflicts_are_shown_then_resolved() {
    let a = open_store("foreman-li");
    let b = open_store("foreman-wang");
    let sheet = a.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    let l1 = a.store.add_crew_line(id.clone(), line("木工", 6, "8", "47.50")).expect("l1");
    let l2 = a.store.add_crew_line(id.clone(), line("钢筋工", 4, "9", "50.00")).expect("l2");
    let doc = a.store.export_document(id.clone()).expect("export");
    let imported = b.store.import_changes(id.clone(), doc).expect("import on b");
    assert!(imported.changed);
    assert_eq!(
        b.store.get_labour_sheet(id.clone()).expect("b reads"),
        a.store.get_labour_sheet(id.clone()).expect("a reads")
    );

    let (ha, hb) = (a.store.heads(id.clone()).expect("heads"), b.store.heads(id.clone()).expect("heads"));
    // Offline: both change l1's headcount; a changes l2's hours, b adds a line.
    a.store.update_crew_line(id.clone(), l1.id.clone(), line("木工", 7, "8", "47.50")).expect("a edits");
    a.store.update_crew_line(id.clone(), l2.id.clone(), line("钢筋工", 4, "10", "50.00")).expect("a edits l2");
    b.store.update_crew_line(id.clone(), l1.id.clone(), line("木工", 9, "8", "47.50")).expect("b edits");
    b.store.add_crew_line(id.clone(), line("普工", 3, "8", "30.00")).expect("b adds");

    send(&a, &b, &id, ha);
    send(&b, &a, &id, hb);
    let sa = a.store.get_labour_sheet(id.clone()).expect("a");
    let sb = b.store.get_labour_sheet(id.clone()).expect("b");
    assert_eq!(sa, sb, "both phones read the same sheet");
    assert_eq!(a.store.heads(id.clone()).expect("h"), b.store.heads(id.clone()).expect("h"));
    assert_eq!(sa.lines.len(), 3, "b's new line and a's lines are all there");
    assert_eq!(sa.lines.iter().find(|l| l.id == l2.id).expect("l2").effort, "10");

    let conflicts = a.store.conflicts(id.clone()).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!(c.path, format!("lines/{}/headcount", l1.id));
    let mut values = c.values.clone();
    values.sort();
    assert_eq!(values, vec!["7".to_string(), "9".to_string()]);
    let winner: i64 = c.values[0].parse().expect("number");
    assert_eq!(sa.lines.iter().find(|l| l.id == l1.id).expect("l1").headcount, winner, "winner listed first");
    let listed = a.store.list_records(Default::default()).expect("list");
    assert_eq!(listed[0].conflict_count, 1);

    // Re-saving the line unchanged must not settle the conflict behind the user's back.
    let before = a.store.heads(id.clone()).expect("h");
    let same = sa.lines.iter().find(|l| l.id == l1.id).expect("l1");
    a.store.update_crew_line(id.clone(), l1.id.clone(), line("木工", same.headcount, "8", "47.50")).expect("no-op");
    assert_eq!(a.store.conflicts(id.clone()).expect("c").len(), 1);

    // The supervisor-confirmed value is 9: pick it explicitly.
    let choice = c.values.iter().position(|v| v == "9").expect("9 offered") as u32;
    a.store.resolve_conflict(id.clone(), c.path.clone(), choice).expect("resolve");
    assert!(a.store.conflicts(id.clone()).expect("c").is_empty());
    send(&a, &b, &id, before);
    assert!(b.store.conflicts(id.clone()).expect("c").is_empty());
    for s in [&a, &b] {
        let sheet = s.store.get_labour_sheet(id.clone()).expect("sheet");
        assert_eq!(sheet.lines.iter().find(|l| l.id == l1.id).expect("l1").headcount, 9);
        assert_eq!(s.store.list_records(Default::default()).expect("list")[0].conflict_count, 0);
    }
    let bad = a.store.resolve_conflict(id.clone(), c.path.clone(), 0);
    assert!(matches!(bad, Err(CoreError::InvalidInput { .. })), "{bad:?}");
}

#[test]
fn same_crews_as_yesterday() {
    let t = open_store("foreman-li");
    let y = t.store.create_labour_sheet(new_sheet(&days_from_today(-1))).expect("yesterday");
    let mut named = line("钢筋工", 2, "8", "52.00");
    named.workers = vec![
        mobile_core::ffi::types::Worker {
            name: "王强".into(),
            id_number: Some("410101199001011234".into()),
            worker_id: None,
        },
        mobile_core::ffi::types::Worker { name: "刘军".into(), id_number: None, worker_id: None },
    ];
    named.note = Some("rained after 3pm".into());
    t.store.add_crew_line(y.info.id.clone(), line("木工", 6, "8", "47.50")).expect("l");
    t.store.add_crew_line(y.info.id.clone(), named).expect("l");
    let today_sheet = t
        .store
        .start_sheet_from_latest("P1".into(), "S1".into(), today())
        .expect("start")
        .expect("yesterday's sheet found");
    let yesterday = t.store.get_labour_sheet(y.info.id).expect("y");
    assert_eq!(today_sheet.work_date, today());
    assert_eq!(today_sheet.lines.len(), 2);
    for (n, o) in today_sheet.lines.iter().zip(&yesterday.lines) {
        assert_ne!(n.id, o.id);
        assert_eq!(
            (&n.trade, n.headcount, &n.effort, &n.rate, &n.cost_code, &n.workers),
            (&o.trade, o.headcount, &o.effort, &o.rate, &o.cost_code, &o.workers)
        );
        assert_eq!(n.note, None, "notes are per day");
    }
    assert_eq!(today_sheet.total_cost, yesterday.total_cost);
    // No earlier sheet on another site: nothing to copy.
    assert!(t.store.start_sheet_from_latest("P1".into(), "S9".into(), today()).expect("ok").is_none());
}

#[test]
fn crew_presets_offer_last_used_values_then_reference_rates() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    // Before any sheet: the reference trade, one day at its day rate.
    let presets = t.store.crew_presets("P1".into(), None).expect("presets");
    assert_eq!(presets.len(), 1, "{presets:?}");
    assert_eq!(presets[0].trade, "木工");
    assert_eq!(
        (presets[0].effort_unit, presets[0].effort.as_str(), presets[0].rate.as_deref()),
        (EffortUnit::Days, "1", Some("380.00"))
    );
    assert_eq!(
        (presets[0].headcount, presets[0].last_used.as_deref(), presets[0].currency.as_str()),
        (None, None, "CNY")
    );

    let older = t.store.create_labour_sheet(new_sheet(&days_from_today(-3))).expect("older");
    t.store.add_crew_line(older.info.id.clone(), line("木工", 4, "8", "45.00")).expect("l");
    t.store.add_crew_line(older.info.id.clone(), line("瓦工", 3, "9", "44.00")).expect("l");
    let newer = t.store.create_labour_sheet(new_sheet(&days_from_today(-1))).expect("newer");
    let mut carpenters = line("木工", 6, "8", "47.50");
    carpenters.cost_code = "03-200".into();
    t.store.add_crew_line(newer.info.id.clone(), carpenters).expect("l");
    // A voided sheet's rates are not offered.
    let voided = t.store.create_labour_sheet(new_sheet(&today())).expect("voided");
    t.store.add_crew_line(voided.info.id.clone(), line("木工", 1, "8", "999.00")).expect("l");
    t.store.void_record(voided.info.id, "duplicate".into()).expect("void");

    let presets = t.store.crew_presets("P1".into(), Some("S1".into())).expect("presets");
    let got: Vec<_> = presets
        .iter()
        .map(|p| {
            (
                p.trade.as_str(),
                p.headcount,
                p.effort.as_str(),
                p.rate.as_deref(),
                p.cost_code.as_deref(),
                p.last_used.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("木工", Some(6), "8", Some("47.50"), Some("03-200"), Some(days_from_today(-1))),
            ("瓦工", Some(3), "9", Some("44.00"), Some("03-100"), Some(days_from_today(-3))),
        ],
        "newest use of each trade first; the reference trade is already covered"
    );
    // Another site has no sheets: only the reference trade.
    let other = t.store.crew_presets("P1".into(), Some("S9".into())).expect("presets");
    assert_eq!(other.iter().map(|p| p.trade.as_str()).collect::<Vec<_>>(), vec!["木工"]);
    assert_eq!(other[0].last_used, None);
}

fn unchanged_after<T: std::fmt::Debug>(
    t: &common::TestStore,
    call: impl FnOnce() -> Result<T, CoreError>,
) -> CoreError {
    let before = fingerprint(&t.path);
    let err = call().expect_err("should be refused");
    assert_eq!(fingerprint(&t.path), before, "store changed after: {err}");
    err
}

#[test]
fn imports_that_would_not_read_are_refused_whole() {
    let t = open_store("foreman-li");
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    t.store.add_crew_line(id.clone(), line("木工", 6, "8", "47.50")).expect("line");

    // A newer app bumped this sheet's schema version: refused, and the local copy stays readable.
    let mut newer = AutoCommit::load(&t.store.export_document(id.clone()).expect("export")).expect("load");
    let since = newer.get_heads();
    newer.put(ROOT, "schema_version", 2i64).expect("put");
    newer.put(ROOT, "new_field_from_the_future", "x").expect("put");
    let delta = newer.save_after(&since);
    match unchanged_after(&t, || t.store.import_changes(id.clone(), delta.clone())) {
        CoreError::NewerSchemaVersion { found, supported, .. } => assert_eq!((found, supported), (2, 1)),
        other => panic!("expected NewerSchemaVersion, got {other:?}"),
    }
    assert_eq!(t.store.get_labour_sheet(id.clone()).expect("still reads").lines.len(), 1);

    // A whole new document of a newer version is refused too (never half-read).
    let mut future = AutoCommit::new();
    future.put(ROOT, "kind", "expense").expect("put");
    future.put(ROOT, "schema_version", 3i64).expect("put");
    future.put(ROOT, "id", "e-future").expect("put");
    let err = unchanged_after(&t, || t.store.import_changes("e-future".into(), future.save()));
    assert!(matches!(err, CoreError::NewerSchemaVersion { .. }), "{err:?}");
    assert!(matches!(t.store.get_record("e-future".into()), Err(CoreError::NotFound { .. })));

    // Garbage, truncated changes, a document of an unknown kind, or one claiming another id.
    let err = unchanged_after(&t, || t.store.import_changes(id.clone(), b"definitely not automerge".to_vec()));
    assert!(matches!(err, CoreError::BadDocument { .. }), "{err:?}");
    let whole = t.store.export_document(id.clone()).expect("export");
    let err = unchanged_after(&t, || t.store.import_changes("x-new".into(), whole[..whole.len() / 2].to_vec()));
    assert!(matches!(err, CoreError::BadDocument { .. }), "{err:?}");
    let mut odd = AutoCommit::new();
    odd.put(ROOT, "kind", "timesheet_v9").expect("put");
    odd.put(ROOT, "schema_version", 1i64).expect("put");
    let err = unchanged_after(&t, || t.store.import_changes("odd".into(), odd.save()));
    assert!(matches!(err, CoreError::BadDocument { .. }), "{err:?}");
    let err = unchanged_after(&t, || t.store.import_changes("someone-else".into(), whole.clone()));
    assert!(matches!(err, CoreError::BadDocument { .. }), "{err:?}");

    // Importing what we already have changes nothing and says so.
    let again = t.store.import_changes(id.clone(), whole).expect("idempotent");
    assert!(!again.changed);
}

/// A peer's changes that hold what no record holds (a key nested 1,000 maps deep, a note as a text
/// object, a 65-byte worker id number, a lenient amount) are refused whole, naming the place; the
/// store is unchanged and the conflict view of the sheet still works.
#[test]
fn imports_holding_what_the_schema_does_not_define_are_refused_whole() {
    let t = open_store("foreman-li");
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    t.store.add_crew_line(id.clone(), line("木工", 6, "8", "47.50")).expect("line");
    let whole = t.store.export_document(id.clone()).expect("export");
    let peer_edit = |edit: &dyn Fn(&mut AutoCommit)| {
        let mut peer = AutoCommit::load(&whole).expect("load");
        let since = peer.get_heads();
        edit(&mut peer);
        peer.save_after(&since)
    };
    let deep = peer_edit(&|d| {
        let mut obj = d.put_object(ROOT, "deep", ObjType::Map).expect("put");
        for _ in 0..1_000 {
            obj = d.put_object(&obj, "x", ObjType::Map).expect("nest");
        }
    });
    let text_note = peer_edit(&|d| {
        let note = d.put_object(ROOT, "note", ObjType::Text).expect("put");
        d.splice_text(&note, 0, 0, &"雨天停工".repeat(400)).expect("splice");
    });
    let line_obj = |d: &AutoCommit| {
        let lines = d.get(ROOT, "lines").expect("get").expect("lines").1;
        let (_, first) = d.map_range(&lines, ..).next().map(|i| (i.key.to_string(), i.id())).expect("a line");
        first
    };
    let long_id = peer_edit(&|d| {
        let l = line_obj(d);
        let workers = d.put_object(&l, "workers", ObjType::List).expect("workers");
        let w = d.insert_object(&workers, 0, ObjType::Map).expect("worker");
        d.put(&w, "name", "王强").expect("name");
        d.put(&w, "id_number", "4".repeat(65)).expect("id");
    });
    let lenient = peer_edit(&|d| {
        let l = line_obj(d);
        d.put(&l, "rate", "4.75e1").expect("rate");
    });
    for (what, bytes, place) in [
        ("deep", deep, "deep"),
        ("text note", text_note, "note"),
        ("id number", long_id, "id_number"),
        ("rate", lenient, "rate"),
    ] {
        match unchanged_after(&t, || t.store.import_changes(id.clone(), bytes.clone())) {
            CoreError::BadDocument { reason, .. } => assert!(reason.contains(place), "{what}: {reason}"),
            other => panic!("{what}: expected BadDocument, got {other:?}"),
        }
    }
    assert_eq!(t.store.get_labour_sheet(id.clone()).expect("still reads").lines.len(), 1);
    assert!(t.store.conflicts(id).expect("conflicts").is_empty());
}

#[test]
fn agreeing_edits_are_not_conflicts_and_worker_lists_can_be_chosen() {
    use mobile_core::ffi::types::Worker;
    let a = open_store("foreman-li");
    let b = open_store("foreman-wang");
    let id = a.store.create_labour_sheet(new_sheet(&today())).expect("sheet").info.id;
    let l = a.store.add_crew_line(id.clone(), line("钢筋工", 2, "8", "52.00")).expect("line");
    b.store.import_changes(id.clone(), a.store.export_document(id.clone()).expect("doc")).expect("import");
    let (ha, hb) = (a.store.heads(id.clone()).expect("h"), b.store.heads(id.clone()).expect("h"));

    // Both phones type the same headcount; each names a different pair of workers.
    let with = |names: [&str; 2]| {
        let mut input = line("钢筋工", 3, "8", "52.00");
        input.workers =
            names.iter().map(|n| Worker { name: n.to_string(), id_number: None, worker_id: None }).collect();
        input
    };
    a.store.update_crew_line(id.clone(), l.id.clone(), with(["王强", "刘军"])).expect("a");
    b.store.update_crew_line(id.clone(), l.id.clone(), with(["王强", "赵磊"])).expect("b");
    send(&a, &b, &id, ha);
    send(&b, &a, &id, hb);

    let conflicts = a.store.conflicts(id.clone()).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "equal headcounts agree; only the worker lists differ: {conflicts:?}");
    let c = &conflicts[0];
    assert_eq!(c.path, format!("lines/{}/workers", l.id));
    assert!(
        c.values.iter().any(|v| v.contains("刘军")) && c.values.iter().any(|v| v.contains("赵磊")),
        "{:?}",
        c.values
    );

    let choice = c.values.iter().position(|v| v.contains("赵磊")).expect("offered") as u32;
    let before = a.store.heads(id.clone()).expect("h");
    a.store.resolve_conflict(id.clone(), c.path.clone(), choice).expect("resolve a list");
    send(&a, &b, &id, before);
    for s in [&a, &b] {
        assert!(s.store.conflicts(id.clone()).expect("c").is_empty());
        let sheet = s.store.get_labour_sheet(id.clone()).expect("sheet");
        let names: Vec<String> = sheet.lines[0].workers.iter().map(|w| w.name.clone()).collect();
        assert_eq!(names, vec!["王强".to_string(), "赵磊".to_string()]);
        assert_eq!(sheet.lines[0].headcount, 3);
    }
}

#[test]
fn a_line_edited_on_one_phone_and_removed_on_another_is_a_conflict_not_a_loss() {
    let a = open_store("foreman-li");
    let b = open_store("foreman-wang");
    let id = a.store.create_labour_sheet(new_sheet(&today())).expect("sheet").info.id;
    let keep = a.store.add_crew_line(id.clone(), line("木工", 6, "8", "47.50")).expect("line");
    let l = a.store.add_crew_line(id.clone(), line("普工", 4, "8", "30.00")).expect("line");
    b.store.import_changes(id.clone(), a.store.export_document(id.clone()).expect("doc")).expect("import");
    let (ha, hb) = (a.store.heads(id.clone()).expect("h"), b.store.heads(id.clone()).expect("h"));
    a.store.remove_crew_line(id.clone(), l.id.clone()).expect("a removes");
    b.store.update_crew_line(id.clone(), l.id.clone(), line("普工", 5, "9", "30.00")).expect("b edits");
    send(&a, &b, &id, ha);
    send(&b, &a, &id, hb);

    let conflicts = a.store.conflicts(id.clone()).expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].path, format!("lines/{}/presence", l.id));
    let mut values = conflicts[0].values.clone();
    values.sort();
    assert_eq!(values, vec!["edited".to_string(), "removed".to_string()]);
    assert_eq!(a.store.get_labour_sheet(id.clone()).expect("a"), b.store.get_labour_sheet(id.clone()).expect("b"));

    // Keeping the line brings back phone B's numbers.
    let keep_it = conflicts[0].values.iter().position(|v| v.starts_with("edited")).expect("offered") as u32;
    a.store.resolve_conflict(id.clone(), conflicts[0].path.clone(), keep_it).expect("resolve");
    let sheet = a.store.get_labour_sheet(id.clone()).expect("sheet");
    let back = sheet.lines.iter().find(|x| x.id == l.id).expect("line is back");
    assert_eq!((back.headcount, back.effort.as_str()), (5, "9"));
    assert!(sheet.lines.iter().any(|x| x.id == keep.id));

    // A plain removal (no concurrent edit) just removes.
    a.store.remove_crew_line(id.clone(), keep.id.clone()).expect("remove");
    assert!(a.store.get_labour_sheet(id.clone()).expect("sheet").lines.iter().all(|x| x.id != keep.id));
    assert!(a.store.conflicts(id.clone()).expect("c").is_empty());
}
