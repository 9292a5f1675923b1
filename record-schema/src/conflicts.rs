//! Concurrent values of one field after a merge. Automerge picks a winner deterministically; we show
//! the others too, so nobody's number silently disappears.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};

use crate::SchemaError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// Path of the field, e.g. `lines/0193…/headcount`.
    pub path: String,
    /// The value the document reads as (the winner), first.
    pub values: Vec<String>,
}

fn render(v: &Value<'_>) -> String {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(t) => t.to_string(),
            ScalarValue::Timestamp(t) => t.to_string(),
            other => other.to_string(),
        },
        Value::Object(ObjType::List) => "[list]".into(),
        Value::Object(_) => "{object}".into(),
    }
}

/// Every field of the document that holds more than one concurrent value.
pub fn find_conflicts(doc: &AutoCommit) -> Result<Vec<FieldConflict>, SchemaError> {
    let mut out = Vec::new();
    walk(doc, &ROOT, String::new(), &mut out)?;
    Ok(out)
}

fn walk(doc: &AutoCommit, obj: &ObjId, prefix: String, out: &mut Vec<FieldConflict>) -> Result<(), SchemaError> {
    let props: Vec<automerge::Prop> = match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(automerge::Prop::Map).collect(),
        ObjType::List => (0..doc.length(obj)).map(automerge::Prop::Seq).collect(),
        ObjType::Text => return Ok(()),
    };
    for prop in props {
        let name = match &prop {
            automerge::Prop::Map(k) => k.clone(),
            automerge::Prop::Seq(i) => i.to_string(),
        };
        let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        let all = doc.get_all(obj, prop.clone())?;
        if all.len() > 1 {
            // get() returns the winner; list it first so apps can show "kept" and "also entered".
            let winner = doc.get(obj, prop.clone())?.map(|(_, id)| id);
            let mut values: Vec<(bool, String)> =
                all.iter().map(|(v, id)| (Some(id) == winner.as_ref(), render(v))).collect();
            values.sort_by_key(|(is_winner, _)| !*is_winner);
            out.push(FieldConflict { path: path.clone(), values: values.into_iter().map(|(_, v)| v).collect() });
        }
        // Descend into the winning object only: that is what the record reads as.
        if let Some((Value::Object(_), child)) = doc.get(obj, prop)? {
            walk(doc, &child, path, out)?;
        }
    }
    Ok(())
}

/// Settles the conflict at `path` by keeping the concurrent value at `choice` (an index into
/// `FieldConflict::values`). Writing it again supersedes every concurrent value.
pub fn resolve_conflict(doc: &mut AutoCommit, path: &str, choice: usize) -> Result<(), SchemaError> {
    let bad = |reason: &str| SchemaError::Malformed { field: path.to_string(), reason: reason.to_string() };
    let segments: Vec<&str> = path.split('/').collect();
    let (last, parents) = segments.split_last().ok_or_else(|| bad("empty path"))?;
    let mut obj = ROOT;
    for seg in parents {
        obj = match doc.get(&obj, prop_of(doc, &obj, seg)?)? {
            Some((Value::Object(_), child)) => child,
            _ => return Err(bad("no such field")),
        };
    }
    let prop = prop_of(doc, &obj, last)?;
    let conflict = find_conflicts(doc)?
        .into_iter()
        .find(|c| c.path == path)
        .ok_or_else(|| bad("this field has no conflict"))?;
    let rendered = conflict.values.get(choice).ok_or_else(|| bad("no such choice"))?;
    // The winner is listed first but get_all's order differs: match the chosen value by its text.
    let chosen = doc
        .get_all(&obj, prop.clone())?
        .into_iter()
        .find(|(v, _)| &render(v) == rendered)
        .ok_or_else(|| bad("no such choice"))?;
    match chosen.0 {
        Value::Scalar(s) => {
            let value = s.into_owned();
            match prop {
                automerge::Prop::Map(k) => doc.put(&obj, k, value)?,
                automerge::Prop::Seq(i) => doc.put(&obj, i, value)?,
            }
            Ok(())
        }
        Value::Object(_) => Err(bad("conflicting objects cannot be chosen between; edit the field instead")),
    }
}

fn prop_of(doc: &AutoCommit, obj: &ObjId, seg: &str) -> Result<automerge::Prop, SchemaError> {
    Ok(match doc.object_type(obj)? {
        ObjType::List | ObjType::Text => seg
            .parse::<usize>()
            .map(automerge::Prop::Seq)
            .map_err(|_| SchemaError::Malformed { field: seg.to_string(), reason: "expected a list index".into() })?,
        _ => automerge::Prop::Map(seg.to_string()),
    })
}
