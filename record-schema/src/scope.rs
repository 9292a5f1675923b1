//! Sync scopes (issue 25, `docs/sync-scopes.md`): which documents of a project a device holds.
//!
//! One pure rule, evaluated by the server when a document changes (should the device be offered
//! it?) and by the phone after a sync (may it drop a document it holds?), so both sides agree on
//! the same facts. No I/O and no allocation: a verdict costs a few comparisons and a scan of the
//! device's site list. `eviction_plan` is the phone's side: of what it holds, what it may drop.
//!
//! A device holds, of its project:
//! - the reference data (`reference:<project>`);
//! - its holder's own records (the person's, on any of their phones; a device without a person:
//!   the device's), all of them, or those of the last `own_days` days when the project says so;
//! - the holder's open records (unapproved, rejected, in conflict; an observation not closed), at
//!   any age, and for supervisors and admins every open record of their sites (their queue);
//! - the open observations assigned to the person;
//! - every record of their sites dated within the last `window_days` days (today included) or later;
//! - each server-owned companion (`approval:<id>`, `follow_up:<id>`) exactly when its record.

use chrono::{Days, NaiveDate};
use sha2::{Digest, Sha256};

use crate::{FollowUpStatus, RecordKind};

/// Who a document belongs to, or whom a device works for: a person (every phone they pair), or a
/// device that has no person (a token made with `token create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder<'a> {
    Person(&'a str),
    Device(&'a str),
}

impl<'a> Holder<'a> {
    /// Reads the form the server stores (`documents.scope_owner`): `p:<person id>` or `d:<device id>`.
    pub fn parse(key: &'a str) -> Option<Self> {
        if let Some(id) = key.strip_prefix("p:") {
            Some(Holder::Person(id))
        } else {
            key.strip_prefix("d:").map(Holder::Device)
        }
    }

    /// The stored form `parse` reads.
    pub fn key(self) -> String {
        match self {
            Holder::Person(id) => format!("p:{id}"),
            Holder::Device(id) => format!("d:{id}"),
        }
    }

    /// The person, if a person holds the device (observations are assigned to people).
    pub fn person(self) -> Option<&'a str> {
        match self {
            Holder::Person(id) => Some(id),
            Holder::Device(_) => None,
        }
    }
}

/// The sites whose recent records a device holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sites<'a> {
    /// Every site of the project: the person has no site assignment there, or the device no person.
    All,
    /// The person's sites on the project (`membership_sites`); few, so a scan is the fastest lookup.
    Only(&'a [String]),
}

impl Sites<'_> {
    pub fn contains(&self, site: &str) -> bool {
        match self {
            Sites::All => true,
            Sites::Only(sites) => sites.iter().any(|s| s == site),
        }
    }
}

/// Whose open records a device holds at any age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpenReach {
    /// The holder's own (a foreman: what they must fix or wait on).
    Own,
    /// Every record of the holder's sites (a supervisor or admin: their approval queue).
    Sites,
}

/// A device's scope on one project, as the server works it out for each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeParams<'a> {
    pub project: &'a str,
    pub holder: Holder<'a>,
    pub sites: Sites<'a>,
    /// The project's calendar day (its first site's time zone) at the server: the phone evaluates
    /// with the `as_of` the server last sent, never its own clock.
    pub today: NaiveDate,
    /// Days of a site's records held, today included (`projects.scope_window_days`, default 14).
    pub window_days: u32,
    /// Days of the holder's own records held; `None` (the default): all of them.
    pub own_days: Option<u32>,
    pub open_reach: OpenReach,
    /// The whole project (a backup or export device, `devices.scope_full`).
    pub full: bool,
}

/// Default of `window_days` for a project that sets none (issue 25).
pub const DEFAULT_WINDOW_DAYS: u32 = 14;

