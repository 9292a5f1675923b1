//! Small typed helpers over Automerge maps, used by every record kind's codec.
//!
//! Writes are *reconciling*: a value is only put when it differs from what the document holds, so an
//! edit that changes one field produces one operation and merges cleanly with other devices' edits of
//! other fields. Reads take the winning value of a field; `conflicts` reports the others.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, ValueRef};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{RecordKind, SchemaError};

pub const KIND_KEY: &str = "kind";
pub const VERSION_KEY: &str = "schema_version";

fn malformed(field: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Malformed { field: field.to_string(), reason: reason.into() }
}

/// The kind and schema version stamped in a document's root, checked against this build.
pub fn read_kind(doc: &AutoCommit) -> Result<RecordKind, SchemaError> {
    check_kind(get_str(doc, &ROOT, KIND_KEY)?, get_i64(doc, &ROOT, VERSION_KEY)?)
}

/// `read_kind` from the root's fields.
pub fn kind_of(root: &Fields) -> Result<RecordKind, SchemaError> {
    check_kind(root.str(KIND_KEY)?, root.i64(VERSION_KEY)?)
}

/// `expect_kind` from the root's fields.
pub fn expect_kind_of(root: &Fields, expected: RecordKind) -> Result<(), SchemaError> {
    same_kind(kind_of(root)?, expected)
}

fn check_kind(kind: Option<String>, version: Option<i64>) -> Result<RecordKind, SchemaError> {
    let kind = kind.ok_or_else(|| SchemaError::NotARecord("no `kind` in document root".into()))?;
    let kind = RecordKind::from_str(&kind)?;
    let version = version.ok_or_else(|| SchemaError::NotARecord("no `schema_version` in document root".into()))?;
    if version > kind.schema_version() {
        return Err(SchemaError::NewerSchemaVersion {
            kind: kind.to_string(),
            found: version,
            supported: kind.schema_version(),
        });
    }
    if version < 1 {
        return Err(malformed(VERSION_KEY, format!("version {version} is not valid")));
    }
    Ok(kind)
}

fn same_kind(found: RecordKind, expected: RecordKind) -> Result<(), SchemaError> {
    if found != expected {
        return Err(SchemaError::WrongKind { expected: expected.to_string(), found: found.to_string() });
    }
    Ok(())
}

/// Checks the document is of `expected` kind and a version this build reads.
pub fn expect_kind(doc: &AutoCommit, expected: RecordKind) -> Result<(), SchemaError> {
    same_kind(read_kind(doc)?, expected)
}

/// Stamps kind and schema version (only when they differ, like every other write).
pub fn stamp_kind(doc: &mut AutoCommit, kind: RecordKind) -> Result<(), SchemaError> {
    put_str(doc, &ROOT, KIND_KEY, kind.as_str())?;
    put_scalar(doc, &ROOT, VERSION_KEY, ScalarValue::Int(kind.schema_version()))
}

// ---------- reads ----------

// Standard Automerge writers store the schema's types in more than one way, and every typed read
// takes each of them (the type rules of docs/writing-a-client.md):
// - a string as a scalar string (Fieldledger's writers) or as a text object (JavaScript Automerge
//   3 stores every plain JS string so); a text object is read as its text, bounded before it is
//   copied out;
// - an integer as an int, a uint, or a float64 that is finite, integral and within ±2^53
//   (JavaScript stores 0 and negative numbers so); any other float is refused.
// Fieldledger's own writers keep writing scalar strings and ints.

/// The longest text object a typed read copies out: the longest text the schema allows anywhere
/// (a note). `shape::check` bounds each field to its own limit before a document from elsewhere is
/// read; this bound holds for every read, checked or not.
pub const MAX_TEXT_OBJECT_BYTES: usize = crate::validate::MAX_NOTE_BYTES;

/// 2^53: every integer up to it is exact in a float64, the number type of JavaScript.
pub const MAX_FLOAT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The integer a float64 stands for, if it is finite, integral and within ±2^53.
pub(crate) fn integral(f: f64) -> Option<i64> {
    // The cast is exact: |f| <= 2^53 and f has no fraction.
    (f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_FLOAT_INTEGER).then_some(f as i64)
}

/// Why a float is not an integer, in a few words (`expected an integer, found 1.5`).
pub(crate) fn not_integral(what: &str, f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 {
        format!("expected {what} within ±2^53, found {}", number(f))
    } else {
        format!("expected {what}, found {}", number(f))
    }
}

