//! What the demo company and the benchmark seed (`fieldledger-seed`) share: a deterministic random
//! generator, and storing a record as its foreman's phone would (a document with a change message
//! naming author and phone, through `docstore`, with the sync-scope facts a sync write sets:
//! `scope_facts`) before taking it to its planned state through the real decision flow
//! (`ledger::store::decide`) or further edits.

use automerge::AutoCommit;
use record_schema::{DecisionStatus, Progress, Record};
use rust_decimal::Decimal;

use crate::cache::DocCache;
use crate::db::{Db, TokenGrant};
use crate::ledger::store::{self, DecideRequest};
use crate::scope_facts::RecordFacts;

/// xorshift: deterministic, so two runs seed the same company.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// A made-up but well-formed 18-character resident ID number (GB 11643: region, birth date,
/// sequence, check digit), for seeded and demo rosters. Region codes are real prefectures'.
pub fn resident_id(rng: &mut Rng) -> String {
    const REGIONS: [&str; 6] = ["320102", "320106", "341122", "410105", "510107", "420111"];
    let region = *rng.pick(&REGIONS);
    let (y, m, d) = (rng.range(1965, 2003), rng.range(1, 12), rng.range(1, 28));
    let body = format!("{region}{y:04}{m:02}{d:02}{:03}", rng.range(1, 999));
    format!("{body}{}", gb11643_check(&body))
}

