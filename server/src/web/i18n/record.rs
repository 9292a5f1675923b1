//! Strings of a record, its decisions, history, conflicts and print view: (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[];
