//! Follow-up (处理跟踪) of one field observation: what the office did about it, written by the
//! server only and synced to phones read-only (like an approval), so the foreman sees "assigned to
//! 李工, due 12-10", "closed: guardrail fitted" or "raised as risk R-0003" next to the observation.
//!
//! Document id `follow_up:<observation record id>`. The root mirrors the current state; `events`
//! lists everything done, oldest first, and only grows.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use chrono::NaiveDate;

use crate::doc::{self, get_date, get_str, get_timestamp, put_opt_str, put_scalar, put_str, req_str};
use crate::{RecordKind, SchemaError};

/// Where an observation stands in the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowUpStatus {
    /// Reported, nobody assigned yet.
    Open,
    /// Someone is to deal with it (by the due date, when one is set).
    Assigned,
    /// Dealt with; the resolution says how.
    Closed,
}

impl FollowUpStatus {
    pub const ALL: [FollowUpStatus; 3] = [Self::Open, Self::Assigned, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Assigned => "assigned",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One thing done about the observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpEvent {
    /// `assigned`, `closed`, `reopened`, `promoted` (raised as a risk) or `comment`.
    pub action: String,
    /// The status after it.
    pub status: FollowUpStatus,
    /// Who did it (the office person's name).
    pub by: String,
    pub at_ms: i64,
    pub note: String,
}

/// The follow-up document of one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub record_id: String,
    pub project_id: String,
    pub status: FollowUpStatus,
    /// Who is to deal with it.
    pub assignee: Option<String>,
    pub due: Option<NaiveDate>,
    /// How it was dealt with (set on closing).
    pub resolution: Option<String>,
    /// The risk it was raised as, when it was promoted (`R-0003`).
    pub risk_id: Option<String>,
    /// Every event, oldest first.
    pub events: Vec<FollowUpEvent>,
}

impl FollowUp {
    /// The well-known document id of an observation's follow-up document.
    pub fn document_id(record_id: &str) -> String {
        format!("follow_up:{record_id}")
    }

    /// Reconciles this view into `d`: root fields are put when they differ; events already in the
    /// document (by position) are left alone and new ones appended, so the list only grows.
    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        doc::stamp_kind(d, RecordKind::FollowUp)?;
        put_str(d, &ROOT, "id", &Self::document_id(&self.record_id))?;
        put_str(d, &ROOT, "project_id", &self.project_id)?;
        put_str(d, &ROOT, "record_id", &self.record_id)?;
        put_str(d, &ROOT, "status", self.status.as_str())?;
        put_opt_str(d, &ROOT, "assignee", self.assignee.as_deref())?;
        put_opt_str(d, &ROOT, "due", self.due.map(|x| x.to_string()).as_deref())?;
        put_opt_str(d, &ROOT, "resolution", self.resolution.as_deref())?;
        put_opt_str(d, &ROOT, "risk_id", self.risk_id.as_deref())?;
        let list = match d.get(&ROOT, "events")? {
            Some((Value::Object(ObjType::List), id)) => id,
            _ => d.put_object(&ROOT, "events", ObjType::List)?,
        };
        let have = d.length(&list);
        for (i, e) in self.events.iter().enumerate().skip(have) {
            let m = d.insert_object(&list, i, ObjType::Map)?;
            write_event(d, &m, e)?;
        }
        Ok(())
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::FollowUp)?;
        let mut events = Vec::new();
        if let Some((Value::Object(ObjType::List), list)) = d.get(&ROOT, "events")? {
            for i in 0..d.length(&list) {
                if let Some((Value::Object(ObjType::Map), m)) = d.get(&list, i)? {
                    events.push(read_event(d, &m)?);
                }
            }
        }
        Ok(FollowUp {
            record_id: req_str(d, &ROOT, "record_id")?,
            project_id: req_str(d, &ROOT, "project_id")?,
            status: read_status(d, &ROOT)?,
            assignee: get_str(d, &ROOT, "assignee")?,
            due: get_date(d, &ROOT, "due")?,
            resolution: get_str(d, &ROOT, "resolution")?,
            risk_id: get_str(d, &ROOT, "risk_id")?,
            events,
        })
    }
}

impl FollowUp {
    /// Field of the person (a project member's person id) the observation is assigned to, when the
    /// office picked one (sync scopes, issue 25: their phones hold it while it is open). Optional:
    /// documents written before it, and free-text assignees, have none. Kept out of the struct so
    /// that code building a `FollowUp` is unchanged; written and read beside it.
    pub const ASSIGNEE_PERSON: &'static str = "assignee_person";

