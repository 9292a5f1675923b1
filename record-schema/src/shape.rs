//! What a record document may hold, and the one check that a document holds nothing else.
//!
//! A document arrives from a phone (or a peer, on phone import) as Automerge changes, which can
//! build any tree: a map nested hundreds deep, a text object of millions of characters, keys no
//! reader knows. Readers only look at the fields they define, so such content would sit unseen in
//! the stored document until some walk over the whole tree (the conflict finder, a record view)
//! hits it. `check` refuses it at the door instead: every key must be one the schema defines for
//! its place, every value of the type the schema says, every text within its byte limit, every
//! keyed map and list within its count. Concurrent values (conflicts) are checked too, since
//! conflict views render them. The walk follows the schema's tree, so its depth is the schema's
//! (four levels at most) whatever the document holds, and it uses an explicit stack.
//!
//! What was deleted is not visible here; `check_size` bounds the whole history (operations and
//! changes), so a deleted 20-million-character text cannot hide in a document either.

use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use rust_decimal::Decimal;

use crate::money::{Currency, canonical_quantity, parse_strict};
use crate::validate::{MAX_HEADCOUNT, MAX_ID_NUMBER_BYTES, MAX_NAME_BYTES, MAX_NOTE_BYTES};
use crate::{RecordKind, SchemaError};

/// Bytes of a document id, and of any key of a keyed map (line ids, photo hashes).
pub const MAX_ID_BYTES: usize = 200;
/// Crew lines a labour sheet may hold (removed ones included: they stay as tombstones).
pub const MAX_CREW_LINES: usize = 1_000;
/// Photos (or receipts) on one record.
pub const MAX_PHOTOS: usize = 200;
/// Operations a record document may hold over its whole history. A busy 50-line sheet edited all
/// day has a few thousand; a 20-million-character text has 20 million.
pub const MAX_DOC_OPS: u64 = 500_000;
/// Changes in a record document's history (a phone makes one per save).
pub const MAX_DOC_CHANGES: u64 = 50_000;
/// Bytes of decimal text (amounts, quantities) and other short codes.
const SHORT: usize = 40;

/// The schema's tree: what may stand at each place of a document.
#[derive(Debug)]
enum Shape {
    /// Text (a string scalar) of at most this many bytes.
    Text(usize),
    /// An integer.
    Int,
    /// A timestamp (or an integer, as older writers stored).
    Time,
    /// A number (coordinates): a float or an integer.
    Number,
    /// Money in the record's currency, as its canonical text (`350.00`, see `money`).
    Amount,
    /// A quantity (hours, days, percent, installed quantity), as its canonical text (`7.5`).
    Quantity,
    /// A map with these keys (each optional).
    Map(&'static [(&'static str, Shape)]),
    /// A map from ids (of at most `MAX_ID_BYTES`) to values of one shape, at most `usize` of them.
    Keyed(usize, &'static Shape),
    /// A list of values of one shape, at most `usize` of them.
    List(usize, &'static Shape),
}

use Shape::{Amount, Int, Keyed, List, Map, Number, Quantity, Text, Time};

const NAME: Shape = Text(MAX_NAME_BYTES);
const NOTE: Shape = Text(MAX_NOTE_BYTES);
const CODE: Shape = Text(SHORT);
const HASH: Shape = Text(64);

static WORKER: Shape = Map(&[("name", NAME), ("id_number", Text(MAX_ID_NUMBER_BYTES))]);

static CREW_LINE: Shape = Map(&[
    ("id", Text(MAX_ID_BYTES)),
    ("position", Int),
    ("trade", NAME),
    ("crew", NAME),
    ("headcount", Int),
    ("effort_unit", CODE),
    ("effort", Quantity),
    ("rate", Amount),
    ("cost_code", NAME),
    ("activity", NAME),
    ("note", NOTE),
    ("presence", CODE),
    ("workers", List(MAX_HEADCOUNT as usize, &WORKER)),
]);

static PHOTO: Shape = Map(&[
    ("sha256", HASH),
    ("byte_size", Int),
    ("width", Int),
    ("height", Int),
    ("mime", CODE),
    ("captured_at", Time),
    ("latitude", Number),
    ("longitude", Number),
    ("accuracy_m", Number),
    ("thumbnail_sha256", HASH),
]);

/// Every record's root starts with these (see `record::RecordHeader`).
macro_rules! root {
    ($($field:expr),* $(,)?) => {
        Map(&[
            ("kind", CODE),
            ("schema_version", Int),
            ("id", Text(MAX_ID_BYTES)),
            ("project_id", NAME),
            ("site_id", NAME),
            ("time_zone", Text(64)),
            ("author", NAME),
            ("created_at", Time),
            ("void", Map(&[("reason", NOTE), ("by", NAME), ("at", Time)])),
            $($field),*
        ])
    };
}

static LABOUR_SHEET: Shape =
    root![("work_date", CODE), ("currency", CODE), ("note", NOTE), ("lines", Keyed(MAX_CREW_LINES, &CREW_LINE)),];

static EXPENSE: Shape = root![
    ("date", CODE),
    ("amount", Amount),
    ("currency", CODE),
    ("category", NAME),
    ("vendor", NAME),
    ("cost_code", NAME),
    ("note", NOTE),
    ("receipts", Keyed(MAX_PHOTOS, &PHOTO)),
];

static PROGRESS_REPORT: Shape = root![
    ("date", CODE),
    ("activity", NAME),
    ("measure", CODE),
    ("value", Quantity),
    ("unit", NAME),
    ("caption", NOTE),
    ("photos", Keyed(MAX_PHOTOS, &PHOTO)),
];

/// The schema of a foreman's record kind (server-owned kinds are never taken from a phone).
fn schema(kind: RecordKind) -> Option<&'static Shape> {
    match kind {
        RecordKind::LabourSheet => Some(&LABOUR_SHEET),
        RecordKind::Expense => Some(&EXPENSE),
        RecordKind::ProgressReport => Some(&PROGRESS_REPORT),
        RecordKind::ReferenceData | RecordKind::Approval => None,
    }
}

