//! Strings of the cost and schedule dashboards and a cost code's drill-down: (key, English, 简体中文).

pub const STRINGS: &[(&str, &str, &str)] = &[];
