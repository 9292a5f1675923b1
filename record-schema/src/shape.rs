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

use automerge::{AutoCommit, ObjId, ObjType, Patch, PatchAction, Prop, ReadDoc, ScalarValue, Value};
use rust_decimal::Decimal;

use crate::day_log::{MAX_DELAYS, MAX_VISITORS};
use crate::doc::{found, found_object, integral, not_integral};
use crate::money::{Currency, canonical_quantity, parse_strict};
use crate::validate::{MAX_HEADCOUNT, MAX_ID_NUMBER_BYTES, MAX_NAME_BYTES, MAX_NOTE_BYTES, MAX_REASON_BYTES};
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
pub(crate) enum Shape {
    /// Text of at most this many bytes: a string scalar, or a text object (how JavaScript
    /// Automerge stores strings) holding characters only.
    Text(usize),
    /// An integer: an int, a uint, or a float64 that is integral and within ±2^53 (how JavaScript
    /// stores some numbers).
    Int,
    /// A timestamp (or an integer as `Int` takes it, as older writers and JavaScript store it).
    Time,
    /// A number (coordinates): a float or an integer.
    Number,
    /// Money in the record's currency, as its canonical text (`350.00`, see `money`), a string or a
    /// text object like `Text`; so are `Rate` and `Quantity`.
    Amount,
    /// A rate in the record's currency: its canonical text keeps the office's decimals (`45.625`,
    /// `350.00`: see `Currency::canonical_rate`).
    Rate,
    /// A quantity (hours, days, percent, installed quantity), as its canonical text (`7.5`).
    Quantity,
    /// A map with these keys (each optional).
    Map(&'static [(&'static str, Shape)]),
    /// A map from ids (of at most `MAX_ID_BYTES`) to values of one shape, at most `usize` of them.
    Keyed(usize, &'static Shape),
    /// A list of values of one shape, at most `usize` of them.
    List(usize, &'static Shape),
}

use Shape::{Amount, Int, Keyed, List, Map, Number, Quantity, Rate, Text, Time};

const NAME: Shape = Text(MAX_NAME_BYTES);
const NOTE: Shape = Text(MAX_NOTE_BYTES);
const CODE: Shape = Text(SHORT);
const HASH: Shape = Text(64);

const WORKER: Shape = Map(&[("name", NAME), ("id_number", Text(MAX_ID_NUMBER_BYTES)), ("worker_id", NAME)]);

static CREW_LINE: Shape = Map(&[
    ("id", Text(MAX_ID_BYTES)),
    ("position", Int),
    ("trade", NAME),
    ("crew", NAME),
    ("headcount", Int),
    ("effort_unit", CODE),
    ("effort", Quantity),
    ("rate", Rate),
    ("rate_unit", CODE),
    ("hours_per_day", Quantity),
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

static WAGE_ADVANCE: Shape = root![
    ("date", CODE),
    ("worker", WORKER),
    ("crew", NAME),
    ("amount", Amount),
    ("currency", CODE),
    ("reason", Text(MAX_REASON_BYTES)),
    ("note", NOTE),
    ("slips", Keyed(MAX_PHOTOS, &PHOTO)),
];

static OBSERVATION: Shape = root![
    ("date", CODE),
    ("category", CODE),
    ("severity", CODE),
    ("title", NAME),
    ("description", NOTE),
    ("place", NAME),
    ("gps", Map(&[("latitude", Number), ("longitude", Number), ("accuracy_m", Number)])),
    ("activity", NAME),
    ("photos", Keyed(MAX_PHOTOS, &PHOTO)),
];

static VISITOR: Shape =
    Map(&[("id", Text(MAX_ID_BYTES)), ("position", Int), ("name", NAME), ("organisation", NAME), ("purpose", NAME)]);

static DELAY: Shape =
    Map(&[("id", Text(MAX_ID_BYTES)), ("position", Int), ("cause", CODE), ("hours", Quantity), ("description", NOTE)]);

static DAY_LOG: Shape = root![
    ("date", CODE),
    ("weather_am", CODE),
    ("weather_pm", CODE),
    ("temp_low_c", Quantity),
    ("temp_high_c", Quantity),
    ("notes", NOTE),
    ("visitors", Keyed(MAX_VISITORS, &VISITOR)),
    ("delays", Keyed(MAX_DELAYS, &DELAY)),
];

/// The schema of a foreman's record kind (server-owned kinds are never taken from a phone).
pub(crate) fn schema(kind: RecordKind) -> Option<&'static Shape> {
    match kind {
        RecordKind::LabourSheet => Some(&LABOUR_SHEET),
        RecordKind::Expense => Some(&EXPENSE),
        RecordKind::ProgressReport => Some(&PROGRESS_REPORT),
        RecordKind::WageAdvance => Some(&WAGE_ADVANCE),
        RecordKind::Observation => Some(&OBSERVATION),
        RecordKind::DayLog => Some(&DAY_LOG),
        RecordKind::ReferenceData | RecordKind::Approval | RecordKind::FollowUp => None,
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
    let root = schema_of(kind)?;
    let mut walk =
        Walk { doc, currency: currency_of(doc)?, stack: vec![(automerge::ROOT, root, String::new())], bounded: vec![] };
    walk.run()
}

/// `check` for a document whose version before `patches` passed it: only what the patches name is
/// checked (an object they create, whole), so a one-line edit of a 50-line sheet costs a few
/// lookups, not a walk of the sheet. `patches` must be every visible change since that version
/// (Automerge's patch log, as `Record::take_patches` gives it). Content written inside a value that
/// lost a conflict is not visible and makes no patch: readers never read it, conflict views walk it
/// within `conflicts::MAX_DEPTH`, and `check_size` bounds it with the rest of the history.
pub fn check_patched(doc: &AutoCommit, kind: RecordKind, patches: &[Patch]) -> Result<(), SchemaError> {
    check_size(doc)?;
    let root = schema_of(kind)?;
    // A new currency changes what every amount must read as (put at the root, or spliced into the
    // text object JavaScript keeps it in).
    let currency_changed = patches.iter().any(|p| {
        let at_root = p.path.is_empty()
            && matches!(&p.action, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } if key == "currency");
        at_root || p.path.first().is_some_and(|(_, prop)| matches!(prop, Prop::Map(k) if k == "currency"))
    });
    if currency_changed {
        return check(doc, kind);
    }
    let mut walk = Walk { doc, currency: currency_of(doc)?, stack: Vec::new(), bounded: Vec::new() };
    // Fields whose text objects the patches edit, each checked once.
    let mut texts: Vec<(&ObjId, &Prop)> = Vec::new();
    for p in patches {
        let (shape, path) = locate(root, &p.path)?;
        if !matches!(shape, Map(_) | Keyed(..) | List(..)) {
            // The patched object stands where a value belongs: a text object, which JavaScript's
            // edits of a string splice (or anything else there, refused by the field's check). The
            // field holding it is checked again, whole: its bytes, its decimal form.
            if let PatchAction::Mark { .. } = &p.action {
                return Err(refuse(&path, "text in a record holds no formatting marks"));
            }
            let Some(((obj, prop), parent)) = p.path.split_last() else {
                return Err(refuse(&path, "expected an object"));
            };
            if !texts.contains(&(obj, prop)) {
                let (parent_shape, parent_path) = locate(root, parent)?;
                walk.entry(obj, parent_shape, &parent_path, prop.clone())?;
                texts.push((obj, prop));
            }
            continue;
        }
        match &p.action {
            PatchAction::PutMap { key, .. } => walk.entry(&p.obj, shape, &path, Prop::Map(key.clone()))?,
            PatchAction::PutSeq { index, .. } => walk.entry(&p.obj, shape, &path, Prop::Seq(*index))?,
            PatchAction::Conflict { prop } => walk.entry(&p.obj, shape, &path, prop.clone())?,
            PatchAction::Insert { index, values } => {
                for i in *index..index.saturating_add(values.len()) {
                    walk.entry(&p.obj, shape, &path, Prop::Seq(i))?;
                }
            }
            PatchAction::DeleteMap { .. } | PatchAction::DeleteSeq { .. } => {}
            PatchAction::SpliceText { .. } | PatchAction::Mark { .. } => {
                return Err(refuse(&path, "expected an object, found text"));
            }
            PatchAction::Increment { .. } => return Err(refuse(&path, "a record holds no counters")),
        }
    }
    walk.run()
}

fn schema_of(kind: RecordKind) -> Result<&'static Shape, SchemaError> {
    schema(kind).ok_or_else(|| SchemaError::NotARecord(format!("{kind} is written by the server only")))
}

/// Amounts are checked against the record's currency (as the readers take it: CNY if absent).
fn currency_of(doc: &AutoCommit) -> Result<Currency, SchemaError> {
    match crate::doc::get_str(doc, &automerge::ROOT, "currency")? {
        Some(c) => c.parse::<Currency>().map_err(|e| refuse("currency", e.reason)),
        None => Ok(Currency::default()),
    }
}

/// The shape of the object a patch's path leads to, and the path as text.
fn locate(root: &'static Shape, path: &[(ObjId, Prop)]) -> Result<(&'static Shape, String), SchemaError> {
    let mut shape = root;
    let mut at = String::new();
    for (_, prop) in path {
        (shape, at) = step(shape, &at, prop)?;
    }
    Ok((shape, at))
}

/// What stands at `prop` of an object of `shape` at `path`, and its path: a field of a map, any
/// id of a keyed map (within `MAX_ID_BYTES`), any index of a list; anything else is refused.
fn step(shape: &'static Shape, path: &str, prop: &Prop) -> Result<(&'static Shape, String), SchemaError> {
    let name = match prop {
        Prop::Map(k) => k.clone(),
        Prop::Seq(i) => i.to_string(),
    };
    let at = if path.is_empty() { name } else { format!("{path}/{name}") };
    let child = match (shape, prop) {
        (Map(fields), Prop::Map(k)) => match fields.iter().find(|(f, _)| f == k) {
            Some((_, child)) => child,
            None => return Err(refuse(&at, "this field is not part of the record's schema")),
        },
        (Keyed(..), Prop::Map(k)) if k.len() > MAX_ID_BYTES => {
            return Err(refuse(path, format!("a key is {} bytes; at most {MAX_ID_BYTES}", k.len())));
        }
        (Keyed(_, child), Prop::Map(_)) | (List(_, child), Prop::Seq(_)) => child,
        _ => return Err(refuse(&at, "this place is not part of the record's schema")),
    };
    Ok((child, at))
}

/// A check under way: objects still to walk, with their shapes and paths.
struct Walk<'a> {
    doc: &'a AutoCommit,
    currency: Currency,
    stack: Vec<(ObjId, &'static Shape, String)>,
    /// Objects whose type and count `entry` has checked (a merge's patches name a few objects,
    /// often many times each).
    bounded: Vec<ObjId>,
}

impl Walk<'_> {
    /// Walks every stacked object (and what they hold) to the bottom.
    fn run(&mut self) -> Result<(), SchemaError> {
        while let Some((obj, shape, path)) = self.stack.pop() {
            self.object(&obj, shape, &path)?;
        }
        Ok(())
    }

    /// Every entry of one object, read in one pass (a seek per key would cost a sheet's 650 keys as
    /// many searches); a key in conflict with each concurrent value.
    fn object(&mut self, obj: &ObjId, shape: &'static Shape, path: &str) -> Result<(), SchemaError> {
        self.bounds(obj, shape, path)?;
        let doc = self.doc;
        if let List(..) = shape {
            for item in doc.list_range(obj, ..) {
                let values = match item.conflict {
                    false => vec![(item.value.clone().into_value(), item.id())],
                    true => doc.get_all(obj, item.index)?,
                };
                self.values(shape, path, &Prop::Seq(item.index), values)?;
            }
        } else {
            for item in doc.map_range(obj, ..) {
                let prop = Prop::Map(item.key.to_string());
                let values = match item.conflict {
                    false => vec![(item.value.clone().into_value(), item.id())],
                    true => doc.get_all(obj, item.key.as_ref())?,
                };
                self.values(shape, path, &prop, values)?;
            }
        }
        Ok(())
    }

    /// One entry of an object whose other entries are known good (an entry a patch names).
    fn entry(&mut self, obj: &ObjId, shape: &'static Shape, path: &str, prop: Prop) -> Result<(), SchemaError> {
        if !self.bounded.contains(obj) {
            self.bounds(obj, shape, path)?;
            self.bounded.push(obj.clone());
        }
        let values = self.doc.get_all(obj, prop.clone())?;
        self.values(shape, path, &prop, values)
    }

    /// The object is of the shape's type, and a keyed map or list within its count.
    fn bounds(&self, obj: &ObjId, shape: &'static Shape, path: &str) -> Result<(), SchemaError> {
        let (ty, max, what) = match shape {
            Map(_) => (ObjType::Map, usize::MAX, ""),
            Keyed(max, _) => (ObjType::Map, *max, "entries"),
            List(max, _) => (ObjType::List, *max, "items"),
            _ => return Err(refuse(path, "expected a value, found an object")),
        };
        match self.doc.object_type(obj)? {
            t if t == ty => {}
            t => return Err(refuse(path, format!("expected {}, found {}", found_object(ty), found_object(t)))),
        }
        // (A plain map's keys are bounded by its shape: no count to take.)
        if max < usize::MAX {
            let count = self.doc.length(obj);
            if count > max {
                return Err(refuse(path, format!("holds {count} {what}; at most {max} are allowed")));
            }
        }
        Ok(())
    }

    /// The values at `prop` of an object of `shape` (one, or several in conflict).
    fn values(
        &mut self,
        shape: &'static Shape,
        path: &str,
        prop: &Prop,
        values: Vec<(Value<'_>, ObjId)>,
    ) -> Result<(), SchemaError> {
        let (child, at) = step(shape, path, prop)?;
        for (value, id) in values {
            match (&value, child) {
                // Objects are stacked for the walk; scalars are checked at once.
                (Value::Object(_), Map(_) | Keyed(..) | List(..)) => self.stack.push((id, child, at.clone())),
                (Value::Object(ObjType::Text), Text(_) | Amount | Rate | Quantity) => {
                    check_text(self.doc, &id, child, self.currency, &at)?
                }
                (Value::Object(t), _) => {
                    return Err(refuse(&at, format!("expected {}, found {}", expected(child), found_object(*t))));
                }
                (Value::Scalar(_), Map(_) | Keyed(..) | List(..)) => {
                    return Err(refuse(&at, "expected an object, found a value"));
                }
                (Value::Scalar(s), _) => check_scalar(s.as_ref(), child, self.currency, &at)?,
            }
        }
        Ok(())
    }
}

/// A text object where the schema has a string (how JavaScript Automerge stores strings): within
/// the field's bytes (its length taken before its text is copied out), characters only (no
/// embedded objects, no marks), and then what the same text as a string scalar must be.
fn check_text(doc: &AutoCommit, id: &ObjId, shape: &Shape, currency: Currency, path: &str) -> Result<(), SchemaError> {
    let max = match shape {
        Text(max) => *max,
        _ => SHORT,
    };
    let text = crate::doc::text_object(doc, id, max).map_err(|why| refuse(path, why))?;
    if text.contains('\u{fffc}') {
        return Err(refuse(path, "text in a record holds characters only, not embedded objects"));
    }
    if !doc.marks(id)?.is_empty() {
        return Err(refuse(path, "text in a record holds no formatting marks"));
    }
    check_scalar(&ScalarValue::Str(text.into()), shape, currency, path)
}

fn check_scalar(s: &ScalarValue, shape: &Shape, currency: Currency, path: &str) -> Result<(), SchemaError> {
    match (s, shape) {
        (ScalarValue::Str(t), Amount) => canonical(path, t, |d| currency.canonical(d), "an amount"),
        (ScalarValue::Str(t), Rate) => canonical(path, t, |d| currency.canonical_rate(d), "a rate"),
        (ScalarValue::Str(t), Quantity) => canonical(path, t, canonical_quantity, "a quantity"),
        // An absent optional field may be stored as null.
        (ScalarValue::Null, _) => Ok(()),
        (ScalarValue::Str(t), Text(max)) if t.len() > *max => {
            Err(refuse(path, format!("is {} bytes long; at most {max} bytes are allowed", t.len())))
        }
        (ScalarValue::Str(_), Text(_)) => Ok(()),
        (ScalarValue::Int(_) | ScalarValue::Uint(_), Int | Time | Number) => Ok(()),
        (ScalarValue::F64(f), Int | Time) => match integral(*f) {
            Some(_) => Ok(()),
            None => Err(refuse(path, not_integral(expected(shape), *f))),
        },
        (ScalarValue::Timestamp(_), Time) => Ok(()),
        (ScalarValue::F64(_), Number) => Ok(()),
        (other, _) => Err(refuse(path, format!("expected {}, found {}", expected(shape), found(other)))),
    }
}

fn expected(shape: &Shape) -> &'static str {
    match shape {
        Text(_) => "text",
        Amount | Rate | Quantity => "decimal text",
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