impl ScopeParams<'_> {
    /// 16 bytes that change whenever anything but `today` does: the server stores it per device
    /// (`devices.scope_fp`) and resets the device's cursor when it differs; the phone sends back the
    /// one it evaluates with, so the server knows when to send the parameters again. Sites are
    /// hashed in any order (a sum of per-site hashes), without sorting.
    pub fn fingerprint(&self) -> [u8; 16] {
        let mut h = Sha256::new();
        let field = |h: &mut Sha256, bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(&mut h, b"scope/1");
        field(&mut h, self.project.as_bytes());
        let (tag, id) = match self.holder {
            Holder::Person(id) => (b"p", id),
            Holder::Device(id) => (b"d", id),
        };
        field(&mut h, tag);
        field(&mut h, id.as_bytes());
        match self.sites {
            Sites::All => field(&mut h, b"all"),
            Sites::Only(sites) => {
                let mut sum: u128 = 0;
                for s in sites {
                    let d = Sha256::digest(s.as_bytes());
                    let mut first = [0u8; 16];
                    first.copy_from_slice(&d[..16]);
                    sum = sum.wrapping_add(u128::from_le_bytes(first));
                }
                field(&mut h, &(sites.len() as u64).to_le_bytes());
                field(&mut h, &sum.to_le_bytes());
            }
        }
        field(&mut h, &self.window_days.to_le_bytes());
        field(&mut h, &self.own_days.map_or(u64::MAX, u64::from).to_le_bytes());
        field(&mut h, &[self.open_reach as u8, u8::from(self.full)]);
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    }
}

/// What the rule needs to know of one record (a foreman's kind). The server keeps these on the
/// document's row (`documents.scope_*`), the phone reads them from the record and its companions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFacts<'a> {
    pub project: &'a str,
    pub kind: RecordKind,
    pub site: &'a str,
    /// The day the record is about (`Record::date`), on its site's calendar.
    pub date: NaiveDate,
    /// Whose device first sent it to the server (`None`: a document older than scopes).
    pub owner: Option<Holder<'a>>,
    /// Not settled (see `is_open`).
    pub open: bool,
    /// An observation's assignee (a person id) in its follow-up.
    pub assignee: Option<&'a str>,
}

/// One document as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocFacts<'a> {
    /// `reference:<project>`.
    Reference {
        project: &'a str,
    },
    Record(RecordFacts<'a>),
    /// `approval:<id>` or `follow_up:<id>`, judged by its record's facts (`None`: the record is
    /// unknown to whoever asks, so neither is held).
    Companion {
        record: Option<RecordFacts<'a>>,
    },
}

/// Why a document is in or out of a device's scope: the first reason that holds, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    Reference,
    FullScope,
    /// The holder's own record (within `own_days` when set).
    Own,
    /// The holder's own record, open, older than `own_days`.
    OpenOwn,
    /// An open record of one of a supervisor's or admin's sites.
    OpenOfSite,
    /// An open observation assigned to the person.
    Assigned,
    /// A record of one of the holder's sites within the window.
    SiteWindow,
    // Out:
    OtherProject,
    /// Not one of the holder's sites, and nothing else holds it.
    OtherSite,
    /// One of the holder's sites, dated before the window, and nothing else holds it.
    BeforeWindow,
    /// A companion whose record is unknown.
    NoRecord,
    /// Record facts of a server-owned kind: the caller mixed up its documents.
    NotARecord,
}

impl Why {
    pub fn in_scope(self) -> bool {
        matches!(
            self,
            Why::Reference
                | Why::FullScope
                | Why::Own
                | Why::OpenOwn
                | Why::OpenOfSite
                | Why::Assigned
                | Why::SiteWindow
        )
    }

    /// For logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Reference => "reference",
            Why::FullScope => "full_scope",
            Why::Own => "own",
            Why::OpenOwn => "open_own",
            Why::OpenOfSite => "open_of_site",
            Why::Assigned => "assigned",
            Why::SiteWindow => "site_window",
            Why::OtherProject => "other_project",
            Why::OtherSite => "other_site",
            Why::BeforeWindow => "before_window",
            Why::NoRecord => "no_record",
            Why::NotARecord => "not_a_record",
        }
    }
}

/// The rule's answer for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    pub why: Why,
    /// Judged as a companion of its record.
    pub companion: bool,
}

impl Verdict {
    pub fn in_scope(self) -> bool {
        self.why.in_scope()
    }
}

/// Whether the device with `params` holds `doc`, and why.
pub fn decide(doc: &DocFacts<'_>, params: &ScopeParams<'_>) -> Verdict {
    match doc {
        DocFacts::Reference { project } => Verdict {
            why: if *project == params.project { Why::Reference } else { Why::OtherProject },
            companion: false,
        },
        DocFacts::Record(r) => Verdict { why: decide_record(r, params), companion: false },
        DocFacts::Companion { record } => {
            Verdict { why: record.as_ref().map_or(Why::NoRecord, |r| decide_record(r, params)), companion: true }
        }
    }
}

