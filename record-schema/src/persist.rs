//! Persisting an Automerge document as a snapshot plus appended changes: the rules phone and server
//! share (filled in by the persistence refactor of issue 18).
