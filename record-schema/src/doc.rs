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

fn get_scalar(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<ScalarValue>, SchemaError> {
    scalar_of(key, doc.get(obj, key)?.map(|(v, _)| v))
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
        Some(Value::Object(_)) => Err(malformed(key, "expected a value, found an object")),
    }
}

fn str_of(key: &str, s: Option<ScalarValue>) -> Result<Option<String>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(malformed(key, format!("expected text, found {other}"))),
    }
}

fn i64_of(key: &str, s: Option<ScalarValue>) -> Result<Option<i64>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Int(i)) => Ok(Some(i)),
        Some(ScalarValue::Uint(u)) => i64::try_from(u).map(Some).map_err(|_| malformed(key, "too large")),
        Some(other) => Err(malformed(key, format!("expected an integer, found {other}"))),
    }
}

/// Decimals live in documents as canonical strings, never as floats, and are read by the same
/// strict rule as the phone's input (`money::parse_strict`): `1e5`, `+350.00`, `0350.00`, `.5` or
/// `-0.00` in a document are refused, not posted. The scale allowed here is the widest any field
/// has; each field's own (a currency's 2, a quantity's 2 or 3) is checked by validation.
fn decimal_of(key: &str, s: Option<String>) -> Result<Option<Decimal>, SchemaError> {
    match s {
        None => Ok(None),
        Some(s) => {
            crate::money::parse_strict(key, &s, MAX_STORED_SCALE).map(Some).map_err(|e| malformed(key, e.reason))
        }
    }
}

/// Decimals a stored number may carry (validation narrows it per field).
pub(crate) const MAX_STORED_SCALE: u32 = 6;

fn date_of(key: &str, s: Option<String>) -> Result<Option<NaiveDate>, SchemaError> {
    match s {
        None => Ok(None),
        Some(s) => NaiveDate::from_str(&s).map(Some).map_err(|e| malformed(key, format!("{s:?}: {e}"))),
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
        Some(other) => Err(malformed(key, format!("expected a number, found {other}"))),
    }
}

pub fn get_bool(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<bool>, SchemaError> {
    match get_scalar(doc, obj, key)? {
        None => Ok(None),
        Some(ScalarValue::Boolean(b)) => Ok(Some(b)),
        Some(other) => Err(malformed(key, format!("expected true/false, found {other}"))),
    }
}

pub fn get_timestamp(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<i64>, SchemaError> {
    timestamp_of(key, get_scalar(doc, obj, key)?)
}

fn timestamp_of(key: &str, s: Option<ScalarValue>) -> Result<Option<i64>, SchemaError> {
    match s {
        None => Ok(None),
        Some(ScalarValue::Timestamp(t)) | Some(ScalarValue::Int(t)) => Ok(Some(t)),
        Some(other) => Err(malformed(key, format!("expected a timestamp, found {other}"))),
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
    /// (key, winning value, the object's id when the value is an object). A record's map has a
    /// dozen keys or so: a linear search beats anything cleverer.
    entries: Vec<(String, Value<'static>, Option<ObjId>)>,
}

impl Fields {
    pub fn read(doc: &AutoCommit, obj: &ObjId) -> Self {
        let entries = doc.map_range(obj, ..).map(|item| {
            let id = matches!(item.value, ValueRef::Object(_)).then(|| item.id());
            (item.key.into_owned(), item.value.into_value(), id)
        });
        Fields { entries: entries.collect() }
    }

    fn find(&self, key: &str) -> Option<&(String, Value<'static>, Option<ObjId>)> {
        self.entries.iter().find(|(k, _, _)| k == key)
    }

    fn scalar(&self, key: &str) -> Result<Option<ScalarValue>, SchemaError> {
        scalar_of(key, self.find(key).map(|(_, v, _)| v.clone()))
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
            Some((_, Value::Object(ObjType::Map), Some(id))) => Ok(Some(id)),
            Some(_) => Err(malformed(key, "expected a map")),
        }
    }

    /// The object under `key` if it is of type `ty`.
    pub fn object(&self, key: &str, ty: ObjType) -> Option<&ObjId> {
        match self.find(key) {
            Some((_, Value::Object(t), Some(id))) if *t == ty => Some(id),
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
    let same = matches!(doc.get(obj, key)?, Some((Value::Scalar(s), _)) if s.as_ref() == &value);
    if !same {
        doc.put(obj, key, value)?;
    }
    Ok(())
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