/// A float written plainly and briefly: `1.5`, `-3`, `1e300`, `NaN`.
pub(crate) fn number(f: f64) -> String {
    let plain = f == 0.0 || (f.abs() >= 1e-6 && f.abs() < 1e15);
    if plain || !f.is_finite() { format!("{f}") } else { format!("{f:e}") }
}

/// Text quoted for a message, cut to 24 characters: a refusal never echoes a whole note.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(24) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// A value as a refusal names it, in a few words (never a debug dump of a value or an object).
pub(crate) fn found(s: &ScalarValue) -> String {
    match s {
        ScalarValue::Str(t) => format!("the text {}", quoted(t)),
        ScalarValue::Int(i) => i.to_string(),
        ScalarValue::Uint(u) => u.to_string(),
        ScalarValue::F64(f) => number(*f),
        ScalarValue::Boolean(b) => b.to_string(),
        ScalarValue::Null => "null".into(),
        ScalarValue::Timestamp(t) => format!("the timestamp {t}"),
        ScalarValue::Counter(_) => "a counter".into(),
        ScalarValue::Bytes(b) => format!("{} bytes of binary", b.len()),
        ScalarValue::Unknown { .. } => "a value of an unknown type".into(),
    }
}

/// An object as a refusal names it.
pub(crate) fn found_object(t: ObjType) -> &'static str {
    match t {
        ObjType::Map | ObjType::Table => "a map",
        ObjType::List => "a list",
        ObjType::Text => "a text object",
    }
}

/// The text of text object `id` if it holds at most `max` bytes, or why not. Its length (in the
/// document's text units: code points, UTF-16 units or graphemes, never more than its UTF-8 bytes)
/// is checked before anything is copied out, so a text of millions of characters costs nothing.
pub fn text_object(doc: &AutoCommit, id: &ObjId, max: usize) -> Result<String, String> {
    let units = doc.length(id);
    if units > max {
        return Err(format!("is {units} characters long; at most {max} bytes are allowed"));
    }
    let text = doc.text(id).map_err(|e| e.to_string())?;
    if text.len() > max {
        return Err(format!("is {} bytes long; at most {max} bytes are allowed", text.len()));
    }
    Ok(text)
}

fn get_scalar(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<ScalarValue>, SchemaError> {
    match doc.get(obj, key)? {
        None => Ok(None),
        Some((Value::Object(ObjType::Text), id)) => text_scalar(key, doc, &id),
        Some((value, _)) => scalar_of(key, Some(value)),
    }
}

/// A text object read as the string scalar it stands for.
fn text_scalar(key: &str, doc: &AutoCommit, id: &ObjId) -> Result<Option<ScalarValue>, SchemaError> {
    let text = text_object(doc, id, MAX_TEXT_OBJECT_BYTES).map_err(|why| malformed(key, why))?;
    Ok(Some(ScalarValue::Str(text.into())))
}

// Each typed read is a converter from the field's winning value, shared by the one-key reads
// (`get_str(doc, obj, key)`) and the one-pass reads of `Fields`.

fn scalar_of(key: &str, value: Option<Value<'_>>) -> Result<Option<ScalarValue>, SchemaError> {
    match value {
        None => Ok(None),
        Some(Value::Scalar(s)) => match s.as_ref() {
            ScalarValue::Null => Ok(None),
            _ => Ok(Some(s.into_owned())),
        },
        Some(Value::Object(t)) => Err(malformed(key, format!("expected a value, found {}", found_object(t)))),
    }
}

fn str_of(key: &str, s: Option<ScalarValue>) -> Result<Option<String>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(malformed(key, format!("expected text, found {}", found(&other)))),
    }
}

fn i64_of(key: &str, s: Option<ScalarValue>) -> Result<Option<i64>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Int(i)) => Ok(Some(i)),
        Some(ScalarValue::Uint(u)) => {
            i64::try_from(u).map(Some).map_err(|_| malformed(key, format!("expected an integer, found {u}")))
        }
        Some(ScalarValue::F64(f)) => integral(f).map(Some).ok_or_else(|| malformed(key, not_integral("an integer", f))),
        Some(other) => Err(malformed(key, format!("expected an integer, found {}", found(&other)))),
    }
}