fn refuse(path: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Malformed {
        field: if path.is_empty() { "(root)".into() } else { path.to_string() },
        reason: reason.into(),
    }
}

/// The document's history is within `MAX_DOC_OPS` operations and `MAX_DOC_CHANGES` changes.
pub fn check_size(doc: &AutoCommit) -> Result<(), SchemaError> {
    let stats = doc.stats();
    if stats.num_ops > MAX_DOC_OPS {
        return Err(SchemaError::TooLarge(format!(
            "the document holds {} operations; a record may hold at most {MAX_DOC_OPS}",
            stats.num_ops
        )));
    }
    if stats.num_changes > MAX_DOC_CHANGES {
        return Err(SchemaError::TooLarge(format!(
            "the document holds {} changes; a record may hold at most {MAX_DOC_CHANGES}",
            stats.num_changes
        )));
    }
    Ok(())
}

/// Checks that `doc`, a record of `kind`, holds only what the schema defines (see the module
/// notes), and that its history is within `check_size`'s bounds. The first breach is named by its
/// path (`lines/<id>/crew`) and the limit.
pub fn check(doc: &AutoCommit, kind: RecordKind) -> Result<(), SchemaError> {
    check_size(doc)?;
    let Some(root) = schema(kind) else {
        return Err(SchemaError::NotARecord(format!("{kind} is written by the server only")));
    };
    // Amounts are checked against the record's currency (as the readers take it: CNY if absent).
    let currency = match crate::doc::get_str(doc, &automerge::ROOT, "currency")? {
        Some(c) => c.parse::<Currency>().map_err(|e| refuse("currency", e.reason))?,
        None => Currency::default(),
    };
    let mut stack: Vec<(ObjId, &'static Shape, String)> = vec![(automerge::ROOT, root, String::new())];
    while let Some((obj, shape, path)) = stack.pop() {
        let at = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}/{key}") };
        match shape {
            Map(fields) => {
                expect_object(doc, &obj, ObjType::Map, &path)?;
                each_in_map(doc, &obj, |key, value, id| {
                    let Some((_, child)) = fields.iter().find(|(k, _)| *k == key) else {
                        return Err(refuse(&at(key), "this field is not part of the record's schema"));
                    };
                    check_value(&value, id, child, at(key), currency, &mut stack)
                })?;
            }
            Keyed(max, child) => {
                expect_object(doc, &obj, ObjType::Map, &path)?;
                let count = doc.length(&obj);
                if count > *max {
                    return Err(refuse(&path, format!("holds {count} entries; at most {max} are allowed")));
                }
                each_in_map(doc, &obj, |key, value, id| {
                    if key.len() > MAX_ID_BYTES {
                        return Err(refuse(&path, format!("a key is {} bytes; at most {MAX_ID_BYTES}", key.len())));
                    }
                    check_value(&value, id, child, at(key), currency, &mut stack)
                })?;
            }
            List(max, child) => {
                expect_object(doc, &obj, ObjType::List, &path)?;
                let count = doc.length(&obj);
                if count > *max {
                    return Err(refuse(&path, format!("holds {count} items; at most {max} are allowed")));
                }
                for item in doc.list_range(&obj, ..) {
                    let values = match item.conflict {
                        false => vec![(item.value.clone().into_value(), item.id())],
                        true => doc.get_all(&obj, item.index)?,
                    };
                    for (value, id) in values {
                        check_value(&value, id, child, at(&item.index.to_string()), currency, &mut stack)?;
                    }
                }
            }
            // Scalars are checked where they are met (`check_value`); only objects are stacked.
            Text(_) | Int | Time | Number | Amount | Quantity => {}
        }
    }
    Ok(())
}