fn decide_record(r: &RecordFacts<'_>, p: &ScopeParams<'_>) -> Why {
    if r.kind.server_owned() {
        return Why::NotARecord;
    }
    if r.project != p.project {
        return Why::OtherProject;
    }
    if p.full {
        return Why::FullScope;
    }
    let own = r.owner == Some(p.holder);
    if own && p.own_days.is_none_or(|days| within(r.date, p.today, days)) {
        return Why::Own;
    }
    if r.open && own {
        return Why::OpenOwn;
    }
    let our_site = p.sites.contains(r.site);
    if r.open && our_site && p.open_reach == OpenReach::Sites {
        return Why::OpenOfSite;
    }
    if r.open && r.kind == RecordKind::Observation && r.assignee.is_some() && r.assignee == p.holder.person() {
        return Why::Assigned;
    }
    match (our_site, within(r.date, p.today, p.window_days)) {
        (true, true) => Why::SiteWindow,
        (true, false) => Why::BeforeWindow,
        (false, _) => Why::OtherSite,
    }
}

/// Whether `date` falls in the `days` days ending `today` (today included) or later: a sheet made
/// out for tomorrow is in. Zero days holds nothing; a window reaching before the calendar's start
/// holds everything.
pub fn within(date: NaiveDate, today: NaiveDate, days: u32) -> bool {
    match days.checked_sub(1) {
        None => false,
        Some(back) => today.checked_sub_days(Days::new(u64::from(back))).is_none_or(|first| date >= first),
    }
}

/// Where a record stands, as both sides read it: the server from its decisions and follow-ups,
/// the phone from the companions it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub kind: RecordKind,
    pub voided: bool,
    /// The record's document holds concurrent values of a field (`conflicts`).
    pub in_conflict: bool,
    /// The standing approval is of the record's current heads (`Approval::approves`).
    pub approved_current: bool,
    /// The observation's follow-up status (`None`: no follow-up document yet).
    pub follow_up: Option<FollowUpStatus>,
}

/// A record is open (someone still has to act on it) unless voided, or, with no conflict,
/// approved at its current version (observations: closed by the office).
pub fn is_open(s: &Standing) -> bool {
    if s.voided || s.kind.server_owned() {
        return false;
    }
    if s.in_conflict {
        return true;
    }
    match s.kind {
        RecordKind::Observation => s.follow_up != Some(FollowUpStatus::Closed),
        _ => !s.approved_current,
    }
}

/// The record a server-owned companion goes with (`approval:<id>`, `follow_up:<id>`).
pub fn companion_of(doc_id: &str) -> Option<&str> {
    doc_id.strip_prefix("approval:").or_else(|| doc_id.strip_prefix("follow_up:"))
}

/// What a record and its companions are kept and dropped together by: the record's id.
pub fn group_of(doc_id: &str) -> &str {
    companion_of(doc_id).unwrap_or(doc_id)
}

/// A document the phone holds, as the eviction plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldDoc<'a> {
    pub id: &'a str,
    /// `decide` at the server's last `as_of` and parameters.
    pub verdict: Verdict,
    /// The document's heads equal the heads it shares with the server, in a sync whose last round
    /// ended with the manifests equal (the server provably holds every change the phone has).
    pub synced: bool,
    /// A photo of the record still waits for its upload.
    pub pending_upload: bool,
    /// Nothing is left for this phone to follow: the record is not open, or it is open but neither
    /// the holder's own nor edited on this phone (a colleague's sheet awaiting approval).
    pub settled: bool,
    /// Fetched on demand and its pin has not expired (the phone's alone; the server sees it held).
    pub pinned: bool,
}

/// Why a held document stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keep {
    InScope(Why),
    Pinned,
    Unsynced,
    PendingUpload,
    Unsettled,
    /// Another document of its record stays (a record and its companions go together).
    Group,
}

/// Why `d` must stay, on its own account; `None`: it may go (if its group may).
pub fn keep_reason(d: &HeldDoc<'_>) -> Option<Keep> {
    if d.verdict.in_scope() {
        Some(Keep::InScope(d.verdict.why))
    } else if d.pinned {
        Some(Keep::Pinned)
    } else if !d.synced {
        Some(Keep::Unsynced)
    } else if d.pending_upload {
        Some(Keep::PendingUpload)
    } else if !d.settled {
        Some(Keep::Unsettled)
    } else {
        None
    }
}

