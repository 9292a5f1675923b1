//! A simulated phone: plain Automerge documents and sync states, following the real client's loop
//! (mobile-core/src/store/sync.rs): a document whose heads equal the heads both sides last shared
//! stays quiet, replies are applied until a round where neither side sends anything, and between
//! syncs only `State::encode()` is kept (what the phone persists).

use std::collections::BTreeMap;

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use chrono::NaiveDate;
use record_schema::record::RecordHeader;
use record_schema::wire::{self, DocError, DocMessage, ManifestEntry, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use record_schema::{CrewLine, Currency, Effort, LabourSheet};
use rust_decimal::Decimal;

/// Rounds before a sync counts as not settling (the phone's own limit).
pub const MAX_ROUNDS: u32 = 30;

const TRADES: [&str; 6] = ["木工", "钢筋工", "混凝土工", "杂工", "普工", "电工"];

pub struct Phone {
    pub index: usize,
    pub token: String,
    pub project: String,
    /// The id of this phone's own labour sheet for the day.
    pub sheet_id: String,
    pub docs: BTreeMap<String, AutoCommit>,
    pub states: BTreeMap<String, State>,
    /// The next sync must ask the server to forget what it believed this device held.
    pub reset: bool,
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
        let own = sheet(&sheet_id, &project, index, lines);
        own.write(&mut doc).expect("a valid labour sheet");
        let mut docs = BTreeMap::new();
        docs.insert(sheet_id.clone(), doc);
        Phone {
            index,
            token,
            project,
            sheet_id,
            docs,
            states: BTreeMap::new(),
            reset: false,
            lines: lines.max(1),
            edits: 0,
            own: Some(own),
        }
    }

    /// A phone with nothing, for reading back what the server holds (sends `reset`).
    pub fn empty(index: usize, token: String, project: String, sheet_id: String) -> Phone {
        Phone {
            index,
            token,
            project,
            sheet_id,
            docs: BTreeMap::new(),
            states: BTreeMap::new(),
            reset: true,
            lines: 1,
            edits: 0,
            own: None,
        }
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

    /// What this phone believes it shares with the server (the sync states' shared heads).
    fn manifest(&self) -> Vec<ManifestEntry> {
        self.states
            .iter()
            .filter(|(id, s)| self.docs.contains_key(*id) && !s.shared_heads.is_empty())
            .map(|(id, s)| ManifestEntry { id: id.clone(), heads: wire::heads_digest(&s.shared_heads) })
            .collect()
    }

    /// The next request: a message for every document with something to say, and the manifest
    /// digest (the whole manifest when the server asked for it).
    pub fn request(&mut self, send_entries: bool) -> SyncRequest {
        let mut docs = Vec::new();
        let ids: Vec<String> = self
            .docs
            .keys()
            .chain(self.states.keys())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for id in ids {
            let state = self.states.entry(id.clone()).or_default();
            let message = match self.docs.get_mut(&id) {
                Some(doc) => {
                    if state.their_heads.is_none() && state.shared_heads == doc.get_heads() {
                        continue;
                    }
                    wire::prepare_state(state);
                    doc.sync().generate_sync_message(state)
                }
                None => AutoCommit::new().sync().generate_sync_message(state),
            };
            if let Some(m) = message {
                docs.push(DocMessage { id, msg: m.encode() });
            }
        }
        let entries = self.manifest();
        let manifest = Some(wire::manifest_digest(&entries).to_vec());
        SyncRequest {
            v: PROTOCOL_VERSION,
            reset: std::mem::take(&mut self.reset),
            manifest,
            entries: send_entries.then_some(entries),
            docs,
        }
    }

    /// Applies the server's messages; refused documents start afresh. Returns problems the phone saw.
    pub fn apply(&mut self, resp: SyncResponse) -> Vec<DocError> {
        let mut errors = Vec::new();
        for e in resp.errors {
            self.states.remove(&e.id);
            errors.push(e);
        }
        for m in resp.docs {
            let applied = Message::decode(&m.msg).map_err(|e| e.to_string()).and_then(|msg| {
                let doc = self.docs.entry(m.id.clone()).or_default();
                let state = self.states.entry(m.id.clone()).or_default();
                doc.sync().receive_sync_message(state, msg).map_err(|e| e.to_string())
            });
            match applied {
                Ok(()) => {
                    if let Some(state) = self.states.get_mut(&m.id)
                        && state.their_need.as_ref().is_some_and(|n| !n.is_empty())
                    {
                        state.sent_hashes.clear();
                    }
                }
                Err(message) => {
                    self.states.remove(&m.id);
                    errors.push(DocError { id: m.id, code: "refused_by_phone".into(), message, field: None });
                }
            }
        }
        // An empty document the server offered but never filled is not held.
        self.docs.retain(|_, d| !d.get_heads().is_empty());
        errors
    }

    /// What the phone keeps between syncs: only what `State::encode()` persists.
    pub fn persist_states(&mut self) {
        let docs = &self.docs;
        self.states.retain(|id, _| docs.contains_key(id));
        for state in self.states.values_mut() {
            *state = State::decode(&state.encode()).unwrap_or_default();
        }
    }
}

/// Whether a round ends the sync: nothing sent, nothing received, and no manifest asked for.
pub fn settled(docs_sent: usize, resp: &SyncResponse) -> bool {
    docs_sent == 0 && resp.docs.is_empty() && !resp.need_manifest
}
