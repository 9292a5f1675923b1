//! Approval (审批) of one record: the server's decisions on exact versions of the record, written by
//! the server only and synced to phones read-only, so the foreman sees "approved", "rejected: <why>"
//! or "changed since approval" next to the record.
//!
//! Document id `approval:<record id>`. The root holds the newest decision and the version that
//! stands in the ledgers (`approved_heads`); `decisions` lists every decision, oldest first.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::doc::{self, get_str, get_timestamp, put_scalar, put_str, req_str};
use crate::{RecordKind, SchemaError};

/// What a supervisor decided about one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecisionStatus {
    Approved,
    Rejected,
}

impl DecisionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionStatus::Approved => "approved",
            DecisionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(DecisionStatus::Approved),
            "rejected" => Some(DecisionStatus::Rejected),
            _ => None,
        }
    }
}

/// One decision on one exact version (the record document's heads, as hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The server's decision id (the audit trail's key; postings reference it).
    pub id: String,
    pub status: DecisionStatus,
    /// The decided version: the record document's heads, hex, sorted.
    pub heads: Vec<String>,
    /// Who decided: the supervisor's device name (as the token names it) and role.
    pub by: String,
    pub at_ms: i64,
    pub comment: String,
}

/// The approval document of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub record_id: String,
    pub project_id: String,
    /// Every decision, oldest first. The newest is also mirrored at the root.
    pub decisions: Vec<Decision>,
    /// The version that stands in the ledgers (the newest approval), if any.
    pub approved_heads: Option<Vec<String>>,
}

impl Approval {
    /// The well-known document id of a record's approval document.
    pub fn document_id(record_id: &str) -> String {
        format!("approval:{record_id}")
    }

    /// The newest decision.
    pub fn latest(&self) -> Option<&Decision> {
        self.decisions.last()
    }

    /// Whether a record at `heads` (hex, any order) is the approved, standing version.
    pub fn approves(&self, heads: &[String]) -> bool {
        let mut h = heads.to_vec();
        h.sort();
        self.approved_heads.as_ref().is_some_and(|a| *a == h)
    }

    /// Reconciles this view into `d`: root fields are put when they differ; decisions already in
    /// the document (matched by position and id) are left alone and new ones appended, so the list
    /// only grows.
    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        doc::stamp_kind(d, RecordKind::Approval)?;
        put_str(d, &ROOT, "id", &Self::document_id(&self.record_id))?;
        put_str(d, &ROOT, "project_id", &self.project_id)?;
        put_str(d, &ROOT, "record_id", &self.record_id)?;
        match &self.approved_heads {
            Some(h) => write_heads(d, &ROOT, "approved_heads", h)?,
            None => doc::delete_key(d, &ROOT, "approved_heads")?,
        }
        if let Some(latest) = self.latest() {
            write_decision(d, &ROOT, latest)?;
        }
        let list = match d.get(&ROOT, "decisions")? {
            Some((Value::Object(ObjType::List), id)) => id,
            _ => d.put_object(&ROOT, "decisions", ObjType::List)?,
        };
        let have = d.length(&list);
        for (i, decision) in self.decisions.iter().enumerate().skip(have) {
            let m = d.insert_object(&list, i, ObjType::Map)?;
            write_decision(d, &m, decision)?;
        }
        Ok(())
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        doc::expect_kind(d, RecordKind::Approval)?;
        let mut decisions = Vec::new();
        if let Some((Value::Object(ObjType::List), list)) = d.get(&ROOT, "decisions")? {
            for i in 0..d.length(&list) {
                if let Some((Value::Object(ObjType::Map), m)) = d.get(&list, i)? {
                    decisions.push(read_decision(d, &m)?);
                }
            }
        }
        let approved_heads = match d.get(&ROOT, "approved_heads")? {
            Some(_) => Some(read_heads(d, &ROOT, "approved_heads")?),
            None => None,
        };
        Ok(Approval {
            record_id: req_str(d, &ROOT, "record_id")?,
            project_id: req_str(d, &ROOT, "project_id")?,
            decisions,
            approved_heads,
        })
    }
}