/// Whether the previews (1280 px) of a held record's photos may leave the phone, the thumbnails
/// staying: the record is settled and held only because it is the holder's (closed and someone
/// else's, the rule would not hold it: older than the window, or of another site). A foreman keeps
/// every own record by default (`own_days` unset); without this their previews, ~220 KB a photo,
/// would be most of the phone's store after a month. A preview comes back from the server on demand.
pub fn previews_may_go(record: &RecordFacts<'_>, params: &ScopeParams<'_>) -> bool {
    !record.open && !decide_record(&RecordFacts { owner: None, ..*record }, params).in_scope()
}

/// The documents of `held` the phone may drop: out of scope, unpinned, synced, no photo waiting,
/// settled, and so is every other held document of the same record (`group_of`). In `held`'s order.
pub fn eviction_plan<'a>(held: &[HeldDoc<'a>]) -> Vec<&'a str> {
    let mut order: Vec<usize> = (0..held.len()).collect();
    order.sort_by(|&a, &b| group_of(held[a].id).cmp(group_of(held[b].id)));
    let mut go = vec![false; held.len()];
    let mut start = 0;
    while start < order.len() {
        let group = group_of(held[order[start]].id);
        let end = order[start..].iter().position(|&i| group_of(held[i].id) != group).map_or(order.len(), |n| start + n);
        if order[start..end].iter().all(|&i| keep_reason(&held[i]).is_none()) {
            for &i in &order[start..end] {
                go[i] = true;
            }
        }
        start = end;
    }
    held.iter().zip(go).filter(|(_, g)| *g).map(|(d, _)| d.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    fn params<'a>(sites: &'a [String]) -> ScopeParams<'a> {
        ScopeParams {
            project: "P",
            holder: Holder::Person("wang"),
            sites: Sites::Only(sites),
            today: day("2026-12-07"),
            window_days: 14,
            own_days: None,
            open_reach: OpenReach::Own,
            full: false,
        }
    }

    fn sheet<'a>(site: &'a str, date: &str, owner: Option<Holder<'a>>, open: bool) -> RecordFacts<'a> {
        RecordFacts { project: "P", kind: RecordKind::LabourSheet, site, date: day(date), owner, open, assignee: None }
    }

    #[test]
    fn previews_go_only_from_settled_own_records_nothing_else_would_hold() {
        let sites = ["S1".to_string()];
        let p = params(&sites);
        let me = Some(Holder::Person("wang"));
        // Own, closed, before the window: held for being his, so the previews may go.
        assert!(previews_may_go(&sheet("S1", "2026-11-01", me, false), &p));
        // Own, closed, of a site not his: the same.
        assert!(previews_may_go(&sheet("S9", "2026-12-06", me, false), &p));
        // Within the window of his site: held anyway, the previews stay.
        assert!(!previews_may_go(&sheet("S1", "2026-12-01", me, false), &p));
        // Open (waiting for approval, rejected, in conflict): still his to work on.
        assert!(!previews_may_go(&sheet("S1", "2026-11-01", me, true), &p));
        // Full scope keeps everything, previews too.
        let full = ScopeParams { full: true, ..params(&sites) };
        assert!(!previews_may_go(&sheet("S1", "2026-11-01", me, false), &full));
    }

    #[test]
    fn window_counts_today_and_the_days_before() {
        let today = day("2026-12-07");
        assert!(within(day("2026-11-24"), today, 14));
        assert!(!within(day("2026-11-23"), today, 14));
        assert!(within(day("2026-12-08"), today, 14), "tomorrow's sheet");
        assert!(!within(today, today, 0));
        assert!(within(day("1900-01-01"), NaiveDate::MIN, 2));
    }

    #[test]
    fn each_reason_in_order() {
        let sites = vec!["A".to_string()];
        let p = params(&sites);
        let li = Some(Holder::Person("li"));
        let wang = Some(Holder::Person("wang"));
        let why = |r: RecordFacts<'_>| decide(&DocFacts::Record(r), &p).why;
        assert_eq!(why(sheet("B", "2020-01-01", wang, false)), Why::Own);
        assert_eq!(why(sheet("A", "2026-12-01", li, false)), Why::SiteWindow);
        assert_eq!(why(sheet("A", "2026-11-01", li, true)), Why::BeforeWindow, "a colleague's open sheet");
        assert_eq!(why(sheet("B", "2026-12-07", li, false)), Why::OtherSite);
        let mut obs = sheet("B", "2025-01-01", li, true);
        obs.kind = RecordKind::Observation;
        obs.assignee = Some("wang");
        assert_eq!(why(obs), Why::Assigned);
        obs.open = false;
        assert_eq!(why(obs), Why::OtherSite, "closed: no longer theirs to follow");
        let mut other = sheet("A", "2026-12-07", wang, true);
        other.project = "Q";
        assert_eq!(why(other), Why::OtherProject);
        let limited = ScopeParams { own_days: Some(30), ..p };
        let why_l = |r: RecordFacts<'_>| decide(&DocFacts::Record(r), &limited).why;
        assert_eq!(why_l(sheet("B", "2026-01-01", wang, true)), Why::OpenOwn);
        assert_eq!(why_l(sheet("B", "2026-01-01", wang, false)), Why::OtherSite);
        let sup = ScopeParams { open_reach: OpenReach::Sites, ..p };
        assert_eq!(decide(&DocFacts::Record(sheet("A", "2026-01-01", li, true)), &sup).why, Why::OpenOfSite);
        let companion = decide(&DocFacts::Companion { record: Some(sheet("A", "2026-12-01", li, false)) }, &p);
        assert_eq!(companion, Verdict { why: Why::SiteWindow, companion: true });
        assert_eq!(decide(&DocFacts::Companion { record: None }, &p).why, Why::NoRecord);
        assert_eq!(decide(&DocFacts::Reference { project: "P" }, &p).why, Why::Reference);
        assert_eq!(decide(&DocFacts::Reference { project: "Q" }, &p).why, Why::OtherProject);
    }

    #[test]
    fn open_follows_approval_conflicts_and_follow_up() {
        let base = Standing {
            kind: RecordKind::Expense,
            voided: false,
            in_conflict: false,
            approved_current: true,
            follow_up: None,
        };
        assert!(!is_open(&base));
        assert!(is_open(&Standing { approved_current: false, ..base }));
        assert!(is_open(&Standing { in_conflict: true, ..base }));
        assert!(!is_open(&Standing { voided: true, in_conflict: true, ..base }));
        let obs = Standing { kind: RecordKind::Observation, approved_current: false, ..base };
        assert!(is_open(&obs));
        assert!(is_open(&Standing { follow_up: Some(FollowUpStatus::Assigned), ..obs }));
        assert!(!is_open(&Standing { follow_up: Some(FollowUpStatus::Closed), ..obs }));
    }

    #[test]
    fn fingerprint_ignores_today_and_site_order() {
        let ab = vec!["A".to_string(), "B".to_string()];
        let ba = vec!["B".to_string(), "A".to_string()];
        let a = vec!["A".to_string()];
        let p = params(&ab);
        assert_eq!(p.fingerprint(), ScopeParams { today: day("2027-01-01"), ..params(&ba) }.fingerprint());
        assert_ne!(p.fingerprint(), params(&a).fingerprint());
        assert_ne!(p.fingerprint(), ScopeParams { window_days: 15, ..p }.fingerprint());
        assert_ne!(p.fingerprint(), ScopeParams { sites: Sites::All, ..p }.fingerprint());
        assert_ne!(p.fingerprint(), ScopeParams { holder: Holder::Device("wang"), ..p }.fingerprint());
    }

    #[test]
    fn holder_keys_round_trip() {
        for h in [Holder::Person("0193"), Holder::Device("d-1")] {
            assert_eq!(Holder::parse(&h.key()), Some(h));
        }
        assert_eq!(Holder::parse("x:1"), None);
    }

    #[test]
    fn a_record_goes_only_with_its_companions() {
        let out = Verdict { why: Why::BeforeWindow, companion: false };
        let gone = |id| HeldDoc { id, verdict: out, synced: true, pending_upload: false, settled: true, pinned: false };
        let held = [
            gone("r1"),
            gone("approval:r1"),
            HeldDoc { synced: false, ..gone("r2") },
            gone("approval:r2"),
            gone("follow_up:r3"),
            HeldDoc { verdict: Verdict { why: Why::Reference, companion: false }, ..gone("reference:P") },
        ];
        assert_eq!(eviction_plan(&held), vec!["r1", "approval:r1", "follow_up:r3"]);
        assert_eq!(keep_reason(&held[2]), Some(Keep::Unsynced));
    }
}