/// The check character of the first 17 digits of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2).
pub fn gb11643_check(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

/// A made-up 19-digit debit card number with a valid Luhn digit (UnionPay's 62 prefix).
pub fn bank_card(rng: &mut Rng) -> String {
    let body: String =
        std::iter::once("621700".to_string()).chain((0..12).map(|_| rng.range(0, 9).to_string())).collect();
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap_or(0);
            if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A Chinese name of two or three characters.
pub fn person_name(rng: &mut Rng) -> String {
    const SURNAMES: [&str; 16] =
        ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"];
    const GIVEN: [&str; 24] = [
        "伟", "强", "军", "磊", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "斌", "建", "国",
        "志", "德", "永", "春", "海", "林",
    ];
    let mut name = rng.pick(&SURNAMES).to_string();
    name.push_str(rng.pick::<&str>(&GIVEN));
    if rng.range(0, 2) > 0 {
        name.push_str(rng.pick::<&str>(&GIVEN));
    }
    name
}

/// Where a stored record is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Never decided.
    Pending,
    Approved,
    /// Approved, then the foreman changed a value.
    Changed,
    /// Rejected with a reason.
    Rejected,
    /// Two phones changed the same value concurrently.
    Conflict,
    /// The foreman voided it.
    Voided,
}

impl State {
    /// The version left standing posts to the ledgers.
    pub fn posts(self) -> bool {
        matches!(self, State::Approved | State::Changed)
    }
}

/// The record with one value changed by `delta` (a crew line's headcount, an amount, a percent).
pub fn edited(record: &Record, delta: i64) -> Record {
    let mut r = record.clone();
    match &mut r {
        Record::LabourSheet(s) => {
            if let Some(l) = s.lines.first_mut() {
                l.headcount = (l.headcount + delta).max(1);
            }
        }
        Record::Expense(e) => e.amount += Decimal::from(delta * 100),
        Record::ProgressReport(p) => {
            if let Progress::Percent(v) = &mut p.progress {
                *v = (*v + Decimal::from(delta)).clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
            }
        }
        Record::WageAdvance(a) => a.amount = (a.amount + Decimal::from(delta * 100)).max(Decimal::ONE),
        Record::Observation(o) => o.title = format!("{} ({delta:+})", o.title),
        Record::DayLog(l) => l.notes = Some(format!("{} ({delta:+})", l.notes.as_deref().unwrap_or_default())),
    }
    r
}

/// What a change to this record is called in its message.
pub fn summary_of(record: &Record, what: &str) -> String {
    let kind = match record {
        Record::LabourSheet(_) => "labour sheet",
        Record::Expense(_) => "expense",
        Record::ProgressReport(_) => "progress report",
        Record::WageAdvance(_) => "wage advance",
        Record::Observation(_) => "observation",
        Record::DayLog(_) => "day log",
    };
    format!("{what} {kind}")
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A record to store and the state to take it to.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Its header's author is the foreman who recorded it.
    pub record: Record,
    pub state: State,
    /// When the phone recorded it (later edits come up to 3 hours after, never in the future).
    pub at_ms: i64,
    /// The foreman's phone, named in each change message.
    pub device: String,
    /// `Conflict`: the second phone's author and device, editing the same value concurrently.
    pub other: (String, String),
    /// `Rejected`: the reason the foreman reads.
    pub reason: String,
    /// The device row (`devices.id`) whose person, else itself, owns the record (`scope_owner`),
    /// as a sync's first insert sets it; `None` when the phone is no device row (the benchmark
    /// seed's): owned by nobody, as records older than sync scopes.
    pub owner: Option<String>,
}

impl Planned {
    /// When the record last changed on a phone: when recorded, or (changed, conflicting, voided)
    /// its later edit's time.
    pub fn last_change_ms(&self) -> i64 {
        match self.state {
            State::Pending | State::Approved | State::Rejected => self.at_ms,
            State::Changed | State::Conflict | State::Voided => later(self.at_ms),
        }
    }
}

/// A later edit: 3 hours after `at_ms`, never in the future.
fn later(at_ms: i64) -> i64 {
    (at_ms + 3 * 3_600_000).min(record_schema::now_ms())
}

/// Stores one record as its foreman's phone would (a `docstore` insert carrying the record's scope
/// facts, `RecordFacts::after_sync`, as the sync write's), then takes it to its state: approved or
/// rejected through `ledger::store::decide` by `who` on the exact heads stored (which sets
/// `scope_open` and gives the approval document its record's facts), changed after approval, left
/// with two phones' concurrent values, or voided (each edit saved with its facts, as a sync's).
pub async fn store_planned(db: &Db, cache: &DocCache, who: &TokenGrant, p: Planned) -> Result<(), BoxError> {
    let Planned { record, state, at_ms, device, other, reason, owner } = p;
    let h = record.header().clone();
    let later = later(at_ms);
    let mut doc = AutoCommit::new();
    record.write(&mut doc)?;
    doc.commit_with(record_schema::change_note::options(&summary_of(&record, "create"), &h.author, &device, at_ms));
    let heads = store::heads_hex(&doc.get_heads());
    let stored = insert_with_facts(db, &record, doc, owner.as_deref()).await?;
    cache.put(stored);
    let decide = |status, comment: &str| DecideRequest {
        record_id: h.id.clone(),
        status,
        heads: heads.clone(),
        comment: comment.into(),
        request_id: None,
    };
    match state {
        State::Pending => return Ok(()),
        State::Approved | State::Changed => {
            store::decide(db, cache, who, decide(DecisionStatus::Approved, "")).await?;
            if state == State::Approved {
                return Ok(());
            }
        }
        State::Rejected => {
            store::decide(db, cache, who, decide(DecisionStatus::Rejected, &reason)).await?;
            return Ok(());
        }
        State::Conflict | State::Voided => {}
    }
    let Some(mut stored) = crate::docstore::load_hot(db, cache, &h.id).await? else {
        return Err(format!("record {} vanished", h.id).into());
    };
    let note = |what: &str, author: &str, device: &str| {
        record_schema::change_note::options(&summary_of(&record, what), author, device, later)
    };
    match state {
        State::Changed => {
            edited(&record, 2).write(&mut stored.doc)?;
            stored.doc.commit_with(note("update", &h.author, &device));
        }
        State::Conflict => {
            // The second phone edits the same value while the first is offline.
            let mut second = stored.doc.fork();
            edited(&record, 1).write(&mut stored.doc)?;
            stored.doc.commit_with(note("update", &h.author, &device));
            edited(&record, 3).write(&mut second)?;
            second.commit_with(note("update", &other.0, &other.1));
            stored.doc.merge(&mut second)?;
        }
        State::Voided => {
            let mut r = record.clone();
            let header = r.header_mut();
            header.voided =
                Some(record_schema::record::Voided {
                    reason: "重复录入".into(), by: h.author.clone(), at_ms: later
                });
            r.write(&mut stored.doc)?;
            stored.doc.commit_with(note("void", &h.author, &device));
        }
        State::Pending | State::Approved | State::Rejected => {}
    }
    let last = Record::read(&stored.doc)?;
    let facts = RecordFacts::after_sync(&last, &stored.doc, owner.as_deref());
    crate::docstore::save_with_facts(db, &mut stored, Some(facts)).await?;
    cache.put(stored);
    Ok(())
}

/// Inserts `record`'s new document `doc` with its scope facts, as a sync's first write of a record
/// (`docstore::insert_with_facts`); `owner`: the device whose person (else itself) owns it.
pub async fn insert_with_facts(
    db: &Db,
    record: &Record,
    doc: AutoCommit,
    owner: Option<&str>,
) -> Result<crate::docstore::StoredDoc, BoxError> {
    let h = record.header();
    let facts = RecordFacts::after_sync(record, &doc, owner);
    Ok(crate::docstore::insert_with_facts(db, &h.id, &h.project_id, record.kind().as_str(), doc, Some(facts)).await?)
}

#[cfg(test)]
mod people_tests {
    use super::*;

    #[test]
    fn made_up_numbers_are_well_formed() {
        // A published example of the check digit: 11010519491231002X.
        assert_eq!(gb11643_check("11010519491231002"), 'X');
        let mut rng = Rng(7);
        for _ in 0..100 {
            let id = resident_id(&mut rng);
            assert_eq!(id.len(), 18);
            assert_eq!(id.chars().last(), Some(gb11643_check(&id[..17])));
            let card = bank_card(&mut rng);
            assert_eq!(card.len(), 19);
            // Luhn over the whole number: the sum of the doubled-every-second digits ends in 0.
            let sum: u32 = card
                .chars()
                .rev()
                .enumerate()
                .map(|(i, c)| {
                    let d = c.to_digit(10).unwrap_or(0);
                    if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
                })
                .sum();
            assert_eq!(sum % 10, 0, "{card}");
        }
    }
}