/// Decimals live in documents as canonical strings, never as floats, and are read by the same
/// strict rule as the phone's input (`money::parse_strict`): `1e5`, `+350.00`, `0350.00`, `.5` or
/// `-0.00` in a document are refused, not posted. The scale allowed here is the widest any field
/// has; each field's own (a currency's 2, a quantity's 2 or 3) is checked by validation.
fn decimal_of(key: &str, s: Option<String>) -> Result<Option<Decimal>, SchemaError> {
    match s {
        None => Ok(None),
        Some(s) if s.len() > MAX_DECIMAL_BYTES => {
            Err(malformed(key, format!("is {} bytes long; decimal text is at most {MAX_DECIMAL_BYTES} bytes", s.len())))
        }
        Some(s) => {
            crate::money::parse_strict(key, &s, MAX_STORED_SCALE).map(Some).map_err(|e| malformed(key, e.reason))
        }
    }
}

/// Decimals a stored number may carry (validation narrows it per field).
pub(crate) const MAX_STORED_SCALE: u32 = 6;

/// Bytes of decimal text (and of other short codes: see `shape`).
pub(crate) const MAX_DECIMAL_BYTES: usize = 40;

fn date_of(key: &str, s: Option<String>) -> Result<Option<NaiveDate>, SchemaError> {
    match s {
        None => Ok(None),
        Some(s) => NaiveDate::from_str(&s).map(Some).map_err(|e| malformed(key, format!("{}: {e}", quoted(&s)))),
    }
}

fn required<T>(key: &str, v: Option<T>) -> Result<T, SchemaError> {
    v.ok_or_else(|| malformed(key, "missing"))
}

pub fn get_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<String>, SchemaError> {
    str_of(key, get_scalar(doc, obj, key)?)
}

pub fn req_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<String, SchemaError> {
    required(key, get_str(doc, obj, key)?)
}

pub fn get_i64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<i64>, SchemaError> {
    i64_of(key, get_scalar(doc, obj, key)?)
}

pub fn get_f64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<f64>, SchemaError> {
    match get_scalar(doc, obj, key)? {
        None => Ok(None),
        Some(ScalarValue::F64(f)) => Ok(Some(f)),
        Some(ScalarValue::Int(i)) => Ok(Some(i as f64)),
        Some(ScalarValue::Uint(u)) => Ok(Some(u as f64)),
        Some(other) => Err(malformed(key, format!("expected a number, found {}", found(&other)))),
    }
}

pub fn get_bool(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<bool>, SchemaError> {
    match get_scalar(doc, obj, key)? {
        None => Ok(None),
        Some(ScalarValue::Boolean(b)) => Ok(Some(b)),
        Some(other) => Err(malformed(key, format!("expected true/false, found {}", found(&other)))),
    }
}

pub fn get_timestamp(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<i64>, SchemaError> {
    timestamp_of(key, get_scalar(doc, obj, key)?)
}

/// A timestamp (ms since the epoch), or an integer as older writers and JavaScript numbers store it.
fn timestamp_of(key: &str, s: Option<ScalarValue>) -> Result<Option<i64>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Timestamp(t)) | Some(ScalarValue::Int(t)) => Ok(Some(t)),
        Some(ScalarValue::Uint(u)) => {
            i64::try_from(u).map(Some).map_err(|_| malformed(key, format!("expected a timestamp, found {u}")))
        }
        Some(ScalarValue::F64(f)) => {
            integral(f).map(Some).ok_or_else(|| malformed(key, not_integral("a timestamp", f)))
        }
        Some(other) => Err(malformed(key, format!("expected a timestamp, found {}", found(&other)))),
    }
}

