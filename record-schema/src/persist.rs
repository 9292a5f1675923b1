//! Persisting an Automerge document as a snapshot plus appended changes: the rules phone and server
//! share. A document is stored as a snapshot (a whole `save`) and the incremental changes appended
//! after it, in order; a save appends what changed since the heads already on disk, and once enough
//! changes have been appended it saves the whole document as a new snapshot instead (compaction),
//! replacing the appended changes.
//!
//! No I/O here: the phone (`mobile-core/src/store/documents.rs`) and the server
//! (`server/src/docstore.rs`) keep their own tables and SQL, and call `load` to read a document
//! back and `Save::plan` to decide what a save writes.

use automerge::{AutoCommit, AutomergeError, ChangeHash};

/// Appended changes between compactions: the phone compacts a document after this many; the
/// server spreads it per document (`compacts_after`).
pub const COMPACT_AFTER: i64 = 64;

/// The appends after which document `id` compacts on the server: between half and one and a half
/// times `COMPACT_AFTER`, spread by id so that documents edited in step (a crew's phones syncing
/// together all day, or the load generator's phones) do not all compact in the same second:
/// measured with the load generator (1,000 phones, 20 s runs), the wave of every document
/// compacting at once took the p99 from ~27 ms to 56-85 ms; spread, 25-27 ms.
pub fn compacts_after(id: &str) -> i64 {
    use std::hash::{Hash, Hasher};
    // (A fixed-key hasher: the same document compacts at the same count in every process.)
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    COMPACT_AFTER / 2 + (h.finish() % COMPACT_AFTER as u64) as i64
}

/// A document read back from its snapshot and appended changes.
pub struct Loaded {
    pub doc: AutoCommit,
    /// The document's heads: everything in it is on disk, so the next save appends after these.
    pub persisted: Vec<ChangeHash>,
    /// Bytes of the stored form: the snapshot plus every appended change.
    pub saved_bytes: usize,
}

/// Loads a document from its `snapshot` and the `changes` appended after it, in the order they were
/// appended. Fails with Automerge's error on the first part that does not load (a damaged
/// document): callers report it as damaged, naming the document.
pub fn load<C: AsRef<[u8]>>(snapshot: &[u8], changes: &[C]) -> Result<Loaded, AutomergeError> {
    let mut doc = AutoCommit::load(snapshot)?;
    let mut saved_bytes = snapshot.len();
    for change in changes {
        let change = change.as_ref();
        doc.load_incremental(change)?;
        saved_bytes += change.len();
    }
    let persisted = doc.get_heads();
    Ok(Loaded { doc, persisted, saved_bytes })
}

/// What a save of a document writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Save {
    /// Nothing changed since the heads on disk: nothing to write.
    Nothing,
    /// The changes since the heads on disk, appended as one incremental change.
    Change(Vec<u8>),
    /// The whole document as the new snapshot, replacing the appended changes (compaction);
    /// `delta_len` is the size the incremental change would have had.
    Snapshot { snapshot: Vec<u8>, delta_len: usize },
}

impl Save {
    /// Decides what saving `doc` writes, given the heads already on disk (`persisted`), the changes
    /// already appended since the last snapshot (`appended`) and the count at which the store
    /// compacts (`compact_after`): nothing when nothing changed; otherwise one incremental
    /// change, or the whole document when this save would be the `compact_after`th append.
    pub fn plan(doc: &mut AutoCommit, persisted: &[ChangeHash], appended: i64, compact_after: i64) -> Save {
        let delta = doc.save_after(persisted);
        if delta.is_empty() {
            Save::Nothing
        } else if appended + 1 >= compact_after {
            Save::Snapshot { snapshot: doc.save(), delta_len: delta.len() }
        } else {
            Save::Change(delta)
        }
    }

    /// What this save writes, without its bytes.
    pub fn written(&self) -> Written {
        match self {
            Save::Nothing => Written::Nothing,
            Save::Change(_) => Written::Change,
            Save::Snapshot { .. } => Written::Snapshot,
        }
    }
}

/// What a save wrote, once it is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Nothing new to store.
    Nothing,
    /// One incremental change appended.
    Change,
    /// The whole document saved as the snapshot (a new document, or a compaction).
    Snapshot,
}

