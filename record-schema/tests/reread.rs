//! `Record::reread` gives exactly what `Record::read` gives, while reading only the crew lines that
//! changed: checked over a long random run of concurrent phone edits merged into one document.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use chrono::NaiveDate;
use record_schema::record::{Reading, RecordHeader};
use record_schema::*;
use rust_decimal::Decimal;

fn line(i: usize) -> CrewLine {
    CrewLine {
        id: format!("l{i}"),
        position: i as i64,
        trade: ["木工", "钢筋工", "普工"][i % 3].into(),
        crew: Some(format!("班组 {i}")),
        headcount: 3,
        effort: Effort::Hours(Decimal::from(8)),
        rate: Decimal::new(4550, 2),
        rate_unit: record_schema::TimeUnit::Hour,
        hours_per_day: Decimal::from(8),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers: vec![],
    }
}

fn sheet(lines: usize) -> LabourSheet {
    LabourSheet {
        header: RecordHeader {
            id: "sheet-1".into(),
            project_id: "P1".into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            author: "foreman-li".into(),
            created_at_ms: 1_763_900_000_000,
            voided: None,
        },
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        currency: Currency::Cny,
        note: None,
        lines: (0..lines).map(line).collect(),
    }
}

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Rereads `server` after a merge and checks it against a whole read; returns the new reading.
fn check(server: &mut AutoCommit, prev: Option<Reading>) -> Reading {
    let whole = Record::read(server).expect("whole read");
    let (again, reading) = Record::reread(server, prev).expect("reread");
    assert_eq!(again, whole, "reread differs from read");
    reading
}

#[test]
fn rereading_after_random_concurrent_edits_equals_reading_whole() {
    let mut base = AutoCommit::new();
    sheet(12).write(&mut base).expect("write");
    let mut phones: Vec<AutoCommit> = (0..3).map(|_| base.fork()).collect();
    let mut server = base.fork();
    let mut reading = check(&mut server, None);
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut next_line = 12;
    let (mut partial, mut whole) = (0, 0);
    for step in 0..600 {
        let p = dice.roll(phones.len());
        let at = step as i64;
        let view = LabourSheet::read(&phones[p]).expect("phone reads");
        match dice.roll(10) {
            // Most edits: one field of one line.
            0..=4 if !view.lines.is_empty() => {
                let mut l = view.lines[dice.roll(view.lines.len())].clone();
                l.headcount = 1 + dice.roll(30) as i64;
                LabourSheet::put_line(&mut phones[p], Currency::Cny, &l, at).expect("edit");
            }
            5 => {
                LabourSheet::put_line(&mut phones[p], Currency::Cny, &line(next_line), at).expect("add");
                next_line += 1;
            }
            6 if !view.lines.is_empty() => {
                let id = view.lines[dice.roll(view.lines.len())].id.clone();
                LabourSheet::remove_line(&mut phones[p], &id, at).expect("remove");
            }
            7 if !view.lines.is_empty() => {
                let mut l = view.lines[dice.roll(view.lines.len())].clone();
                l.workers = vec![Worker { name: format!("工人 {step}"), id_number: None, worker_id: None }];
                LabourSheet::put_line(&mut phones[p], Currency::Cny, &l, at).expect("workers");
            }
            8 => {
                let mut s = view.clone();
                s.note = Some(format!("note {step}"));
                s.write(&mut phones[p]).expect("note");
            }
            _ => {}
        }
        // Phones sync with the server now and then, so their edits meet and conflict.
        if dice.roll(3) == 0 {
            // Mostly as the server does it; now and then without the cursor (a whole read).
            if dice.roll(5) != 0 {
                server.update_diff_cursor();
            }
            server.merge(&mut phones[p]).expect("merge into server");
            reading = check(&mut server, Some(reading));
            if reading.lines_read() < LabourSheet::read(&server).expect("read").lines.len() {
                partial += 1;
            } else {
                whole += 1;
            }
            phones[p].merge(&mut server).expect("merge into phone");
        }
    }
    // The run exercised both paths: lines kept from the last reading, and whole reads.
    assert!(partial > 50, "only {partial} rereads kept lines");
    assert!(whole > 5, "only {whole} rereads read everything");
}

