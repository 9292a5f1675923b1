//! The sans-IO sync client: the rules of a phone's sync loop (filled in by issue 18).
