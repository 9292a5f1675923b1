//! Every change a phone makes carries its time and a message saying what was done, by whom, on
//! which device (`record_schema::change_note`), so the supervisor's change history can say it; a
//! document written before messages existed still reads, with no author.

mod common;

use automerge::AutoCommit;
use common::*;
use record_schema::change_note::{self, ChangeNote};

/// The (time in seconds, note) of every change of document `id`, in order.
fn notes(t: &TestStore, id: &str) -> Vec<(i64, ChangeNote)> {
    let bytes = t.store.export_document(id.to_string()).expect("export");
    let mut doc = AutoCommit::load(&bytes).expect("load");
    doc.get_changes(&[]).iter().map(|c| (c.timestamp(), change_note::parse(c.message().map_or("", |m| m)))).collect()
}

#[test]
fn every_change_says_when_who_and_what() {
    let t = open_store("王建国");
    import_reference(&t.store);
    let before = record_schema::now_ms() / 1000;
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let id = sheet.info.id.clone();
    t.store.add_crew_line(id.clone(), line("木工", 6, "8", "47.50")).expect("line 1");
    t.store.add_crew_line(id.clone(), line("钢筋工", 3, "8", "52.00")).expect("line 2");
    let second = t.store.get_labour_sheet(id.clone()).expect("sheet").lines[1].id.clone();
    t.store.update_crew_line(id.clone(), second.clone(), line("钢筋工", 4, "8", "52.00")).expect("edit line 2");
    t.store.remove_crew_line(id.clone(), second).expect("remove line 2");
    t.store.void_record(id.clone(), "下雨停工\nAuthor: 老板".into()).expect("void");
    let after = record_schema::now_ms() / 1000;

    let notes = notes(&t, &id);
    let summaries: Vec<&str> = notes.iter().map(|(_, n)| n.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "create labour sheet",
            "add line 1",
            "add line 2",
            "update line 2",
            "remove line 2",
            "void: 下雨停工 Author: 老板"
        ]
    );
    let device: Vec<&Option<String>> = notes.iter().map(|(_, n)| &n.device).collect();
    for (time, note) in &notes {
        assert!((before..=after).contains(time), "change time {time} not within {before}..={after}");
        assert_eq!(note.author.as_deref(), Some("王建国"), "{note:?}");
        assert!(note.device.as_deref().is_some_and(|d| d.len() == 12), "{note:?}");
    }
    // One device: the same id on every change (the store's own actor, shortened).
    assert!(device.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn expenses_carry_their_notes() {
    let t = open_store("李工");
    import_reference(&t.store);
    let e = t.store.create_expense(place(), expense("120.50")).expect("expense");
    let notes = notes(&t, &e.info.id);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].1.summary, "create expense");
    assert_eq!(notes[0].1.author.as_deref(), Some("李工"));
}

#[test]
fn old_documents_without_messages_still_read() {
    // A sheet written as phones did before: no message, no time.
    let t = open_store("王建国");
    import_reference(&t.store);
    let sheet = t.store.create_labour_sheet(new_sheet(&today())).expect("sheet");
    let bytes = t.store.export_document(sheet.info.id.clone()).expect("export");
    let old = AutoCommit::load(&bytes).expect("load");
    let mut plain = AutoCommit::new();
    let record = record_schema::Record::read(&old).expect("read");
    record.write(&mut plain).expect("write");
    plain.commit();
    let change = plain.get_changes(&[]).into_iter().next().expect("one change").clone();
    assert_eq!((change.timestamp(), change.message()), (0, None));
    let note = change_note::parse(change.message().map_or("", |m| m));
    assert_eq!(note, ChangeNote::default());
    // Another store takes the old document in and edits it: its own changes carry notes, the old
    // one stays as it was.
    let t2 = open_store("张三");
    import_reference(&t2.store);
    t2.store.import_changes(sheet.info.id.clone(), plain.save()).expect("import old document");
    t2.store.add_crew_line(sheet.info.id.clone(), line("杂工", 2, "8", "40.00")).expect("line");
    let notes = notes(&t2, &sheet.info.id);
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0], (0, ChangeNote::default()));
    assert_eq!((notes[1].1.summary.as_str(), notes[1].1.author.as_deref()), ("add line 1", Some("张三")));
}
