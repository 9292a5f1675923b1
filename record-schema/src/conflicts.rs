//! Concurrent values of one field after a merge. Automerge picks a winner deterministically; we show
//! the others too, so nobody's number silently disappears.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::SchemaError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// Path of the field, e.g. `lines/0193…/headcount`.
    pub path: String,
    /// The value the document reads as (the winner), first.
    pub values: Vec<String>,
}

/// How deep any walk here goes into a document. A record's schema is four levels deep
/// (`shape`); a document stored before that check could nest hundreds of maps deep, and the walks
/// below are recursive, so they stop at this depth instead of exhausting the stack.
pub const MAX_DEPTH: usize = 16;

fn too_deep(path: &str) -> SchemaError {
    SchemaError::Malformed {
        field: path.to_string(),
        reason: format!("nested deeper than {MAX_DEPTH} levels; no record is (the document is damaged)"),
    }
}

/// Text of a value as the app shows it. Objects (a crew's worker list) are rendered with their
/// content, so each phone's version can be told apart; a text object (how JavaScript Automerge
/// stores a string) as its text, like the string scalar a Fieldledger writer puts, so a conflict
/// between the two shows both texts. Below `MAX_DEPTH` levels, `…`.
fn render(doc: &AutoCommit, v: &Value<'_>, id: &ObjId) -> String {
    render_at(doc, v, id, 0)
}

