//! A record's change history in words: when (in the site's time zone, 北京时间 for Asia/Shanghai),
//! who (the author and device the change's message names, `record_schema::change_note`) and what
//! (the summary, translated when it is one the phone writes). Changes written before messages
//! existed still read sensibly ("Record created", "Edited"), never as a bare hex id.

use serde_json::Value;

use super::i18n::Lang;

/// Rows a page shows at most (the newest); a document may hold tens of thousands of changes.
pub const MAX_ROWS: usize = 100;

/// One change as the record page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// `2026-11-20 14:05 北京时间`, or "time not recorded".
    pub when: String,
    /// The author's name (or, without one, the device in words).
    pub who: String,
    /// The device the change was made on (empty when the author already says it all or unknown).
    pub device: String,
    /// What was done, in the page language.
    pub what: String,
}

/// The rows of `history` (the `history` array of `GET /v1/records/{id}`: hash, actor, seq, time
/// in seconds, message), newest first, at most [`MAX_ROWS`] of them; `time_zone` is the record's
/// site zone (IANA).
pub fn change_log(history: &Value, time_zone: &str, lang: Lang) -> Vec<HistoryRow> {
    let Some(changes) = history.as_array() else { return Vec::new() };
    changes
        .iter()
        .enumerate()
        .rev()
        .take(MAX_ROWS)
        .map(|(i, c)| {
            let note = record_schema::change_note::parse(c["message"].as_str().unwrap_or_default());
            let actor = c["actor"].as_str().unwrap_or_default();
            let device_words = || format!("{} {}", lang.t("hist_device"), actor.get(..8).unwrap_or(actor));
            let (who, device) = match (note.author, note.device) {
                (Some(a), Some(d)) => (a, d),
                (Some(a), None) => (a, String::new()),
                (None, Some(d)) => (format!("{} {d}", lang.t("hist_device")), String::new()),
                (None, None) if actor.is_empty() => (lang.t("hist_unknown").to_string(), String::new()),
                (None, None) => (device_words(), String::new()),
            };
            HistoryRow {
                when: when(c["time"].as_i64().unwrap_or_default(), time_zone, lang),
                who,
                device,
                what: what(&note.summary, i == 0, lang),
            }
        })
        .collect()
}

/// How many changes `change_log` leaves out (older than the rows it shows).
pub fn omitted(history: &Value) -> usize {
    history.as_array().map_or(0, |a| a.len().saturating_sub(MAX_ROWS))
}

/// A change time (Automerge keeps seconds; some writers put milliseconds; 0 is none) in the site's
/// zone with the zone's name as a site manager says it.
pub fn when(time: i64, time_zone: &str, lang: Lang) -> String {
    let ms = match time {
        t if t <= 0 => return lang.t("hist_no_time").to_string(),
        t if t > 100_000_000_000 => t,
        t => t.saturating_mul(1000),
    };
    if chrono::DateTime::from_timestamp_millis(ms).is_none() {
        return lang.t("hist_no_time").to_string();
    }
    super::format::instant(ms, time_zone, lang)
}

