//! Strings of error pages and the messages of refused input: (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[];