fn render_at(doc: &AutoCommit, v: &Value<'_>, id: &ObjId, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "…".into();
    }
    match v {
        Value::Scalar(s) => scalar_text(s.as_ref()),
        Value::Object(ObjType::List) => {
            let items: Vec<String> = (0..doc.length(id))
                .filter_map(|i| doc.get(id, i).ok().flatten())
                .map(|(v, child)| render_at(doc, &v, &child, depth + 1))
                .collect();
            format!("[{}]", items.join(", "))
        }
        // Bounded before it is copied out (a checked record's texts are within it anyway).
        Value::Object(ObjType::Text) => crate::doc::text_object(doc, id, crate::doc::MAX_TEXT_OBJECT_BYTES)
            .unwrap_or_else(|_| format!("(a text of {} characters)", doc.length(id))),
        Value::Object(_) => {
            let fields: Vec<String> = doc
                .keys(id)
                .filter_map(|k| {
                    doc.get(id, k.as_str())
                        .ok()
                        .flatten()
                        .map(|(v, child)| format!("{k}: {}", render_at(doc, &v, &child, depth + 1)))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

fn name_of(prop: &automerge::Prop) -> String {
    match prop {
        automerge::Prop::Map(k) => k.clone(),
        automerge::Prop::Seq(i) => i.to_string(),
    }
}

/// A crew line's `presence` carries the time of the edit only to make each write real; two phones
/// that both edited a line agree it is there. Show `edited` / `removed` alone.
fn shown(key: &str, text: String) -> String {
    if key == "presence" {
        return text.split(' ').next().unwrap_or_default().to_string();
    }
    text
}

fn scalar_text(s: &ScalarValue) -> String {
    match s {
        ScalarValue::Str(t) => t.to_string(),
        ScalarValue::Timestamp(t) => t.to_string(),
        other => other.to_string(),
    }
}

/// Every field of the document that holds more than one concurrent value.
pub fn find_conflicts(doc: &AutoCommit) -> Result<Vec<FieldConflict>, SchemaError> {
    let mut out = Vec::new();
    walk(doc, &ROOT, String::new(), 0, &mut out, &mut Vec::new())?;
    Ok(out)
}

/// Who entered one of a field's concurrent values: the actor of the operation that wrote it and
/// the Automerge change holding that operation (its time and message, when the writer set them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSource {
    /// The value as `FieldConflict::values` shows it (two writers of the same text both appear).
    pub value: String,
    /// Hex actor id of the writer.
    pub actor: String,
    /// Hash of the change that wrote it (hex), when found in the document.
    pub change: Option<String>,
    /// The change's time as Automerge keeps it (seconds since the epoch; 0 when none was set).
    pub time: i64,
    /// The change's message, when it has one.
    pub message: Option<String>,
}

/// A conflict with the source of each concurrent value (winner first, then the others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedConflict {
    pub conflict: FieldConflict,
    pub sources: Vec<ValueSource>,
}

/// `find_conflicts`, and for each value who wrote it (`ValueSource`): the operation's actor mapped
/// to the change of that actor whose operation range holds the operation.
pub fn find_conflict_sources(doc: &mut AutoCommit) -> Result<Vec<SourcedConflict>, SchemaError> {
    let (mut out, mut raw) = (Vec::new(), Vec::new());
    walk(doc, &ROOT, String::new(), 0, &mut out, &mut raw)?;
    let changes = doc.get_changes(&[]);
    let sourced = out
        .into_iter()
        .map(|conflict| {
            let sources = raw
                .iter()
                .filter(|(path, _, _, _)| *path == conflict.path)
                .map(|(_, value, actor, counter)| {
                    let change = changes
                        .iter()
                        .find(|c| c.actor_id() == actor && c.start_op().get() <= *counter && *counter <= c.max_op());
                    ValueSource {
                        value: value.clone(),
                        actor: actor.to_hex_string(),
                        change: change.map(|c| c.hash().to_string()),
                        time: change.map(|c| c.timestamp()).unwrap_or_default(),
                        message: change.and_then(|c| c.message().map(str::to_string)),
                    }
                })
                .collect();
            SourcedConflict { conflict, sources }
        })
        .collect();
    Ok(sourced)
}

fn walk(
    doc: &AutoCommit,
    obj: &ObjId,
    prefix: String,
    depth: usize,
    out: &mut Vec<FieldConflict>,
    sources: &mut Vec<(String, String, automerge::ActorId, u64)>,
) -> Result<(), SchemaError> {
    if depth > MAX_DEPTH {
        return Err(too_deep(&prefix));
    }
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
            let mut values: Vec<(bool, String)> = all
                .iter()
                .map(|(v, id)| (Some(id) == winner.as_ref(), shown(&name_of(&prop), render(doc, v, id))))
                .collect();
            values.sort_by_key(|(is_winner, _)| !*is_winner);
            let mut distinct: Vec<String> = Vec::new();
            for (_, v) in values {
                if !distinct.contains(&v) {
                    distinct.push(v);
                }
            }
            // Two phones that typed the same number agree: that is not a conflict to show.
            if distinct.len() > 1 {
                out.push(FieldConflict { path: path.clone(), values: distinct });
                // Winner first, as the values are listed.
                let mut ops: Vec<(bool, String, automerge::ActorId, u64)> = all
                    .iter()
                    .filter_map(|(v, id)| match id {
                        automerge::ObjId::Id(counter, actor, _) => Some((
                            Some(id) == winner.as_ref(),
                            shown(&name_of(&prop), render(doc, v, id)),
                            actor.clone(),
                            *counter,
                        )),
                        automerge::ObjId::Root => None,
                    })
                    .collect();
                ops.sort_by_key(|(is_winner, ..)| !*is_winner);
                sources.extend(ops.into_iter().map(|(_, text, actor, counter)| (path.clone(), text, actor, counter)));
            }
        }
        // Descend into the winning object only: that is what the record reads as.
        if let Some((Value::Object(_), child)) = doc.get(obj, prop)? {
            walk(doc, &child, path, depth + 1, out, sources)?;
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
    let conflict =
        find_conflicts(doc)?.into_iter().find(|c| c.path == path).ok_or_else(|| bad("this field has no conflict"))?;
    let rendered = conflict.values.get(choice).ok_or_else(|| bad("no such choice"))?;
    // The winner is listed first but get_all's order differs: match the chosen value by its text.
    let (value, chosen_id) = doc
        .get_all(&obj, prop.clone())?
        .into_iter()
        .find(|(v, id)| &shown(&name_of(&prop), render(doc, v, id)) == rendered)
        .ok_or_else(|| bad("no such choice"))?;
    // The chosen text of a text object is written as the string scalar Fieldledger writes.
    let value = match value {
        Value::Object(ObjType::Text) => {
            let text =
                crate::doc::text_object(doc, &chosen_id, crate::doc::MAX_TEXT_OBJECT_BYTES).map_err(|why| bad(&why))?;
            Value::Scalar(std::borrow::Cow::Owned(ScalarValue::Str(text.into())))
        }
        other => other,
    };
    match value {
        Value::Scalar(s) => {
            let value = s.into_owned();
            match prop {
                automerge::Prop::Map(k) => doc.put(&obj, k, value)?,
                automerge::Prop::Seq(i) => doc.put(&obj, i, value)?,
            }
        }
        Value::Object(kind) => {
            // Objects cannot be re-put as they are: write a fresh copy of the chosen one's content.
            let snapshot = Snapshot::of(doc, &chosen_id, kind, 0)?;
            let fresh = match prop {
                automerge::Prop::Map(k) => doc.put_object(&obj, k, kind)?,
                automerge::Prop::Seq(i) => doc.put_object(&obj, i, kind)?,
            };
            snapshot.write_into(doc, &fresh)?;
        }
    }
    Ok(())
}

/// An owned copy of an object's content (maps, lists and scalars), taken before writing over it.
enum Snapshot {
    Scalar(ScalarValue),
    Map(Vec<(String, Snapshot)>),
    List(Vec<Snapshot>),
    Text(String),
}

impl Snapshot {
    fn of(doc: &AutoCommit, id: &ObjId, kind: ObjType, depth: usize) -> Result<Self, SchemaError> {
        if depth > MAX_DEPTH {
            return Err(too_deep("(conflict value)"));
        }
        let child = |v: Value<'_>, cid: ObjId| -> Result<Snapshot, SchemaError> {
            match v {
                Value::Scalar(s) => Ok(Snapshot::Scalar(s.into_owned())),
                Value::Object(k) => Snapshot::of(doc, &cid, k, depth + 1),
            }
        };
        Ok(match kind {
            ObjType::Map | ObjType::Table => {
                let mut fields = Vec::new();
                for k in doc.keys(id) {
                    if let Some((v, cid)) = doc.get(id, k.as_str())? {
                        fields.push((k.clone(), child(v, cid)?));
                    }
                }
                Snapshot::Map(fields)
            }
            ObjType::List => {
                let mut items = Vec::new();
                for i in 0..doc.length(id) {
                    if let Some((v, cid)) = doc.get(id, i)? {
                        items.push(child(v, cid)?);
                    }
                }
                Snapshot::List(items)
            }
            ObjType::Text => Snapshot::Text(doc.text(id)?),
        })
    }

    fn write_into(self, doc: &mut AutoCommit, target: &ObjId) -> Result<(), SchemaError> {
        match self {
            Snapshot::Map(fields) => {
                for (k, v) in fields {
                    match v {
                        Snapshot::Scalar(s) => doc.put(target, k, s)?,
                        Snapshot::Map(_) => {
                            let o = doc.put_object(target, k, ObjType::Map)?;
                            v.write_into(doc, &o)?
                        }
                        Snapshot::List(_) => {
                            let o = doc.put_object(target, k, ObjType::List)?;
                            v.write_into(doc, &o)?
                        }
                        Snapshot::Text(_) => {
                            let o = doc.put_object(target, k, ObjType::Text)?;
                            v.write_into(doc, &o)?
                        }
                    }
                }
            }
            Snapshot::List(items) => {
                for (i, v) in items.into_iter().enumerate() {
                    match v {
                        Snapshot::Scalar(s) => doc.insert(target, i, s)?,
                        Snapshot::Map(_) => {
                            let o = doc.insert_object(target, i, ObjType::Map)?;
                            v.write_into(doc, &o)?
                        }
                        Snapshot::List(_) => {
                            let o = doc.insert_object(target, i, ObjType::List)?;
                            v.write_into(doc, &o)?
                        }
                        Snapshot::Text(_) => {
                            let o = doc.insert_object(target, i, ObjType::Text)?;
                            v.write_into(doc, &o)?
                        }
                    }
                }
            }
            Snapshot::Text(t) => doc.splice_text(target, 0, 0, &t)?,
            Snapshot::Scalar(_) => {}
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use automerge::transaction::CommitOptions;

    use super::*;

    #[test]
    fn each_concurrent_value_names_its_writer_and_change() {
        let mut base = AutoCommit::new();
        base.put(ROOT, "headcount", 3_i64).expect("put");
        base.commit();
        let mut a = base.fork().with_actor(automerge::ActorId::from(b"aaaa".as_slice()));
        let mut b = base.fork().with_actor(automerge::ActorId::from(b"bbbb".as_slice()));
        a.put(ROOT, "headcount", 4_i64).expect("put");
        a.commit_with(CommitOptions::default().with_message("edit\n\nAuthor: 李工").with_time(100));
        b.put(ROOT, "headcount", 5_i64).expect("put");
        b.commit_with(CommitOptions::default().with_message("edit\n\nAuthor: 王工").with_time(200));
        a.merge(&mut b).expect("merge");
        let found = find_conflict_sources(&mut a).expect("sources");
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!(c.conflict.path, "headcount");
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].value, c.conflict.values[0], "winner first");
        for s in &c.sources {
            let (who, time) = if s.value == "4" { ("李工", 100) } else { ("王工", 200) };
            assert!(s.message.as_deref().is_some_and(|m| m.contains(who)), "{s:?}");
            assert_eq!(s.time, time);
            assert_eq!(s.actor, if s.value == "4" { "61616161" } else { "62626262" });
        }
        assert_eq!(find_conflicts(&a).expect("conflicts"), vec![c.conflict.clone()]);
    }
}
