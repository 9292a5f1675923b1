//! Strings of the day-labour summary and the exports: (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[];
