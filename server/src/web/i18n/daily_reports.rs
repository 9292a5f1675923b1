//! Strings of the daily_reports screens (issue 23).

pub const STRINGS: &[(&str, &str, &str)] = &[];
