//! What Automerge data will expand to, told from its bytes before Automerge is given them.
//!
//! A change stores its operations in run-length-encoded columns, and a document (or a compressed
//! change) may DEFLATE them: 20 KB can carry twenty million operations, which Automerge would
//! expand to gigabytes, or a run of 10^12 that it would loop over for hours. `measure` reads only
//! the chunk headers, the column layout and the run lengths of the action column (one entry per
//! operation), inflating compressed parts through a bounded reader: its cost is that of the bytes
//! it is given, whatever they claim. Formats as Automerge 0.12 writes them (`storage/chunk.rs`,
//! `storage/change.rs`, `storage/document.rs`).

use std::io::Read;

use crate::SchemaError;
use crate::shape::{MAX_DOC_CHANGES, MAX_DOC_OPS};

/// Bytes the columns of one sync message may expand to (a first sync of a 50-line sheet is ~20 KB).
pub const MAX_EXPANDED_BYTES: u64 = 16 << 20;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Column spec bits: `id << 4 | deflate << 3 | type`.
const DEFLATE: u64 = 1 << 3;
/// The op columns' action column (id 4, run-length-encoded integers): one entry per operation.
const ACTION: u64 = 4 << 4 | 2;
/// A document's change columns' actor column (id 0, run-length-encoded actor indices): one entry
/// per change.
const CHANGE_ACTOR: u64 = 1;

/// What a list of chunks holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Expansion {
    pub changes: u64,
    pub ops: u64,
    /// Bytes of all columns once inflated.
    pub bytes: u64,
}

fn too_large(what: String) -> SchemaError {
    SchemaError::TooLarge(what)
}

fn bad(why: &str) -> SchemaError {
    SchemaError::NotARecord(format!("not Automerge data: {why}"))
}

/// Measures `chunks` (each a document, change or compressed change chunk, as a sync message
/// carries them) and refuses them once they hold more than `MAX_DOC_CHANGES` changes,
/// `MAX_DOC_OPS` operations or `MAX_EXPANDED_BYTES` of columns, naming the limit.
pub fn measure<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Result<Expansion, SchemaError> {
    let mut total = Expansion::default();
    for chunk in chunks {
        let mut rest = chunk;
        while !rest.is_empty() {
            let (kind, body, after) = split_chunk(rest)?;
            rest = after;
            match kind {
                0 => document(body, &mut total)?,
                1 => change(body, &mut total)?,
                2 => {
                    let inflated = inflate(body, MAX_EXPANDED_BYTES.saturating_sub(total.bytes))?;
                    change(&inflated, &mut total)?;
                }
                other => return Err(bad(&format!("unknown chunk type {other}"))),
            }
            check(&total)?;
        }
    }
    Ok(total)
}

fn check(t: &Expansion) -> Result<(), SchemaError> {
    if t.changes > MAX_DOC_CHANGES {
        return Err(too_large(format!("more than {MAX_DOC_CHANGES} changes at once")));
    }
    if t.ops > MAX_DOC_OPS {
        return Err(too_large(format!("{} operations at once; a record may hold at most {MAX_DOC_OPS}", t.ops)));
    }
    if t.bytes > MAX_EXPANDED_BYTES {
        return Err(too_large(format!("expands beyond {MAX_EXPANDED_BYTES} bytes")));
    }
    Ok(())
}

/// (chunk type, body, what follows the chunk): the chunk layout of every Automerge file, change
/// and message (magic, checksum, type, LEB128 length).
pub(crate) fn split_chunk(b: &[u8]) -> Result<(u8, &[u8], &[u8]), SchemaError> {
    if b.len() < 9 || b[..4] != MAGIC {
        return Err(bad("bad chunk header"));
    }
    let mut r = Reader(&b[9..]);
    let len = usize::try_from(r.uleb()?).map_err(|_| bad("chunk length overflows"))?;
    let body = r.take(len)?;
    Ok((b[8], body, r.0))
}

/// A change chunk's body: header fields, then its (never compressed) op columns.
fn change(body: &[u8], total: &mut Expansion) -> Result<(), SchemaError> {
    let mut r = Reader(body);
    let deps = r.count(32)?;
    r.take(deps.saturating_mul(32))?;
    r.bytes()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.uleb()?; // timestamp (signed, read as its bytes)
    r.bytes()?; // message
    for _ in 0..r.count(1)? {
        r.bytes()?; // other actors
    }
    let columns = r.columns()?;
    total.changes += 1;
    total.ops += columns_of(&mut r, &columns, ACTION, total)?;
    Ok(())
}

/// A document chunk's body: actors, heads, the change and op column layouts, their data.
fn document(body: &[u8], total: &mut Expansion) -> Result<(), SchemaError> {
    let mut r = Reader(body);
    for _ in 0..r.count(1)? {
        r.bytes()?; // actors
    }
    let heads = r.count(32)?;
    r.take(heads.saturating_mul(32))?;
    let change_columns = r.columns()?;
    let op_columns = r.columns()?;
    // One row per change in the change columns (their actor column), one per operation in the
    // op columns (their action column).
    total.changes += columns_of(&mut r, &change_columns, CHANGE_ACTOR, total)?;
    check(total)?;
    total.ops += columns_of(&mut r, &op_columns, ACTION, total)?;
    Ok(())
}

