//! Concurrent values of one field after a merge. Automerge picks a winner deterministically; we show
//! the others too, so nobody's number silently disappears.

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
