//! The body each format sends for a message: `generic` the event JSON as stored (Standard
//! Webhooks), `wecom` 企业微信 group robot markdown, `dingtalk` 钉钉 robot markdown.

use serde_json::{Value, json};

/// The formats an endpoint may have.
pub const FORMATS: &[&str] = &["generic", "wecom", "dingtalk"];

/// WeCom's markdown content limit, in bytes.
pub const WECOM_MAX: usize = 4096;
/// DingTalk's markdown text, kept to the same bound.
pub const DINGTALK_MAX: usize = 4096;

/// The body for `format` of the event `payload` (JSON text as stored).
pub fn body(format: &str, payload: &str) -> Vec<u8> {
    match format {
        "wecom" | "dingtalk" => {
            let event: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
            let (title, text) = markdown(&event);
            let v = if format == "wecom" {
                json!({"msgtype": "markdown", "markdown": {"content": truncate(&text, WECOM_MAX)}})
            } else {
                json!({"msgtype": "markdown", "markdown": {"title": title, "text": truncate(&text, DINGTALK_MAX)}})
            };
            v.to_string().into_bytes()
        }
        _ => payload.as_bytes().to_vec(),
    }
}

/// An event's title and markdown, in Chinese (the robots' readers are the site's office): a
/// heading, then the event's facts as quoted lines (WeCom and DingTalk both render `###` and `>`;
/// WeCom's `<font color>` is left out, DingTalk shows it as text).
pub fn markdown(event: &Value) -> (String, String) {
    let kind = event["type"].as_str().unwrap_or("");
    let d = &event["data"];
    let s = |k: &str| text_of(&d[k]);
    let title = match kind {
        "record.approved" => "记录已批准",
        "record.rejected" => "记录被退回",
        "record.submitted" => "新记录待审批",
        "record.changed_since_approval" => "已批准的记录被修改",
        "record.conflict" => "记录有冲突待处理",
        "daily_report.ready" => "日报已生成",
        "wages.arrears_flagged" => "欠薪预警",
        "digest.daily" => "每日摘要",
        "ping" => "Fieldledger 测试消息",
        _ => "Fieldledger 通知",
    }
    .to_string();
    let mut lines: Vec<(&str, String)> = Vec::new();
    let record = || [kind_name(&s("record_kind")), s("record_id")].join(" ").trim().to_string();
    let site = || if s("site_name").is_empty() { s("site_id") } else { s("site_name") };
    match kind {
        "record.approved" | "record.rejected" => {
            lines.push(("项目", s("project_id")));
            lines.push(("记录", record()));
            lines.push(("审批人", s("decided_by")));
            if kind == "record.rejected" {
                lines.push(("退回原因", s("reason")));
            } else {
                lines.push(("备注", s("comment")));
            }
        }
        "record.submitted" | "record.changed_since_approval" | "record.conflict" => {
            lines.push(("项目", s("project_id")));
            lines.push(("记录", record()));
            lines.push(("工地", site()));
            lines.push(("日期", s("date")));
            lines.push(("填报人", s("author")));
            if kind == "record.changed_since_approval" {
                lines.push(("原批准人", s("approved_by")));
                lines.push(("批准时间", s("approved_at")));
            }
            if kind == "record.conflict" {
                lines.push(("冲突数", s("conflict_count")));
            }
            if d["voided"].as_bool() == Some(true) {
                lines.push(("状态", "已作废".into()));
            }
        }
        "daily_report.ready" => {
            lines.push(("项目", s("project_id")));
            lines.push(("工地", site()));
            lines.push(("日期", s("date")));
            lines.push(("版本", s("version")));
            lines.push(("记录数", s("records")));
            lines.push(("待审批", s("pending")));
            lines.push(("人次", s("headcount")));
            lines.push(("工日", s("man_days")));
            lines.push(("网页", s("web_path")));
            lines.push(("PDF", s("pdf_path")));
        }
        "wages.arrears_flagged" => {
            lines.push(("项目", s("project_id")));
            lines.push(("月份", s("month")));
            lines.push(("班组", if s("crew").is_empty() { "（未分班组）".into() } else { s("crew") }));
            lines.push(("人数", s("workers")));
            lines.push(("欠付金额", [s("outstanding"), s("currency")].join(" ").trim().to_string()));
            lines.push(("应付日期", s("due_on")));
            lines.push(("逾期天数", s("days_overdue")));
        }
        "digest.daily" => {
            let p = &d["pending"];
            let y = &d["yesterday"];
            let name = if s("project_name").is_empty() { s("project_id") } else { s("project_name") };
            lines.push(("项目", name));
            lines.push(("日期", s("date")));
            lines.push(("待审批", text_of(&p["count"])));
            let o = &p["oldest"];
            if o.is_object() {
                let age = o["age_hours"].as_i64().unwrap_or(0);
                let age = if age >= 48 { format!("{} 天", age / 24) } else { format!("{age} 小时") };
                lines.push((
                    "最早待审",
                    format!(
                        "{} {}（{}，已等 {age}）",
                        kind_name(&text_of(&o["record_kind"])),
                        text_of(&o["record_id"]),
                        text_of(&o["date"])
                    ),
                ));
            }
            lines.push(("昨日", text_of(&y["date"])));
            lines.push(("记录数", format!("{}（已批准 {}）", text_of(&y["records"]), text_of(&y["approved"]))));
            lines.push(("人次", text_of(&y["headcount"])));
            lines.push(("工日", text_of(&y["man_days"])));
            lines.push(("人工费", [text_of(&y["labour_cost"]), text_of(&y["currency"])].join(" ")));
            lines.push(("费用", [text_of(&y["expenses"]), text_of(&y["currency"])].join(" ")));
        }
        _ => {
            lines.push(("项目", s("project_id")));
            lines.push(("消息", s("message")));
        }
    }
    lines.push(("时间", event["timestamp"].as_str().unwrap_or("").to_string()));
    lines.push(("事件", kind.to_string()));
    let mut text = format!("### {title}\n");
    for (label, value) in lines {
        if !value.trim().is_empty() {
            text.push_str(&format!("> {label}: {}\n", one_line(&value)));
        }
    }
    (title, text)
}

