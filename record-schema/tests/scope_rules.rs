//! The sync-scope rule (`record_schema::scope`, docs/sync-scopes.md) over random populations of
//! records, people, devices, sites and dates: what a device must hold, what it must not, how the
//! verdict moves with the window, the day and the sites, and what the phone may evict.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use record_schema::RecordKind;
use record_schema::scope::{
    self, DocFacts, HeldDoc, Holder, OpenReach, RecordFacts, ScopeParams, Sites, Verdict, Why, decide, eviction_plan,
};

const PEOPLE: [&str; 4] = ["wang", "li", "zhao", "chen"];
const DEVICES: [&str; 2] = ["dev-1", "wang"]; // a device id equal to a person id must not make it theirs
const SITES: [&str; 4] = ["north", "south", "east", "depot"];
const RECORD_KINDS: [RecordKind; 6] = [
    RecordKind::LabourSheet,
    RecordKind::Expense,
    RecordKind::ProgressReport,
    RecordKind::WageAdvance,
    RecordKind::Observation,
    RecordKind::DayLog,
];

fn today0() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
}

/// Days before `today0`: negative is later (a sheet made out for tomorrow).
fn day(back: i64) -> NaiveDate {
    let t = today0();
    if back >= 0 {
        t.checked_sub_days(Days::new(back.unsigned_abs())).unwrap_or(t)
    } else {
        t.checked_add_days(Days::new(back.unsigned_abs())).unwrap_or(t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Who {
    Person(usize),
    Device(usize),
}

impl Who {
    fn holder(self) -> Holder<'static> {
        match self {
            Who::Person(i) => Holder::Person(PEOPLE[i]),
            Who::Device(i) => Holder::Device(DEVICES[i]),
        }
    }
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![3 => (0..PEOPLE.len()).prop_map(Who::Person), 1 => (0..DEVICES.len()).prop_map(Who::Device)]
}

/// One record, owned, so populations can be generated and borrowed as `RecordFacts`.
#[derive(Debug, Clone)]
struct Rec {
    other_project: bool,
    kind: RecordKind,
    site: usize,
    back: i64,
    owner: Option<Who>,
    open: bool,
    assignee: Option<usize>,
}

impl Rec {
    fn facts(&self) -> RecordFacts<'static> {
        RecordFacts {
            project: if self.other_project { "Q" } else { "P" },
            kind: self.kind,
            site: SITES[self.site],
            date: day(self.back),
            owner: self.owner.map(Who::holder),
            open: self.open,
            assignee: self.assignee.map(|i| PEOPLE[i]),
        }
    }
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        prop::bool::weighted(0.05),
        prop::sample::select(RECORD_KINDS.to_vec()),
        0..SITES.len(),
        -2i64..120,
        prop::option::weighted(0.9, who()),
        any::<bool>(),
        prop::option::weighted(0.3, 0..PEOPLE.len()),
    )
        .prop_map(|(other_project, kind, site, back, owner, open, assignee)| Rec {
            other_project,
            kind,
            site,
            back,
            owner,
            open,
            assignee,
        })
}

/// A device's parameters, owned (the site list is borrowed by `ScopeParams`).
#[derive(Debug, Clone)]
struct Dev {
    holder: Who,
    sites: Option<Vec<String>>,
    today_back: i64,
    window_days: u32,
    own_days: Option<u32>,
    reach: OpenReach,
    full: bool,
}

impl Dev {
    fn params(&self) -> ScopeParams<'_> {
        ScopeParams {
            project: "P",
            holder: self.holder.holder(),
            sites: self.sites.as_deref().map_or(Sites::All, Sites::Only),
            today: day(self.today_back),
            window_days: self.window_days,
            own_days: self.own_days,
            open_reach: self.reach,
            full: self.full,
        }
    }
}

fn site_set() -> impl Strategy<Value = Option<Vec<String>>> {
    prop::option::weighted(0.8, prop::sample::subsequence(SITES.to_vec(), 0..=SITES.len()))
        .prop_map(|s| s.map(|v| v.into_iter().map(String::from).collect()))
}

fn dev() -> impl Strategy<Value = Dev> {
    (
        who(),
        site_set(),
        -3i64..10,
        0u32..40,
        prop::option::weighted(0.4, 0u32..90),
        prop_oneof![3 => Just(OpenReach::Own), 1 => Just(OpenReach::Sites)],
        prop::bool::weighted(0.05),
    )
        .prop_map(|(holder, sites, today_back, window_days, own_days, reach, full)| Dev {
            holder,
            sites,
            today_back,
            window_days,
            own_days,
            reach,
            full,
        })
}

fn population() -> impl Strategy<Value = Vec<Rec>> {
    prop::collection::vec(rec(), 0..80)
}