#[test]
fn a_one_line_edit_rereads_one_line_and_an_added_line_only_itself() {
    let mut phone = AutoCommit::new();
    sheet(20).write(&mut phone).expect("write");
    let mut server = phone.fork();
    let first = check(&mut server, None);
    assert_eq!(first.lines_read(), 20);

    let mut l = line(7);
    l.headcount = 9;
    LabourSheet::put_line(&mut phone, Currency::Cny, &l, 1).expect("edit");
    server.update_diff_cursor();
    server.merge(&mut phone).expect("merge");
    let edited = check(&mut server, Some(first));
    assert_eq!(edited.lines_read(), 1);

    LabourSheet::put_line(&mut phone, Currency::Cny, &line(20), 2).expect("add");
    server.update_diff_cursor();
    server.merge(&mut phone).expect("merge");
    let added = check(&mut server, Some(edited));
    assert_eq!(added.lines_read(), 1);

    LabourSheet::remove_line(&mut phone, "l3", 3).expect("remove");
    server.update_diff_cursor();
    server.merge(&mut phone).expect("merge");
    let removed = check(&mut server, Some(added));
    assert_eq!(removed.lines_read(), 1);
    assert_eq!(LabourSheet::read(&server).expect("read").lines.len(), 20);

    // Nothing new: nothing read.
    server.update_diff_cursor();
    let same = check(&mut server, Some(removed));
    assert_eq!(same.lines_read(), 0);

    // A worker list is an object of its own inside a line: that line is read again.
    let mut w = line(5);
    w.workers = vec![Worker { name: "王强".into(), id_number: None, worker_id: None }];
    LabourSheet::put_line(&mut phone, Currency::Cny, &w, 4).expect("workers");
    server.update_diff_cursor();
    server.merge(&mut phone).expect("merge");
    let workers = check(&mut server, Some(same));
    assert_eq!(workers.lines_read(), 1);

    // Without the diff cursor set before the merge, the whole sheet is read (every object under
    // `lines`, the removed l3 too).
    let mut again = line(5);
    again.headcount = 2;
    LabourSheet::put_line(&mut phone, Currency::Cny, &again, 5).expect("edit");
    server.merge(&mut phone).expect("merge");
    let whole = check(&mut server, Some(workers));
    assert_eq!(whole.lines_read(), 21);
}

#[test]
fn a_change_that_breaks_a_line_or_the_lines_map_fails_the_reread_as_it_fails_the_read() {
    let mut phone = AutoCommit::new();
    sheet(5).write(&mut phone).expect("write");
    let mut server = phone.fork();
    let reading = check(&mut server, None);
    let lines = match phone.get(ROOT, "lines").expect("get") {
        Some((_, id)) => id,
        None => panic!("no lines map"),
    };

    let l2 = match phone.get(&lines, "l2").expect("get") {
        Some((_, id)) => id,
        None => panic!("no line l2"),
    };
    type Breakage<'a> = &'a dyn Fn(&mut AutoCommit);
    let breakages: [(&str, Breakage); 3] = [
        ("a line's effort unit no longer one of the two", &|p| drop(p.put(&l2, "effort_unit", "fortnight"))),
        ("something other than a line under `lines`", &|p| drop(p.put(&lines, "l9", 42))),
        ("a root field (the root is always read)", &|p| drop(p.put(ROOT, "work_date", "not a date"))),
    ];
    for (what, breakage) in breakages {
        let mut broken = server.fork();
        broken.update_diff_cursor();
        let mut p = phone.fork();
        breakage(&mut p);
        broken.merge(&mut p).expect("merge");
        assert!(Record::read(&broken).is_err(), "{what}: read");
        assert!(Record::reread(&mut broken, Some(reading.clone())).is_err(), "{what}: reread");
    }
}