/// A JSON value as the markdown shows it (text as is, numbers and booleans as written, null empty).
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Line breaks inside a value would end the quote (and could start markdown of their own).
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A record kind in Chinese.
fn kind_name(kind: &str) -> String {
    match kind {
        "labour_sheet" => "人工记录",
        "expense" => "费用",
        "progress_report" => "进度",
        "wage_advance" => "借支",
        "day_log" => "施工日志",
        "observation" => "质量安全问题",
        other => other,
    }
    .to_string()
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A robot's answer: 200 with `errcode` 0 (or no errcode) is success; the error otherwise.
pub fn robot_error(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v["errcode"].as_i64() {
        Some(0) | None => None,
        Some(code) => Some(format!("errcode {code}: {}", v["errmsg"].as_str().unwrap_or(""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_char_boundary() {
        assert_eq!(truncate("日报日报", 4), "日");
        assert_eq!(truncate("ab", 4), "ab");
    }

    #[test]
    fn robot_errors() {
        assert_eq!(robot_error(br#"{"errcode":0,"errmsg":"ok"}"#), None);
        assert_eq!(
            robot_error(br#"{"errcode":310000,"errmsg":"sign not match"}"#).as_deref(),
            Some("errcode 310000: sign not match")
        );
    }

    #[test]
    fn wecom_shape() {
        let p = json!({"type": "record.approved", "timestamp": "t", "data": {"record_id": "r1"}}).to_string();
        let v: Value = serde_json::from_slice(&body("wecom", &p)).expect("json");
        assert_eq!(v["msgtype"], "markdown");
        assert!(v["markdown"]["content"].as_str().is_some_and(|c| c.contains("r1")));
    }

    #[test]
    fn every_event_has_its_title_and_facts() {
        for event in super::super::EVENTS {
            let p = json!({"type": event, "timestamp": "t", "data": {"project_id": "P1"}});
            let (title, text) = markdown(&p);
            assert_ne!(title, "Fieldledger 通知", "{event}");
            assert!(text.contains("P1") && text.contains(event), "{event}: {text}");
        }
        let p = json!({"type": "digest.daily", "timestamp": "t", "data": {"project_id": "P1",
            "pending": {"count": 3, "oldest": {"record_kind": "expense", "record_id": "r9", "date": "2026-12-01", "age_hours": 50}},
            "yesterday": {"date": "2026-12-05", "records": 4, "approved": 1, "headcount": 12, "man_days": "11.5",
            "labour_cost": "4370.00", "expenses": "120.00", "currency": "CNY"}}});
        let (_, text) = markdown(&p);
        for want in ["待审批: 3", "费用 r9", "已等 2 天", "工日: 11.5", "人工费: 4370.00 CNY"] {
            assert!(text.contains(want), "{want}: {text}");
        }
        let p = json!({"type": "record.rejected", "data": {"reason": "line one\n### not a heading"}});
        assert!(markdown(&p).1.contains("> 退回原因: line one ### not a heading"));
    }
}