fn verdict(r: &Rec, p: &ScopeParams<'_>) -> Verdict {
    decide(&DocFacts::Record(r.facts()), p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// An open record of the device's holder is held whatever its site or age.
    #[test]
    fn an_open_record_of_the_holder_is_always_in(recs in population(), d in dev()) {
        let p = d.params();
        for r in &recs {
            let mut mine = r.clone();
            mine.owner = Some(d.holder);
            mine.open = true;
            mine.other_project = false;
            prop_assert!(verdict(&mine, &p).in_scope(), "{mine:?} {p:?}");
        }
    }

    /// Nothing else: not the holder's, not open, not assigned, not in one of their sites' window
    /// (and not a full-scope device) is out.
    #[test]
    fn a_record_nobody_needs_is_out(recs in population(), d in dev()) {
        let p = ScopeParams { full: false, ..d.params() };
        for r in &recs {
            let f = r.facts();
            let theirs = f.owner == Some(p.holder);
            let in_window = p.sites.contains(f.site) && scope::within(f.date, p.today, p.window_days);
            if !theirs && !f.open && !in_window {
                prop_assert!(!verdict(r, &p).in_scope(), "{r:?} {p:?} {:?}", verdict(r, &p));
            }
            if r.other_project {
                prop_assert_eq!(verdict(r, &p).why, Why::OtherProject);
            }
        }
    }

    /// Whatever is in is in for one of the rule's reasons, and those reasons' facts hold.
    #[test]
    fn every_in_verdict_is_explained(recs in population(), d in dev()) {
        let p = d.params();
        for r in &recs {
            let f = r.facts();
            let why = verdict(r, &p).why;
            let ok = match why {
                Why::FullScope => p.full,
                Why::Own => f.owner == Some(p.holder),
                Why::OpenOwn => f.open && f.owner == Some(p.holder),
                Why::OpenOfSite => f.open && p.open_reach == OpenReach::Sites && p.sites.contains(f.site),
                Why::Assigned => f.open && f.kind == RecordKind::Observation && f.assignee.is_some()
                    && f.assignee == p.holder.person(),
                Why::SiteWindow => p.sites.contains(f.site) && scope::within(f.date, p.today, p.window_days),
                Why::Reference | Why::NoRecord | Why::NotARecord => false,
                Why::OtherProject | Why::OtherSite | Why::BeforeWindow => true,
            };
            prop_assert!(ok, "{why:?} for {r:?} {p:?}");
        }
    }

    /// A companion (`approval:<id>`, `follow_up:<id>`) is held exactly when its record is.
    #[test]
    fn a_companion_travels_with_its_record(recs in population(), d in dev()) {
        let p = d.params();
        for r in &recs {
            let of_record = verdict(r, &p);
            let of_companion = decide(&DocFacts::Companion { record: Some(r.facts()) }, &p);
            prop_assert_eq!(of_companion.why, of_record.why);
            prop_assert!(of_companion.companion);
        }
        let orphan = decide(&DocFacts::Companion { record: None }, &p);
        let reference = decide(&DocFacts::Reference { project: "P" }, &p);
        prop_assert!(!orphan.in_scope());
        prop_assert!(reference.in_scope());
    }

    /// A larger window (of a site's days, or of the holder's own) never drops a document.
    #[test]
    fn the_rule_is_monotone_in_the_window(recs in population(), d in dev(), more in 0u32..30, more_own in 0u32..60) {
        let small = d.params();
        let large = ScopeParams {
            window_days: small.window_days + more,
            own_days: small.own_days.map(|o| o + more_own),
            ..small
        };
        let all_own = ScopeParams { own_days: None, ..large };
        for r in &recs {
            if verdict(r, &small).in_scope() {
                prop_assert!(verdict(r, &large).in_scope(), "{r:?} dropped by {large:?}");
                prop_assert!(verdict(r, &all_own).in_scope());
            }
        }
    }

    /// The day turning only ever drops documents: nothing enters a device's scope by time alone,
    /// so the server's per-device cursor never has to look back when the date changes.
    #[test]
    fn time_only_removes(recs in population(), d in dev(), later in 0u64..60) {
        let now = d.params();
        let then = ScopeParams { today: now.today.checked_add_days(Days::new(later)).unwrap_or(now.today), ..now };
        for r in &recs {
            if verdict(r, &then).in_scope() {
                prop_assert!(verdict(r, &now).in_scope(), "{r:?} entered by time alone");
            }
        }
    }

    /// Moving a person's sites changes only documents held for a site: the site window (and, for
    /// a supervisor, the open records of their sites). Own, assigned and reference stay put.
    #[test]
    fn moving_sites_changes_only_site_documents(recs in population(), d in dev(), other in site_set()) {
        let before = d.params();
        let after = ScopeParams { sites: other.as_deref().map_or(Sites::All, Sites::Only), ..before };
        let by_site = |w: Why| matches!(w, Why::SiteWindow | Why::OpenOfSite);
        for r in &recs {
            let (a, b) = (verdict(r, &before), verdict(r, &after));
            if a.in_scope() != b.in_scope() {
                let held = if a.in_scope() { a.why } else { b.why };
                prop_assert!(by_site(held), "{r:?} moved with the sites, held for {held:?}");
            } else if a.in_scope() && a.why != b.why {
                prop_assert!(by_site(a.why) || by_site(b.why), "{r:?}: {:?} -> {:?}", a.why, b.why);
            }
        }
    }
}

/// A held document of the simulated phone: record or companion, with its state.
#[derive(Debug, Clone)]
struct HeldState {
    rec: usize,
    companion: Option<&'static str>,
    synced: bool,
    pending_upload: bool,
    settled: bool,
    pinned: bool,
}

fn held_states(n: usize) -> impl Strategy<Value = Vec<HeldState>> {
    prop::collection::vec(
        (
            0..n.max(1),
            prop::option::weighted(0.4, prop::sample::select(vec!["approval:", "follow_up:"])),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.1),
        )
            .prop_map(|(rec, companion, synced, pending_upload, settled, pinned)| HeldState {
                rec,
                companion,
                synced,
                pending_upload,
                settled,
                pinned,
            }),
        0..120,
    )
}

