//! Every record kind's schema as data (issue 24): the keys, types and bounds of `shape.rs`, for clients
//! in other languages (clients/typescript's builders are checked against it). The JSON is committed
//! as `clients/typescript/src/schema.json`; `record-schema/tests/describe_drift.rs` fails when that
//! file differs from `schema_json()` (regenerate with `FIELDLEDGER_WRITE_SCHEMA=1`) and checks each
//! field's `required` against the readers and the rules.

use serde_json::{Map as JsonMap, Value, json};

use crate::RecordKind;
use crate::shape::{Shape, schema};

/// Fields a record cannot do without (the reader refuses it, or its rules do), by path from the
/// root; `*` stands for any key of a keyed map or index of a list. Everything else is optional.
const HEADER_REQUIRED: &[&str] = &["kind", "schema_version", "id", "project_id", "site_id", "time_zone", "author"];
const PHOTO_REQUIRED: &[&str] = &["sha256", "byte_size", "width", "height", "mime", "thumbnail_sha256"];

fn kind_required(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::LabourSheet => &[
            "work_date",
            "lines/*/trade",
            "lines/*/headcount",
            "lines/*/effort_unit",
            "lines/*/effort",
            "lines/*/cost_code",
            "lines/*/workers/*/name",
        ],
        RecordKind::Expense => &["date", "amount", "currency", "category", "cost_code"],
        RecordKind::ProgressReport => &["date", "activity", "measure", "value"],
        RecordKind::WageAdvance => &["date", "worker", "worker/name", "amount", "currency", "reason"],
        RecordKind::Observation => &["date", "category", "severity", "title"],
        RecordKind::DayLog => &["date", "visitors/*/name", "delays/*/cause", "delays/*/hours"],
        RecordKind::ReferenceData | RecordKind::Approval | RecordKind::FollowUp => &[],
    }
}

/// Fields required only when another field of the same map holds a value: (kind, path, field, value).
const REQUIRED_WHEN: &[(RecordKind, &str, &str, &str)] = &[(RecordKind::ProgressReport, "unit", "measure", "quantity")];

/// Keyed maps of photo references in each kind.
const PHOTO_MAPS: &[&str] = &["photos", "receipts", "slips"];

fn is_required(kind: RecordKind, path: &str) -> bool {
    if HEADER_REQUIRED.contains(&path) || kind_required(kind).contains(&path) {
        return true;
    }
    // A photo reference's fields, wherever the kind keeps its photos.
    PHOTO_MAPS.iter().any(|m| {
        path.strip_prefix(m).and_then(|rest| rest.strip_prefix("/*/")).is_some_and(|f| PHOTO_REQUIRED.contains(&f))
    })
}

/// One shape as JSON; `path` is where it stands (for `required`).
fn describe(kind: RecordKind, shape: &Shape, path: &str) -> Value {
    let child_path = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}/{key}") };
    match shape {
        Shape::Text(max) => json!({ "type": "text", "max_bytes": max }),
        Shape::Int => json!({ "type": "int" }),
        Shape::Time => json!({ "type": "timestamp" }),
        Shape::Number => json!({ "type": "number" }),
        Shape::Amount => json!({ "type": "amount" }),
        Shape::Rate => json!({ "type": "rate" }),
        Shape::Quantity => json!({ "type": "quantity" }),
        Shape::Map(fields) => {
            let mut out = JsonMap::new();
            for (key, child) in fields.iter() {
                let at = child_path(key);
                let mut v = describe(kind, child, &at);
                if let Value::Object(m) = &mut v {
                    m.insert("required".into(), Value::Bool(is_required(kind, &at)));
                    if let Some((_, _, field, value)) = REQUIRED_WHEN.iter().find(|(k, p, ..)| *k == kind && *p == at) {
                        m.insert("required_when".into(), json!({ "field": field, "equals": value }));
                    }
                }
                out.insert((*key).to_string(), v);
            }
            json!({ "type": "map", "fields": out })
        }
        Shape::Keyed(max, child) => {
            json!({ "type": "keyed", "max_entries": max, "max_key_bytes": crate::shape::MAX_ID_BYTES, "values": describe(kind, child, &child_path("*")) })
        }
        Shape::List(max, child) => {
            json!({ "type": "list", "max_items": max, "items": describe(kind, child, &child_path("*")) })
        }
    }
}

/// The foreman's record kinds and their schemas, as pretty JSON (keys sorted, so the output is
/// stable):
///
/// ```json
/// { "kinds": { "<kind>": { "schema_version": 1, "root": { "type": "map", "fields": {
///     "<key>": { "type": "text", "max_bytes": 200, "required": true }, ... } } } },
///     (a field needed only when another holds a value also has
///     `"required_when": { "field": "measure", "equals": "quantity" }`)
///   "types": { "<type>": "what it holds" } }
/// ```
///
/// Types: `text` (a string, at most `max_bytes` UTF-8 bytes), `int` (an integer), `timestamp` (a
/// timestamp, or an integer of milliseconds), `number` (a float or an integer), `amount` / `rate` /
/// `quantity` (decimal text in its canonical form: docs/record-documents.md), `map` (the keys in
/// `fields`, no others), `keyed` (any ids of at most `max_key_bytes` to `values`, at most
/// `max_entries`), `list` (`items`, at most `max_items`).
pub fn schema_json() -> String {
    let mut kinds = JsonMap::new();
    for kind in RecordKind::ALL {
        if let Some(shape) = schema(kind) {
            kinds.insert(
                kind.as_str().to_string(),
                json!({ "schema_version": kind.schema_version(), "root": describe(kind, shape, "") }),
            );
        }
    }
    let types = json!({
        "text": "a string of at most max_bytes UTF-8 bytes",
        "int": "an integer",
        "timestamp": "a timestamp (or an integer of milliseconds since the Unix epoch, UTC)",
        "number": "a number (float or integer)",
        "amount": "money as canonical decimal text: exactly the currency's decimals (\"350.00\"; JPY and KRW \"1200\")",
        "rate": "a rate as canonical decimal text: at least the currency's decimals, at most 4, no trailing zeros beyond them (\"350.00\", \"45.625\")",
        "quantity": "a quantity as canonical decimal text: no trailing zeros (\"8\", \"7.25\", \"-3.5\")",
        "map": "an object with only the keys in fields",
        "keyed": "an object from ids (at most max_key_bytes) to values, at most max_entries",
        "list": "a list of items, at most max_items",
    });
    let doc = json!({
        "about": "Fieldledger record schema, generated by record_schema::describe::schema_json (do not edit; regenerate with FIELDLEDGER_WRITE_SCHEMA=1 cargo nextest run --workspace --test describe_drift)",
        "kinds": kinds,
        "types": types,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
