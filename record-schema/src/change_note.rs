//! The message every change to a record carries: what was done, by whom, on which device.
//!
//! Automerge keeps a free-text message and a time (seconds) with each change. Phone and server write
//! the message through [`message`], so the history can be read back with [`parse`]:
//!
//! ```text
//! update line 2
//!
//! Author: 王建国
//! Device: phone-7f3a
//! ```
//!
//! The summary is one line; the trailers follow a blank line, as in a git commit. Every part is
//! bounded (a phone's author name is the foreman's own input), and newlines inside a part are folded to
//! spaces so no part can forge another's trailer. Documents written before messages existed, or by
//! other tools, still parse: their whole message is the summary and the trailers are `None`.

use automerge::transaction::CommitOptions;

/// Characters kept of a summary.
pub const MAX_SUMMARY_CHARS: usize = 200;
/// Characters kept of an author's name or a device's id.
pub const MAX_TRAILER_CHARS: usize = 100;
/// Characters of a message [`parse`] reads at all (longer ones are read as far as this).
pub const MAX_MESSAGE_CHARS: usize = MAX_SUMMARY_CHARS + 2 * MAX_TRAILER_CHARS + 64;

const AUTHOR: &str = "Author: ";
const DEVICE: &str = "Device: ";

/// A change message read back: the summary and, when present, who made it on which device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeNote {
    pub summary: String,
    pub author: Option<String>,
    pub device: Option<String>,
}

/// The message of a change: `summary`, a blank line, then `Author:` and `Device:` trailers (an empty
/// author or device is left out).
pub fn message(summary: &str, author: &str, device: &str) -> String {
    let mut out = one_line(summary, MAX_SUMMARY_CHARS);
    let author = one_line(author, MAX_TRAILER_CHARS);
    let device = one_line(device, MAX_TRAILER_CHARS);
    if !author.is_empty() || !device.is_empty() {
        out.push('\n');
    }
    if !author.is_empty() {
        out.push('\n');
        out.push_str(AUTHOR);
        out.push_str(&author);
    }
    if !device.is_empty() {
        out.push('\n');
        out.push_str(DEVICE);
        out.push_str(&device);
    }
    out
}

/// Commit options for a change made now (`time_ms`, milliseconds since the epoch; Automerge keeps
/// seconds) with [`message`]`(summary, author, device)`.
pub fn options(summary: &str, author: &str, device: &str, time_ms: i64) -> CommitOptions {
    CommitOptions::default().with_message(message(summary, author, device)).with_time(time_ms.div_euclid(1000))
}

/// Reads a change message back. The first line is the summary; `Author:` and `Device:` lines after
/// it are the trailers (the last of each wins). Anything else is ignored.
pub fn parse(message: &str) -> ChangeNote {
    let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    let mut lines = message.lines();
    let summary = lines.next().map(|l| one_line(l, MAX_SUMMARY_CHARS)).unwrap_or_default();
    let mut note = ChangeNote { summary, author: None, device: None };
    for line in lines {
        let line = line.trim();
        if let Some(v) = line.strip_prefix(AUTHOR) {
            note.author = non_empty(one_line(v, MAX_TRAILER_CHARS));
        } else if let Some(v) = line.strip_prefix(DEVICE) {
            note.device = non_empty(one_line(v, MAX_TRAILER_CHARS));
        }
    }
    note
}

/// `text` on one line (control characters, newlines included, become spaces; runs of spaces and
/// the ends trimmed), at most `max` characters (an ellipsis marks a cut).
fn one_line(text: &str, max: usize) -> String {
    let words = text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty());
    let mut out = String::new();
    let mut chars = words.flat_map(|w| std::iter::once(' ').chain(w.chars())).skip(1);
    for _ in 0..max {
        match chars.next() {
            Some(c) => out.push(c),
            None => return out,
        }
    }
    if chars.next().is_some() && max > 0 {
        out.pop();
        out.push('…');
    }
    out
}

fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    use super::*;

    #[test]
    fn round_trip() {
        let m = message("update line 2", "王建国", "phone-7f3a");
        assert_eq!(m, "update line 2\n\nAuthor: 王建国\nDevice: phone-7f3a");
        assert_eq!(
            parse(&m),
            ChangeNote {
                summary: "update line 2".into(),
                author: Some("王建国".into()),
                device: Some("phone-7f3a".into())
            }
        );
    }

    #[test]
    fn empty_trailers_are_left_out() {
        assert_eq!(message("create labour sheet", "", ""), "create labour sheet");
        assert_eq!(message("void: rain", "", "dev"), "void: rain\n\nDevice: dev");
        let n = parse("void: rain\n\nDevice: dev");
        assert_eq!((n.author, n.device.as_deref()), (None, Some("dev")));
    }

    #[test]
    fn old_and_foreign_messages_read_as_a_summary() {
        assert_eq!(parse(""), ChangeNote::default());
        let n = parse("conflict on lines.l1.headcount resolved by desk (supervisor)");
        assert_eq!(n.summary, "conflict on lines.l1.headcount resolved by desk (supervisor)");
        assert_eq!((n.author, n.device), (None, None));
    }

    #[test]
    fn newlines_cannot_forge_a_trailer() {
        let m = message("void: wrong day\n\nAuthor: boss", "李四\nDevice: fake", "d1");
        let n = parse(&m);
        assert_eq!(n.summary, "void: wrong day Author: boss");
        assert_eq!(n.author.as_deref(), Some("李四 Device: fake"));
        assert_eq!(n.device.as_deref(), Some("d1"));
    }

    #[test]
    fn long_input_is_truncated() {
        let long = "木".repeat(5_000);
        let m = message(&long, &long, &long);
        assert!(m.chars().count() <= MAX_MESSAGE_CHARS, "{}", m.chars().count());
        let n = parse(&m);
        assert_eq!(n.summary.chars().count(), MAX_SUMMARY_CHARS);
        assert!(n.summary.ends_with('…'));
        assert_eq!(n.author.as_deref().map(|a| a.chars().count()), Some(MAX_TRAILER_CHARS));
        assert_eq!(n.device.as_deref().map(|a| a.chars().count()), Some(MAX_TRAILER_CHARS));
        // A huge foreign message is read only as far as the bound.
        let n = parse(&format!("{}\n\nAuthor: x", "a".repeat(1_000_000)));
        assert_eq!(n.summary.chars().count(), MAX_SUMMARY_CHARS);
        assert_eq!(n.author, None);
    }

    #[test]
    fn options_set_message_and_seconds() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", 1).expect("put");
        doc.commit_with(options("create labour sheet", "王建国", "p1", 1_764_000_123_456));
        let change = doc.get_changes(&[]).into_iter().next().expect("one change");
        assert_eq!(change.timestamp(), 1_764_000_123);
        let n = parse(change.message().unwrap_or(""));
        assert_eq!((n.summary.as_str(), n.author.as_deref()), ("create labour sheet", Some("王建国")));
    }
}
