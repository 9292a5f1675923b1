//! Strings of the approval queue and bulk decisions: (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[];
