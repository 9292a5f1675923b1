//! A simulated phone: plain Automerge documents and sync states, driven by the real client's rules
//! (`record_schema::sync_client`, as mobile-core/src/store/sync.rs): a document whose heads equal
//! the heads both sides last shared stays quiet, replies are applied until a round where neither
//! side sends anything, and between syncs only `State::encode()` is kept (what the phone persists).

use std::collections::{BTreeMap, HashMap};

use automerge::AutoCommit;
use automerge::sync::State;
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use record_schema::sync_client::{Incoming, Next, SyncDriver};
use record_schema::wire::DocError;
use record_schema::{CrewLine, Currency, Effort, LabourSheet};
use rust_decimal::Decimal;

const TRADES: [&str; 6] = ["木工", "钢筋工", "混凝土工", "杂工", "普工", "电工"];

pub struct Phone {
    pub index: usize,
    pub token: String,
    pub project: String,
    /// The id of this phone's own labour sheet for the day.
    pub sheet_id: String,
    pub docs: BTreeMap<String, AutoCommit>,
    /// Sync states between syncs (none: the first sync asks the server to forget what it believed
    /// this device held).
    pub states: HashMap<String, State>,
    /// `--scoped`: the scope fingerprint sent with every request (empty until the server sent a
    /// `scope`); None: the phone does not apply scopes and is served its whole project.
    pub scope_fp: Option<Vec<u8>>,
    lines: usize,
    edits: u64,
    /// The own sheet as last edited here (only this phone edits it), so an edit need not read the
    /// whole document back: the generator's CPU shares the machine with the server it measures.
    own: Option<LabourSheet>,
}

/// The day's labour sheet of phone `index`: `lines` crew lines.
pub fn sheet(id: &str, project: &str, index: usize, lines: usize) -> LabourSheet {
    let line = |i: usize| CrewLine {
        id: format!("l{i}"),
        position: i as i64,
        trade: TRADES[i % TRADES.len()].into(),
        crew: Some(format!("班组 {}", i + 1)),
        headcount: 4 + (i as i64 % 5),
        effort: Effort::Hours(Decimal::from(8)),
        rate: Decimal::new(4750, 2),
        rate_unit: record_schema::TimeUnit::Hour,
        hours_per_day: Decimal::from(8),
        cost_code: "03-2100".into(),
        activity: None,
        note: None,
        workers: vec![],
    };
    LabourSheet {
        header: RecordHeader {
            id: id.into(),
            project_id: project.into(),
            site_id: "S1".into(),
            time_zone: "Asia/Shanghai".into(),
            author: format!("foreman {index}"),
            created_at_ms: 1_763_600_000_000,
            voided: None,
        },
        work_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
        currency: Currency::Cny,
        lines: (0..lines).map(line).collect(),
        note: None,
    }
}

impl Phone {
    pub fn new(index: usize, token: String, project: String, run: &str, lines: usize) -> Phone {
        let sheet_id = format!("sheet-{run}-{index:05}");
        let mut doc = AutoCommit::new();
        let mut own = sheet(&sheet_id, &project, index, lines);
        // Today's sheet, as a foreman's: in a scoped peer's window (a fixed past day would not be).
        own.work_date = chrono::Utc::now().date_naive();
        own.write(&mut doc).expect("a valid labour sheet");
        let mut docs = BTreeMap::new();
        docs.insert(sheet_id.clone(), doc);
        Phone {
            index,
            token,
            project,
            sheet_id,
            docs,
            states: HashMap::new(),
            scope_fp: None,
            lines: lines.max(1),
            edits: 0,
            own: Some(own),
        }
    }

    /// A phone with nothing, for reading back what the server holds (sends `reset`: it has no state).
    pub fn empty(index: usize, token: String, project: String, sheet_id: String) -> Phone {
        Phone {
            index,
            token,
            project,
            sheet_id,
            docs: BTreeMap::new(),
            states: HashMap::new(),
            scope_fp: None,
            lines: 1,
            edits: 0,
            own: None,
        }
    }

    /// The phone applies sync scopes (`--scoped`): it sends `scope_fp`, empty until the server
    /// sends its scope.
    pub fn scoped(mut self, on: bool) -> Phone {
        self.scope_fp = on.then(Vec::new);
        self
    }

    /// A typical small edit: one crew line's headcount (or, every third edit, its hours) changes.
    /// Returns the line id and the new headcount.
    pub fn edit(&mut self, at_ms: i64) -> (String, i64) {
        self.edits += 1;
        let doc = self.docs.get_mut(&self.sheet_id).expect("own sheet");
        let s = match &mut self.own {
            Some(s) => s,
            None => self.own.insert(LabourSheet::read(doc).expect("own sheet reads")),
        };
        let i = (self.edits as usize) % self.lines.min(s.lines.len()).max(1);
        let line = &mut s.lines[i];
        if self.edits.is_multiple_of(3) {
            let h = 4 + (self.edits % 8) as i64;
            line.effort = Effort::Hours(Decimal::from(h));
        } else {
            line.headcount = 1 + ((line.headcount + 1) % 30);
        }
        LabourSheet::put_line(doc, Currency::Cny, line, at_ms).expect("edit");
        (line.id.clone(), line.headcount)
    }

    pub fn own_sheet(&self) -> Option<LabourSheet> {
        self.docs.get(&self.sheet_id).and_then(|d| LabourSheet::read(d).ok())
    }

    /// Starts a sync: the driver takes the states kept since the last one (moved, not copied).
    /// `--scoped`: the driver sends `scope_fp` (and never `dropped` or `fetch`: the loadgen evicts
    /// nothing and fetches nothing).
    pub fn start_sync(&mut self) -> SyncDriver {
        let sync = SyncDriver::new(std::mem::take(&mut self.states));
        match &self.scope_fp {
            Some(fp) => sync.scoped(fp.clone(), Vec::new(), Vec::new()),
            None => sync,
        }
    }

    /// The next request: a message for every document with something to say, and the manifest
    /// digest (the whole manifest when the server asked for it).
    pub fn request(&mut self, sync: &mut SyncDriver) -> Next {
        for id in sync.candidates(self.docs.keys().cloned()) {
            let doc = self.docs.get_mut(&id);
            sync.offer(id, doc);
        }
        let docs = &self.docs;
        sync.request(|id| docs.contains_key(id))
    }

    /// Applies the server's messages (refused documents start afresh). Returns problems the phone saw.
    pub fn apply(&mut self, sync: &mut SyncDriver, incoming: Incoming) -> Vec<DocError> {
        let mut errors = incoming.errors;
        for m in incoming.news {
            let doc = self.docs.entry(m.id.clone()).or_default();
            if let Err(e) = sync.apply(doc, &m) {
                errors.push(e);
            }
        }
        // An empty document the server offered but never filled is not held.
        self.docs.retain(|_, d| !d.get_heads().is_empty());
        errors
    }

    /// Ends a sync, keeping what the phone keeps between syncs: only what `State::encode()` persists.
    pub fn finish_sync(&mut self, sync: SyncDriver) {
        self.states = sync.into_states();
        let docs = &self.docs;
        self.states.retain(|id, _| docs.contains_key(id));
        for state in self.states.values_mut() {
            *state = State::decode(&state.encode()).unwrap_or_default();
        }
    }
}
