//! The phone library (mobile-core) as an app drives it, through its app-facing `FieldStore`: a store
//! opened in a test's folder, the fixture project's place (P1, site S1 in Shanghai), a labour sheet
//! of today there and the standard crew line (carpenters of crew 张班, 8 h at 47.50 on 03-100).

use std::path::Path;
use std::sync::Arc;

use mobile_core::ffi::FieldStore;
use mobile_core::ffi::types::{CrewLineInput, EffortUnit, NewLabourSheet, RecordPlace, SyncReport};

use crate::records::site_today;

/// The phone store `<name>.db` in `dir`, its author `name`.
pub fn open_phone(dir: &Path, name: &str) -> Arc<FieldStore> {
    FieldStore::open(dir.join(format!("{name}.db")).display().to_string(), name.into()).expect("open phone store")
}

/// Project P1, site S1 in Asia/Shanghai.
pub fn place() -> RecordPlace {
    RecordPlace { project_id: "P1".into(), site_id: "S1".into(), time_zone: Some("Asia/Shanghai".into()) }
}

/// A labour sheet of today (`site_today`) at `place()`, no note, the project's currency.
pub fn new_sheet() -> NewLabourSheet {
    sheet_at("S1", &site_today())
}

/// A labour sheet of project P1 at `site` (Asia/Shanghai) for `date` (`YYYY-MM-DD`), no note, the
/// project's currency.
pub fn sheet_at(site: &str, date: &str) -> NewLabourSheet {
    NewLabourSheet {
        project_id: "P1".into(),
        site_id: site.into(),
        time_zone: Some("Asia/Shanghai".into()),
        work_date: date.into(),
        currency: None,
        note: None,
    }
}

/// A paired phone's `sync_all` on its one project, which must refuse nothing; its report.
pub fn sync_paired(rt: &tokio::runtime::Runtime, phone: &FieldStore) -> SyncReport {
    let mut done = rt.block_on(phone.sync_all(None, None)).expect("sync_all");
    assert_eq!(done.len(), 1, "one paired project");
    let r = done.remove(0).report;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    r
}

/// `headcount` carpenters (木工) of crew 张班, 8 hours at 47.50 on 03-100, no activity.
pub fn carpenters(headcount: i64) -> CrewLineInput {
    CrewLineInput {
        trade: "木工".into(),
        crew: Some("张班".into()),
        headcount,
        effort_unit: EffortUnit::Hours,
        effort: "8".into(),
        rate: "47.50".into(),
        cost_code: "03-100".into(),
        activity: None,
        note: None,
        workers: vec![],
        rate_unit: None,
    }
}