/// A change summary in the page language: the ones the phone writes (`mobile-core`) and the
/// server's conflict settling are translated; anything else is shown as written. A change without
/// a message is the record's creation when it is the first, else an edit.
pub fn what(summary: &str, first: bool, lang: Lang) -> String {
    let summary = summary.trim();
    if summary.is_empty() {
        return lang.t(if first { "hist_created" } else { "hist_edited" }).to_string();
    }
    let fixed = match summary {
        "create labour sheet" => Some("hist_create_sheet"),
        "create expense" => Some("hist_create_expense"),
        "create progress report" => Some("hist_create_progress"),
        "update labour sheet" => Some("hist_update_sheet"),
        "update expense" => Some("hist_update_expense"),
        "update progress report" => Some("hist_update_progress"),
        "add photo" => Some("hist_add_photo"),
        "add receipt photo" => Some("hist_add_receipt"),
        _ => None,
    };
    if let Some(key) = fixed {
        return lang.t(key).to_string();
    }
    for (prefix, key) in
        [("add line ", "hist_add_line"), ("update line ", "hist_update_line"), ("remove line ", "hist_remove_line")]
    {
        if let Some(n) = summary.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok()) {
            return lang.t(key).replace("{n}", &n.to_string());
        }
    }
    if let Some(reason) = summary.strip_prefix("void:") {
        return lang.t("hist_void").replace("{reason}", reason.trim());
    }
    if let Some(rest) = summary.strip_prefix("conflict on ") {
        return lang
            .t("hist_resolved")
            .replace("{field}", &super::field_words(rest.split(' ').next().unwrap_or_default(), lang));
    }
    summary.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_say_when_who_and_what() {
        let message = record_schema::change_note::message("update line 2", "王建国", "a1b2c3d4e5f6");
        // 2026-11-20 06:05 UTC = 14:05 Beijing time.
        let history = json!([
            { "hash": "h0", "actor": "a1b2c3d4e5f6a7b8", "seq": 1, "time": 0, "message": null },
            { "hash": "h1", "actor": "a1b2c3d4e5f6a7b8", "seq": 2, "time": 1_795_154_700, "message": message },
        ]);
        let zh = change_log(&history, "Asia/Shanghai", Lang::ZhCn);
        assert_eq!(zh.len(), 2);
        assert_eq!(zh[0].when, "2026-11-20 14:05 北京时间");
        assert_eq!((zh[0].who.as_str(), zh[0].device.as_str()), ("王建国", "a1b2c3d4e5f6"));
        assert_eq!(zh[0].what, "修改第2行");
        // An old change without time or message: created, on a device, time not recorded.
        assert_eq!(zh[1].what, "创建记录");
        assert_eq!(zh[1].who, "设备 a1b2c3d4");
        assert_eq!(zh[1].when, "未记录时间");
        let en = change_log(&history, "Asia/Shanghai", Lang::En);
        assert_eq!(en[0].when, "2026-11-20 14:05 Beijing time");
        assert_eq!(en[0].what, "Changed line 2");
        assert_eq!(en[1].what, "Record created");
        assert_eq!(en[1].who, "device a1b2c3d4");
        assert!(en.iter().all(|r| !r.what.contains("h1") && r.what != "—"));
    }

    #[test]
    fn summaries_are_translated_and_unknown_ones_kept() {
        assert_eq!(what("create labour sheet", true, Lang::ZhCn), "创建点工单");
        assert_eq!(what("add line 3", false, Lang::En), "Added line 3");
        assert_eq!(what("remove line 1", false, Lang::ZhCn), "删除第1行");
        assert_eq!(what("void: 下雨停工", false, Lang::ZhCn), "作废：下雨停工");
        assert_eq!(what("void: rain", false, Lang::En), "Voided: rain");
        assert_eq!(what("imported from Excel", false, Lang::ZhCn), "imported from Excel");
        assert_eq!(what("", false, Lang::En), "Edited (no description recorded)");
        assert_eq!(
            what("conflict on lines.l1.rate resolved by desk (supervisor)", false, Lang::ZhCn),
            "解决冲突：单价"
        );
    }

    #[test]
    fn other_zones_and_milliseconds() {
        assert_eq!(when(1_795_154_700_000, "Europe/Berlin", Lang::En), "2026-11-20 07:05 CET");
        assert_eq!(when(1_795_154_700, "Nowhere", Lang::En), "2026-11-20 06:05 UTC");
    }

    #[test]
    fn bounded_to_the_newest() {
        let history: Vec<Value> = (0..250)
            .map(|i| json!({ "actor": "ab", "seq": i, "time": 1_795_154_700 + i, "message": "update labour sheet" }))
            .collect();
        let history = Value::Array(history);
        let rows = change_log(&history, "UTC", Lang::En);
        assert_eq!(rows.len(), MAX_ROWS);
        assert_eq!(omitted(&history), 150);
        assert!(rows[0].when.ends_with("06:09 UTC"), "{}", rows[0].when);
    }
}
