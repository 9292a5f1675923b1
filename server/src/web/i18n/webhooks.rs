//! Strings of the webhooks screens (issue 23).

pub const STRINGS: &[(&str, &str, &str)] = &[];