fn write_heads(d: &mut AutoCommit, obj: &ObjId, key: &str, heads: &[String]) -> Result<(), SchemaError> {
    if d.get(obj, key)?.is_some() && read_heads(d, obj, key)? == heads {
        return Ok(());
    }
    let list = d.put_object(obj, key, ObjType::List)?;
    for (i, h) in heads.iter().enumerate() {
        d.insert(&list, i, h.as_str())?;
    }
    Ok(())
}

fn read_heads(d: &AutoCommit, obj: &ObjId, key: &str) -> Result<Vec<String>, SchemaError> {
    let malformed = || SchemaError::Malformed { field: key.into(), reason: "expected a list of hashes".into() };
    let Some((Value::Object(ObjType::List), list)) = d.get(obj, key)? else { return Err(malformed()) };
    let mut out = Vec::new();
    for i in 0..d.length(&list) {
        match d.get(&list, i)? {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(t) => out.push(t.to_string()),
                _ => return Err(malformed()),
            },
            _ => return Err(malformed()),
        }
    }
    Ok(out)
}

fn write_decision(d: &mut AutoCommit, obj: &ObjId, x: &Decision) -> Result<(), SchemaError> {
    put_str(d, obj, "decision_id", &x.id)?;
    put_str(d, obj, "status", x.status.as_str())?;
    write_heads(d, obj, "heads", &x.heads)?;
    put_str(d, obj, "by", &x.by)?;
    put_scalar(d, obj, "at", ScalarValue::Timestamp(x.at_ms))?;
    put_str(d, obj, "comment", &x.comment)
}

fn read_decision(d: &AutoCommit, obj: &ObjId) -> Result<Decision, SchemaError> {
    let status = req_str(d, obj, "status")?;
    Ok(Decision {
        id: req_str(d, obj, "decision_id")?,
        status: DecisionStatus::parse(&status)
            .ok_or_else(|| SchemaError::Malformed { field: "status".into(), reason: format!("{status:?}") })?,
        heads: read_heads(d, obj, "heads")?,
        by: get_str(d, obj, "by")?.unwrap_or_default(),
        at_ms: get_timestamp(d, obj, "at")?.unwrap_or_default(),
        comment: get_str(d, obj, "comment")?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(id: &str, status: DecisionStatus, heads: &[&str]) -> Decision {
        Decision {
            id: id.into(),
            status,
            heads: heads.iter().map(|h| h.to_string()).collect(),
            by: "supervisor Chen".into(),
            at_ms: 1_700_000_000_000,
            comment: "ok".into(),
        }
    }

    #[test]
    fn round_trips_and_only_appends() {
        let mut a = Approval {
            record_id: "r1".into(),
            project_id: "P1".into(),
            decisions: vec![decision("d1", DecisionStatus::Approved, &["aa", "bb"])],
            approved_heads: Some(vec!["aa".into(), "bb".into()]),
        };
        let mut d = AutoCommit::new();
        a.write(&mut d).expect("write");
        assert_eq!(Approval::read(&d).expect("read"), a);
        assert!(a.approves(&["bb".into(), "aa".into()]));
        assert!(!a.approves(&["aa".into()]));
        a.decisions.push(decision("d2", DecisionStatus::Rejected, &["cc"]));
        a.write(&mut d).expect("write again");
        let back = Approval::read(&d).expect("read");
        assert_eq!(back, a);
        assert_eq!(back.latest().map(|x| x.status), Some(DecisionStatus::Rejected));
        let heads = d.get_heads();
        a.write(&mut d).expect("unchanged write");
        assert_eq!(d.get_heads(), heads, "writing the same view changes nothing");
        assert_eq!(doc::read_kind(&d).expect("kind"), RecordKind::Approval);
    }
}