fn ids(recs: &[Rec]) -> Vec<String> {
    (0..recs.len()).map(|i| format!("0193a5b2-{i:04}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The eviction plan drops only out-of-scope, unpinned, synced, settled documents with no
    /// photo waiting; a record and its companions go together; and everything else may go does.
    #[test]
    fn eviction_never_drops_unsynced_work(recs in population(), d in dev(), held in held_states(80)) {
        prop_assume!(!recs.is_empty());
        let p = d.params();
        let rec_ids = ids(&recs);
        // One entry per document id (a phone holds each once).
        let mut by_id: BTreeMap<String, HeldState> = BTreeMap::new();
        for h in held {
            let r = h.rec % recs.len();
            let id = match h.companion {
                Some(prefix) => format!("{prefix}{}", rec_ids[r]),
                None => rec_ids[r].clone(),
            };
            by_id.entry(id).or_insert(HeldState { rec: r, ..h });
        }
        let docs: Vec<HeldDoc<'_>> = by_id
            .iter()
            .map(|(id, h)| {
                let facts = recs[h.rec].facts();
                let verdict = match h.companion {
                    Some(_) => decide(&DocFacts::Companion { record: Some(facts) }, &p),
                    None => decide(&DocFacts::Record(facts), &p),
                };
                HeldDoc {
                    id,
                    verdict,
                    synced: h.synced,
                    pending_upload: h.pending_upload,
                    settled: h.settled,
                    pinned: h.pinned,
                }
            })
            .collect();
        let plan: BTreeSet<&str> = eviction_plan(&docs).into_iter().collect();
        for doc in &docs {
            let free = scope::keep_reason(doc).is_none();
            if plan.contains(doc.id) {
                prop_assert!(free, "{doc:?} evicted");
                prop_assert!(doc.synced && !doc.pending_upload && doc.settled && !doc.pinned);
                prop_assert!(!doc.verdict.in_scope());
            }
            let group = scope::group_of(doc.id);
            let group_free = docs.iter().filter(|o| scope::group_of(o.id) == group).all(|o| scope::keep_reason(o).is_none());
            prop_assert_eq!(plan.contains(doc.id), group_free, "{:?}: group {} free {}", doc, group, group_free);
        }
    }

    /// A simulated device syncing day after day: the server offers what is in scope and not held;
    /// the phone, once everything is synced and settled, drops what the plan says. After every
    /// sync the phone holds exactly its scope (plus what it may not drop yet), and a document that
    /// left comes back only when something about it changes.
    #[test]
    fn a_synced_phone_holds_exactly_its_scope(recs in population(), d in dev(), days in 1u64..30) {
        let rec_ids = ids(&recs);
        let mut held: BTreeSet<usize> = BTreeSet::new();
        let mut downloads = vec![0u32; recs.len()];
        for step in 0..days {
            let base = d.params();
            let p = ScopeParams { today: base.today.checked_add_days(Days::new(step)).unwrap_or(base.today), ..base };
            // Server: offer every in-scope record the device does not hold (a first sync lists all; later
            // syncs would list only changes, and time alone never brings one in: see time_only_removes).
            for (i, r) in recs.iter().enumerate() {
                if verdict(r, &p).in_scope() && held.insert(i) {
                    downloads[i] += 1;
                }
            }
            // Phone: everything synced and settled, nothing pinned or waiting: drop what may go.
            let docs: Vec<HeldDoc<'_>> = held
                .iter()
                .map(|&i| HeldDoc {
                    id: &rec_ids[i],
                    verdict: verdict(&recs[i], &p),
                    synced: true,
                    pending_upload: false,
                    settled: true,
                    pinned: false,
                })
                .collect();
            let gone: BTreeSet<String> = eviction_plan(&docs).into_iter().map(String::from).collect();
            held.retain(|&i| !gone.contains(&rec_ids[i]));
            let scope: BTreeSet<usize> = (0..recs.len()).filter(|&i| verdict(&recs[i], &p).in_scope()).collect();
            prop_assert_eq!(&held, &scope, "day {}", step);
        }
        prop_assert!(downloads.iter().all(|&n| n <= 1), "a record downloaded twice: {downloads:?}");
    }
}