/// Reads each column's data, inflating compressed ones within the budget (their bytes count
/// towards `total`), and returns the rows of the column `rows_of` (0 if absent).
fn columns_of(
    r: &mut Reader<'_>,
    columns: &[(u64, usize)],
    rows_of: u64,
    total: &mut Expansion,
) -> Result<u64, SchemaError> {
    let mut rows = 0;
    for &(spec, len) in columns {
        let data = r.take(len)?;
        let budget = MAX_EXPANDED_BYTES.saturating_sub(total.bytes);
        let inflated;
        let data = if spec & DEFLATE != 0 {
            inflated = inflate(data, budget)?;
            inflated.as_slice()
        } else {
            data
        };
        total.bytes += data.len() as u64;
        if spec & !DEFLATE == rows_of {
            rows = rle_rows(data)?;
        }
        check(total)?;
    }
    Ok(rows)
}

/// Rows of a run-length-encoded integer column, from its run headers alone: a positive count is a
/// run of one value, a negative count that many literals, zero a run of nulls.
fn rle_rows(data: &[u8]) -> Result<u64, SchemaError> {
    let mut r = Reader(data);
    let mut rows: u64 = 0;
    while !r.0.is_empty() {
        let count = r.sleb()?;
        let n = match count {
            c if c > 0 => {
                r.uleb()?;
                c.unsigned_abs()
            }
            c if c < 0 => {
                let n = c.unsigned_abs();
                for _ in 0..n {
                    r.uleb()?;
                }
                n
            }
            _ => r.uleb()?,
        };
        rows = rows.saturating_add(n);
        if rows > MAX_DOC_OPS {
            return Ok(rows); // enough to refuse; no need to read further
        }
    }
    Ok(rows)
}

/// DEFLATE data inflated, refused past `budget` bytes (read at most one byte beyond it).
fn inflate(data: &[u8], budget: u64) -> Result<Vec<u8>, SchemaError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(budget.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| bad(&format!("compressed data does not inflate: {e}")))?;
    if out.len() as u64 > budget {
        return Err(too_large(format!("expands beyond {MAX_EXPANDED_BYTES} bytes")));
    }
    Ok(out)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SchemaError> {
        if n > self.0.len() {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, SchemaError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let b = *self.take(1)?.first().ok_or_else(|| bad("truncated"))?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(bad("an integer is longer than 10 bytes"))
    }

    fn sleb(&mut self) -> Result<i64, SchemaError> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.take(1)?.first().ok_or_else(|| bad("truncated"))?;
            if shift < 64 {
                value |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift >= 70 {
                return Err(bad("an integer is longer than 10 bytes"));
            }
        }
    }

    /// A count of items of at least `item_bytes` each, checked against what remains.
    fn count(&mut self, item_bytes: usize) -> Result<usize, SchemaError> {
        let n = usize::try_from(self.uleb()?).map_err(|_| bad("count overflows"))?;
        if n.saturating_mul(item_bytes) > self.0.len() {
            return Err(bad("a count exceeds the data"));
        }
        Ok(n)
    }

    fn bytes(&mut self) -> Result<&'a [u8], SchemaError> {
        let n = self.count(1)?;
        self.take(n)
    }

    /// A column layout: (spec, data length) pairs.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, SchemaError> {
        let n = self.count(2)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let spec = self.uleb()?;
            let len = usize::try_from(self.uleb()?).map_err(|_| bad("column length overflows"))?;
            out.push((spec, len));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    #[test]
    fn counts_what_automerge_counts() {
        let mut d = AutoCommit::new();
        d.put(ROOT, "a", 1).expect("put");
        let list = d.put_object(ROOT, "l", ObjType::List).expect("list");
        for i in 0..1000 {
            d.insert(&list, i, i as i64).expect("insert");
        }
        d.commit();
        let t = d.put_object(ROOT, "t", ObjType::Text).expect("text");
        d.splice_text(&t, 0, 0, &"x".repeat(5000)).expect("splice");
        d.commit();
        let ops = automerge::ReadDoc::stats(&d).num_ops;
        // As changes (what a sync message carries) and as a whole document (compressed columns).
        let changes: Vec<Vec<u8>> = d.get_changes(&[]).into_iter().map(|mut c| c.bytes().to_vec()).collect();
        let measured = measure(changes.iter().map(Vec::as_slice)).expect("measure changes");
        assert_eq!((measured.changes, measured.ops), (2, ops));
        let saved = d.save();
        assert_eq!(measure([saved.as_slice()]).expect("measure document").ops, ops);
    }

    #[test]
    fn refuses_what_would_expand_too_far_from_a_few_bytes() {
        let mut d = AutoCommit::new();
        let text = d.put_object(ROOT, "t", ObjType::Text).expect("text");
        d.splice_text(&text, 0, 0, &"x".repeat(MAX_DOC_OPS as usize + 1)).expect("splice");
        let saved = d.save();
        assert!(saved.len() < 10_000, "run-length encoded and compressed: {} bytes", saved.len());
        let e = measure([saved.as_slice()]).expect_err("too many operations");
        assert!(e.to_string().contains(&format!("at most {MAX_DOC_OPS}")), "{e}");
        let changes: Vec<Vec<u8>> = d.get_changes(&[]).into_iter().map(|mut c| c.bytes().to_vec()).collect();
        assert!(measure(changes.iter().map(Vec::as_slice)).is_err());
    }

    #[test]
    fn garbage_is_refused_not_trusted() {
        for junk in [&b""[..], b"\x85\x6f\x4a\x83", b"\x85\x6f\x4a\x83\0\0\0\0\x01\xff\xff\xff\xff\x0f", b"hello world"]
        {
            if !junk.is_empty() {
                assert!(measure([junk]).is_err(), "{junk:?}");
            }
        }
    }
}