/// Calls `f` with each key of map `obj` and its value, in one pass over the map (a seek per key
/// would cost a sheet's 650 keys as many searches); a key in conflict, with each concurrent value.
fn each_in_map(
    doc: &AutoCommit,
    obj: &ObjId,
    mut f: impl FnMut(&str, Value<'static>, ObjId) -> Result<(), SchemaError>,
) -> Result<(), SchemaError> {
    for item in doc.map_range(obj, ..) {
        if item.conflict {
            for (value, id) in doc.get_all(obj, item.key.as_ref())? {
                f(&item.key, value.into_owned(), id)?;
            }
        } else {
            let id = item.id();
            f(&item.key, item.value.into_value(), id)?;
        }
    }
    Ok(())
}

fn expect_object(doc: &AutoCommit, obj: &ObjId, ty: ObjType, path: &str) -> Result<(), SchemaError> {
    match doc.object_type(obj)? {
        t if t == ty => Ok(()),
        t => Err(refuse(path, format!("expected a {ty:?}, found a {t:?}"))),
    }
}

/// One value against its shape: a scalar is checked at once, an object is stacked for the walk.
fn check_value(
    value: &Value<'_>,
    id: ObjId,
    shape: &'static Shape,
    path: String,
    currency: Currency,
    stack: &mut Vec<(ObjId, &'static Shape, String)>,
) -> Result<(), SchemaError> {
    match (value, shape) {
        (Value::Object(_), Map(_) | Keyed(..) | List(..)) => {
            stack.push((id, shape, path));
            Ok(())
        }
        (Value::Object(t), _) => Err(refuse(&path, format!("expected a value, found a {t:?} object"))),
        (Value::Scalar(_), Map(_) | Keyed(..) | List(..)) => Err(refuse(&path, "expected an object, found a value")),
        (Value::Scalar(s), _) => check_scalar(s.as_ref(), shape, currency, &path),
    }
}

fn check_scalar(s: &ScalarValue, shape: &Shape, currency: Currency, path: &str) -> Result<(), SchemaError> {
    match (s, shape) {
        (ScalarValue::Str(t), Amount) => canonical(path, t, |d| currency.canonical(d), "an amount"),
        (ScalarValue::Str(t), Quantity) => canonical(path, t, canonical_quantity, "a quantity"),
        // An absent optional field may be stored as null.
        (ScalarValue::Null, _) => Ok(()),
        (ScalarValue::Str(t), Text(max)) if t.len() > *max => {
            Err(refuse(path, format!("is {} bytes long; at most {max} bytes are allowed", t.len())))
        }
        (ScalarValue::Str(_), Text(_)) => Ok(()),
        (ScalarValue::Int(_) | ScalarValue::Uint(_), Int | Time | Number) => Ok(()),
        (ScalarValue::Timestamp(_), Time) => Ok(()),
        (ScalarValue::F64(_), Number) => Ok(()),
        (other, _) => Err(refuse(path, format!("expected {}, found {other:?}", expected(shape)))),
    }
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Text(_) => "text",
        Amount | Quantity => "decimal text",
        Int => "an integer",
        Time => "a timestamp",
        Number => "a number",
        Map(_) | Keyed(..) | List(..) => "an object",
    }
}

/// Decimal text in a document is what a Fieldledger writer writes: the strict syntax
/// (`money::parse_strict`) and the canonical form of its value (`350.00` for CNY money, `7.5` for a
/// quantity), so `1e5`, `+350.00`, `0350.00`, `.5`, `-0.00` or `350` for an amount never post.
fn canonical(path: &str, text: &str, form: impl Fn(Decimal) -> String, what: &str) -> Result<(), SchemaError> {
    if text.len() > SHORT {
        return Err(refuse(path, format!("is {} bytes long; at most {SHORT} bytes are allowed", text.len())));
    }
    let value = parse_strict(path, text, crate::doc::MAX_STORED_SCALE).map_err(|e| refuse(path, e.reason))?;
    let want = form(value);
    if want != text {
        return Err(refuse(path, format!("{what} is written {want:?}, not {text:?}")));
    }
    Ok(())
}