pub fn get_decimal(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<Decimal>, SchemaError> {
    decimal_of(key, get_str(doc, obj, key)?)
}

pub fn req_decimal(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Decimal, SchemaError> {
    required(key, get_decimal(doc, obj, key)?)
}

pub fn get_date(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<NaiveDate>, SchemaError> {
    date_of(key, get_str(doc, obj, key)?)
}

pub fn req_date(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<NaiveDate, SchemaError> {
    required(key, get_date(doc, obj, key)?)
}

/// The fields of one map, read in a single pass over it. Reading a record field by field with
/// `get` seeks through the document once per key; a sheet of 50 crew lines has some 650 of them,
/// and the server reads every sheet a phone changes (measured: the reads were a sixth of the
/// server's CPU per sync). Same values and errors as the one-key reads.
pub struct Fields {
    /// Each key with its winning value. A record's map has a dozen keys or so: a linear search
    /// beats anything cleverer.
    entries: Vec<(String, Entry)>,
}

enum Entry {
    /// A scalar (a stray object type lands in `Object`).
    Value(Value<'static>),
    Object(ObjType, ObjId),
    /// A text object's text, read with the map (within `MAX_TEXT_OBJECT_BYTES`; else why not).
    Text(Result<String, String>),
}

impl Fields {
    pub fn read(doc: &AutoCommit, obj: &ObjId) -> Self {
        let entries = doc.map_range(obj, ..).map(|item| {
            let key = item.key.to_string();
            let entry = match item.value {
                ValueRef::Object(ObjType::Text) => Entry::Text(text_object(doc, &item.id(), MAX_TEXT_OBJECT_BYTES)),
                ValueRef::Object(t) => Entry::Object(t, item.id()),
                ValueRef::Scalar(_) => Entry::Value(item.value.into_value()),
            };
            (key, entry)
        });
        Fields { entries: entries.collect() }
    }

    fn find(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }

    fn scalar(&self, key: &str) -> Result<Option<ScalarValue>, SchemaError> {
        match self.find(key) {
            None => Ok(None),
            Some(Entry::Value(v)) => scalar_of(key, Some(v.clone())),
            Some(Entry::Text(Ok(t))) => Ok(Some(ScalarValue::Str(t.as_str().into()))),
            Some(Entry::Text(Err(why))) => Err(malformed(key, why.clone())),
            Some(Entry::Object(t, _)) => Err(malformed(key, format!("expected a value, found {}", found_object(*t)))),
        }
    }

    pub fn str(&self, key: &str) -> Result<Option<String>, SchemaError> {
        str_of(key, self.scalar(key)?)
    }

    pub fn req_str(&self, key: &str) -> Result<String, SchemaError> {
        required(key, self.str(key)?)
    }

    pub fn i64(&self, key: &str) -> Result<Option<i64>, SchemaError> {
        i64_of(key, self.scalar(key)?)
    }

    pub fn decimal(&self, key: &str) -> Result<Option<Decimal>, SchemaError> {
        decimal_of(key, self.str(key)?)
    }

    pub fn req_decimal(&self, key: &str) -> Result<Decimal, SchemaError> {
        required(key, self.decimal(key)?)
    }

    pub fn timestamp(&self, key: &str) -> Result<Option<i64>, SchemaError> {
        timestamp_of(key, self.scalar(key)?)
    }

    pub fn req_date(&self, key: &str) -> Result<NaiveDate, SchemaError> {
        required(key, date_of(key, self.str(key)?)?)
    }

    /// The map under `key`, if present (as `get_map`: anything else there is an error).
    pub fn map(&self, key: &str) -> Result<Option<&ObjId>, SchemaError> {
        match self.find(key) {
            None => Ok(None),
            Some(Entry::Object(ObjType::Map, id)) => Ok(Some(id)),
            Some(_) => Err(malformed(key, "expected a map")),
        }
    }

    /// The object under `key` if it is of type `ty`.
    pub fn object(&self, key: &str, ty: ObjType) -> Option<&ObjId> {
        match self.find(key) {
            Some(Entry::Object(t, id)) if *t == ty => Some(id),
            _ => None,
        }
    }
}

/// The map object under `key`, if present.
pub fn get_map(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<ObjId>, SchemaError> {
    match doc.get(obj, key)? {
        None => Ok(None),
        Some((Value::Object(ObjType::Map), id)) => Ok(Some(id)),
        Some(_) => Err(malformed(key, "expected a map")),
    }
}

// ---------- writes ----------

/// Puts `value` unless the field already reads as exactly it. A field in conflict whose winner equals
/// `value` is left alone: re-saving a record must not silently settle a conflict the user has not seen
/// (settling is explicit, see `conflicts::resolve_conflict`).
pub fn put_scalar(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: ScalarValue) -> Result<(), SchemaError> {
    let same = match (doc.get(obj, key)?, &value) {
        (Some((Value::Scalar(s), _)), _) => reads_as(s.as_ref(), &value),
        // Text another writer stored as a text object (JavaScript's strings): rewritten as a
        // scalar only when it changed, so saving a record of such a writer is no edit of it.
        (Some((Value::Object(ObjType::Text), id)), ScalarValue::Str(want)) => {
            doc.length(&id) <= want.len() && doc.text(&id).is_ok_and(|t| t == want.as_str())
        }
        _ => false,
    };
    if !same {
        doc.put(obj, key, value)?;
    }
    Ok(())
}

/// Whether a stored scalar reads as `value`: the same scalar, or an integer (or timestamp) another
/// writer stored as an int or an integral float64 (JavaScript's 0 and negatives, `Date.now()`).
fn reads_as(stored: &ScalarValue, value: &ScalarValue) -> bool {
    let as_integer = |s: &ScalarValue| match s {
        ScalarValue::Int(i) => Some(*i),
        ScalarValue::F64(f) => integral(*f),
        _ => None,
    };
    match value {
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) if stored != value => as_integer(stored) == Some(*i),
        _ => stored == value,
    }
}

pub fn put_str(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: &str) -> Result<(), SchemaError> {
    put_scalar(doc, obj, key, ScalarValue::Str(value.into()))
}

/// Writes `Some` or removes the key for `None`.
pub fn put_opt_str(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Option<&str>) -> Result<(), SchemaError> {
    match value {
        Some(v) => put_str(doc, obj, key, v),
        None => delete_key(doc, obj, key),
    }
}

pub fn put_opt_scalar(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<ScalarValue>,
) -> Result<(), SchemaError> {
    match value {
        Some(v) => put_scalar(doc, obj, key, v),
        None => delete_key(doc, obj, key),
    }
}

pub fn delete_key(doc: &mut AutoCommit, obj: &ObjId, key: &str) -> Result<(), SchemaError> {
    if doc.get(obj, key)?.is_some() {
        doc.delete(obj, key)?;
    }
    Ok(())
}

/// The map under `key`, created if absent.
pub fn ensure_map(doc: &mut AutoCommit, obj: &ObjId, key: &str) -> Result<ObjId, SchemaError> {
    match doc.get(obj, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Ok(doc.put_object(obj, key, ObjType::Map)?),
    }
}

/// Keeps the child maps of `obj` equal to `items` (keyed by id): writes each item with `write`,
/// removes keys that are no longer present.
pub fn reconcile_keyed<T>(
    doc: &mut AutoCommit,
    obj: &ObjId,
    items: &[T],
    id_of: impl Fn(&T) -> &str,
    mut write: impl FnMut(&mut AutoCommit, &ObjId, &T) -> Result<(), SchemaError>,
) -> Result<(), SchemaError> {
    let wanted: std::collections::HashSet<&str> = items.iter().map(&id_of).collect();
    let stale: Vec<String> = doc.keys(obj).filter(|k| !wanted.contains(k.as_str())).collect();
    for k in stale {
        doc.delete(obj, k.as_str())?;
    }
    for item in items {
        let child = ensure_map(doc, obj, id_of(item))?;
        write(doc, &child, item)?;
    }
    Ok(())
}

/// Reads every child map of `obj` with `read`.
pub fn read_keyed<T>(
    doc: &AutoCommit,
    obj: &ObjId,
    mut read: impl FnMut(&AutoCommit, &str, &ObjId) -> Result<T, SchemaError>,
) -> Result<Vec<T>, SchemaError> {
    let mut out = Vec::new();
    for key in doc.keys(obj) {
        if let Some(child) = get_map(doc, obj, &key)? {
            out.push(read(doc, &key, &child)?);
        }
    }
    Ok(out)
}

pub fn decimal_value(text: String) -> ScalarValue {
    ScalarValue::Str(text.into())
}

/// Checks that `bytes` is a sequence of whole, well-formed Automerge chunks (a document and/or
/// changes) before it is merged. `load_incremental` quietly skips data it cannot parse, which would
/// turn garbage or a truncated upload into a silent no-op instead of an error.
pub fn check_automerge_chunks(bytes: &[u8]) -> Result<(), SchemaError> {
    let bad = |why: String| SchemaError::NotARecord(format!("not Automerge data: {why}"));
    if bytes.is_empty() {
        return Err(bad("no data".into()));
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        let (kind, _, after) = crate::expansion::split_chunk(rest)?;
        let chunk = &rest[..rest.len() - after.len()];
        match kind {
            0 => {
                let strict = automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error);
                automerge::Automerge::load_with_options(chunk, strict)
                    .map_err(|e| bad(format!("bad document chunk: {e}")))?;
            }
            1 | 2 => {
                automerge::Change::try_from(chunk).map_err(|e| bad(format!("bad change chunk: {e}")))?;
            }
            other => return Err(bad(format!("unknown chunk type {other}"))),
        }
        rest = after;
    }
    Ok(())
}
