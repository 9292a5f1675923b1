//! What a request assumed delivered (docs/sync-protocol.md, "One request"): when the server sends
//! a device a document's changes, it records the device as holding them at once, so the phone need
//! not acknowledge them in a second round. The states those notes replaced are kept here
//! (`devices.unconfirmed`, one blob per device), so that if the answer is lost, the phone's next
//! manifest digest, which is then the server's with this batch taken back, shows it and the batch
//! is taken back (`SyncSession::check_manifest`) instead of costing a full manifest exchange. The
//! batch holds every state the request changed, not only the optimistic ones: a lost answer to a
//! phone's own edit is then taken back too (the phone sends the edit again).

use crate::cache::DocState;

/// The states one request changed: per document, the state before it (None: the device had none).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Batch {
    /// The device's change cursor before the request (taken back with the states, so that the
    /// documents are listed again).
    pub(super) cursor: i64,
    pub(super) docs: Vec<(String, Option<DocState>)>,
}

impl Batch {
    /// Notes `id`'s state before this request's first change to it (later changes keep it).
    pub(super) fn note(&mut self, id: &str, before: Option<DocState>) {
        if !self.docs.iter().any(|(d, _)| d == id) {
            self.docs.push((id.to_string(), before));
        }
    }

    /// The cursor (i64 LE), then per document: id length (u32 LE), id, then 0 (no state) or 1, seen
    /// version (i64 LE), state length (u32 LE), state.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = self.cursor.to_le_bytes().to_vec();
        for (id, before) in &self.docs {
            put_bytes(&mut out, id.as_bytes());
            match before {
                None => out.push(0),
                Some(s) => {
                    out.push(1);
                    out.extend_from_slice(&s.seen_version.to_le_bytes());
                    put_bytes(&mut out, &s.state);
                }
            }
        }
        out
    }

    /// The batch `encode` wrote; None for anything else (an unreadable blob only costs the full
    /// manifest exchange it was kept to spare).
    pub(super) fn decode(bytes: &[u8]) -> Option<Batch> {
        let (cursor, mut bytes) = bytes.split_at_checked(8)?;
        let cursor = i64::from_le_bytes(cursor.try_into().ok()?);
        let mut docs = Vec::new();
        while !bytes.is_empty() {
            let id = String::from_utf8(take_bytes(&mut bytes)?.to_vec()).ok()?;
            let (flag, rest) = bytes.split_first()?;
            bytes = rest;
            let before = match flag {
                0 => None,
                1 => {
                    let (seen, rest) = bytes.split_at_checked(8)?;
                    bytes = rest;
                    let seen_version = i64::from_le_bytes(seen.try_into().ok()?);
                    Some(DocState { state: take_bytes(&mut bytes)?.to_vec(), seen_version })
                }
                _ => return None,
            };
            docs.push((id, before));
        }
        Some(Batch { cursor, docs })
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // (Ids and states are far below 4 GiB: the sync request's body limit bounds them.)
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(b);
}

fn take_bytes<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = bytes.split_at_checked(4)?;
    let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
    let (b, rest) = rest.split_at_checked(len)?;
    *bytes = rest;
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_reads_back_and_garbage_does_not() {
        let mut b = Batch { cursor: 41, ..Batch::default() };
        b.note("a", None);
        b.note("b", Some(DocState { state: vec![1, 2, 3], seen_version: 7 }));
        b.note("a", Some(DocState { state: vec![9], seen_version: 1 }));
        assert_eq!(b.docs.len(), 2, "the first state before is kept");
        assert_eq!(Batch::decode(&b.encode()), Some(b.clone()));
        let bytes = b.encode();
        for cut in 1..bytes.len() {
            assert_ne!(Batch::decode(&bytes[..cut]), Some(b.clone()), "cut at {cut}");
        }
        assert_eq!(Batch::decode(&[0; 8]), Some(Batch::default()));
        assert_eq!(Batch::decode(&[]), None);
    }
}