impl Written {
    /// The changes appended since the last snapshot after this write, given `appended` before it.
    pub fn appended_after(self, appended: i64) -> i64 {
        match self {
            Written::Nothing => appended,
            Written::Change => appended + 1,
            Written::Snapshot => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;

    fn put(doc: &mut AutoCommit, key: &str, value: i64) {
        doc.put(ROOT, key, value).expect("put");
        doc.commit();
    }

    /// A document stored as a snapshot and `n` appended changes, as a store would hold it.
    fn stored(n: i64) -> (AutoCommit, Vec<u8>, Vec<Vec<u8>>) {
        let mut doc = AutoCommit::new();
        put(&mut doc, "start", 0);
        let snapshot = doc.save();
        let mut persisted = doc.get_heads();
        let mut changes = Vec::new();
        for i in 0..n {
            put(&mut doc, &format!("k{i}"), i);
            match Save::plan(&mut doc, &persisted, i, i64::MAX) {
                Save::Change(delta) => changes.push(delta),
                other => panic!("expected a change, got {other:?}"),
            }
            persisted = doc.get_heads();
        }
        (doc, snapshot, changes)
    }

    #[test]
    fn a_snapshot_and_its_changes_load_back_as_the_document() {
        let (mut doc, snapshot, changes) = stored(5);
        let loaded = load(&snapshot, &changes).expect("load");
        assert_eq!(loaded.persisted, doc.get_heads());
        assert_eq!(loaded.saved_bytes, snapshot.len() + changes.iter().map(Vec::len).sum::<usize>());
        let mut back = loaded.doc;
        assert_eq!(back.get_heads(), doc.get_heads());
        assert_eq!(back.save(), doc.save());
        assert_eq!(back.get(ROOT, "k4").expect("get").map(|(v, _)| v.as_i64()), Some(Some(4)));
        // A snapshot alone.
        let alone = load::<Vec<u8>>(&snapshot, &[]).expect("load");
        assert_eq!(alone.saved_bytes, snapshot.len());
        assert!(alone.doc.get(ROOT, "k0").expect("get").is_none());
    }

    #[test]
    fn a_damaged_snapshot_does_not_load_and_a_damaged_change_is_skipped() {
        let (mut doc, snapshot, mut changes) = stored(2);
        assert!(load(&snapshot[..snapshot.len() / 2], &changes).is_err());
        assert!(load::<Vec<u8>>(b"not a document", &[]).is_err());
        // Automerge's `load_incremental` skips what it cannot read instead of failing: a damaged
        // appended change loads as a document without it (as both stores always did).
        let first = load(&snapshot, &changes[..1]).expect("load").persisted;
        let mut bad = changes[1].clone();
        let at = bad.len() - 1;
        bad[at] ^= 0xff;
        changes[1] = bad;
        let loaded = load(&snapshot, &changes).expect("load");
        assert_eq!(loaded.persisted, first);
        assert_ne!(loaded.persisted, doc.get_heads());
        changes[1] = b"not a change".to_vec();
        assert_eq!(load(&snapshot, &changes).expect("load").persisted, first);
    }

    #[test]
    fn a_save_writes_nothing_a_change_or_at_the_boundary_a_snapshot() {
        let mut doc = AutoCommit::new();
        put(&mut doc, "a", 1);
        let persisted = doc.get_heads();
        assert_eq!(Save::plan(&mut doc, &persisted, 0, COMPACT_AFTER), Save::Nothing);
        assert_eq!(Save::plan(&mut doc, &persisted, COMPACT_AFTER, COMPACT_AFTER), Save::Nothing);
        put(&mut doc, "b", 2);
        let delta = doc.save_after(&persisted);
        assert_eq!(Save::plan(&mut doc, &persisted, 0, COMPACT_AFTER), Save::Change(delta.clone()));
        // The `compact_after`th append is a snapshot; the one before it is not.
        assert_eq!(Save::plan(&mut doc, &persisted, COMPACT_AFTER - 2, COMPACT_AFTER), Save::Change(delta.clone()));
        let whole = doc.save();
        let compact = Save::Snapshot { snapshot: whole, delta_len: delta.len() };
        assert_eq!(Save::plan(&mut doc, &persisted, COMPACT_AFTER - 1, COMPACT_AFTER), compact);
        assert_eq!(Save::plan(&mut doc, &persisted, COMPACT_AFTER + 5, COMPACT_AFTER), compact);
        // The snapshot loads as the whole document on its own.
        let Save::Snapshot { snapshot, .. } = compact else { unreachable!() };
        assert_eq!(load::<Vec<u8>>(&snapshot, &[]).expect("load").persisted, doc.get_heads());
    }

    #[test]
    fn the_appended_count_follows_what_was_written() {
        assert_eq!(Written::Nothing.appended_after(7), 7);
        assert_eq!(Written::Change.appended_after(7), 8);
        assert_eq!(Written::Snapshot.appended_after(7), 0);
        assert_eq!(Save::Nothing.written(), Written::Nothing);
        assert_eq!(Save::Change(vec![1]).written(), Written::Change);
        assert_eq!(Save::Snapshot { snapshot: vec![1], delta_len: 1 }.written(), Written::Snapshot);
    }

    #[test]
    fn documents_compact_after_between_half_and_one_and_a_half_times_the_average() {
        let counts: Vec<i64> = (0..1000).map(|i| compacts_after(&format!("labour-{i}"))).collect();
        assert!(counts.iter().all(|c| (COMPACT_AFTER / 2..COMPACT_AFTER * 3 / 2).contains(c)), "{counts:?}");
        let distinct: std::collections::HashSet<_> = counts.iter().collect();
        assert!(distinct.len() > 32, "spread over many counts: {distinct:?}");
        let mean = counts.iter().sum::<i64>() as f64 / counts.len() as f64;
        assert!((mean - COMPACT_AFTER as f64).abs() < 4.0, "mean {mean}");
        assert_eq!(compacts_after("labour-7"), compacts_after("labour-7"));
    }

    #[test]
    fn the_spread_is_stable_for_an_id() {
        // The same id compacts at the same count in every process: the hasher's key is fixed.
        let first: Vec<i64> = ["a", "labour-1", "approval:x", ""].iter().map(|id| compacts_after(id)).collect();
        let again: Vec<i64> = ["a", "labour-1", "approval:x", ""].iter().map(|id| compacts_after(id)).collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|c| (COMPACT_AFTER / 2..COMPACT_AFTER * 3 / 2).contains(c)));
    }
}