    /// Puts (or deletes) `assignee_person` in `d`, only when it differs.
    pub fn write_assignee_person(d: &mut AutoCommit, person: Option<&str>) -> Result<(), SchemaError> {
        put_opt_str(d, &ROOT, Self::ASSIGNEE_PERSON, person)
    }

    /// The person the follow-up in `d` is assigned to, if any.
    pub fn read_assignee_person(d: &AutoCommit) -> Result<Option<String>, SchemaError> {
        get_str(d, &ROOT, Self::ASSIGNEE_PERSON)
    }
}

fn read_status(d: &AutoCommit, obj: &ObjId) -> Result<FollowUpStatus, SchemaError> {
    let status = req_str(d, obj, "status")?;
    FollowUpStatus::parse(&status)
        .ok_or_else(|| SchemaError::Malformed { field: "status".into(), reason: format!("{status:?}") })
}

fn write_event(d: &mut AutoCommit, obj: &ObjId, e: &FollowUpEvent) -> Result<(), SchemaError> {
    put_str(d, obj, "action", &e.action)?;
    put_str(d, obj, "status", e.status.as_str())?;
    put_str(d, obj, "by", &e.by)?;
    put_scalar(d, obj, "at", ScalarValue::Timestamp(e.at_ms))?;
    put_str(d, obj, "note", &e.note)
}

fn read_event(d: &AutoCommit, obj: &ObjId) -> Result<FollowUpEvent, SchemaError> {
    Ok(FollowUpEvent {
        action: req_str(d, obj, "action")?,
        status: read_status(d, obj)?,
        by: get_str(d, obj, "by")?.unwrap_or_default(),
        at_ms: get_timestamp(d, obj, "at")?.unwrap_or_default(),
        note: get_str(d, obj, "note")?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str, status: FollowUpStatus) -> FollowUpEvent {
        FollowUpEvent { action: action.into(), status, by: "王芳".into(), at_ms: 1_700_000_000_000, note: "".into() }
    }

    #[test]
    fn round_trips_and_events_only_grow() -> Result<(), SchemaError> {
        let mut f = FollowUp {
            record_id: "obs1".into(),
            project_id: "P1".into(),
            status: FollowUpStatus::Assigned,
            assignee: Some("李工".into()),
            due: NaiveDate::from_ymd_opt(2026, 12, 10),
            resolution: None,
            risk_id: None,
            events: vec![event("assigned", FollowUpStatus::Assigned)],
        };
        let mut d = AutoCommit::new();
        f.write(&mut d)?;
        assert_eq!(FollowUp::read(&d)?, f);
        f.status = FollowUpStatus::Closed;
        f.resolution = Some("guardrail fitted".into());
        f.risk_id = Some("R-0001".into());
        f.events.push(event("closed", FollowUpStatus::Closed));
        f.write(&mut d)?;
        let back = FollowUp::read(&d)?;
        assert_eq!(back, f);
        assert_eq!(back.events.len(), 2);
        assert_eq!(FollowUp::document_id("obs1"), "follow_up:obs1");
        Ok(())
    }

    #[test]
    fn assignee_person_is_optional_beside_the_view() -> Result<(), SchemaError> {
        let f = FollowUp {
            record_id: "obs1".into(),
            project_id: "P1".into(),
            status: FollowUpStatus::Assigned,
            assignee: Some("李工".into()),
            due: None,
            resolution: None,
            risk_id: None,
            events: vec![event("assigned", FollowUpStatus::Assigned)],
        };
        let mut d = AutoCommit::new();
        f.write(&mut d)?;
        // A document written before the field reads as before, with no person.
        assert_eq!(FollowUp::read_assignee_person(&d)?, None);
        FollowUp::write_assignee_person(&mut d, Some("person-7"))?;
        assert_eq!(FollowUp::read_assignee_person(&d)?.as_deref(), Some("person-7"));
        assert_eq!(FollowUp::read(&d)?, f);
        FollowUp::write_assignee_person(&mut d, None)?;
        assert_eq!(FollowUp::read_assignee_person(&d)?, None);
        Ok(())
    }

    #[test]
    fn refuses_an_unknown_status() -> Result<(), SchemaError> {
        let mut d = AutoCommit::new();
        doc::stamp_kind(&mut d, RecordKind::FollowUp)?;
        put_str(&mut d, &ROOT, "record_id", "r")?;
        put_str(&mut d, &ROOT, "project_id", "P")?;
        put_str(&mut d, &ROOT, "status", "maybe")?;
        assert!(matches!(FollowUp::read(&d), Err(SchemaError::Malformed { field, .. }) if field == "status"));
        Ok(())
    }
}
