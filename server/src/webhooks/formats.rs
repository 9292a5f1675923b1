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

/// An event's title and markdown, in Chinese (the robots' readers are the site's office).
pub fn markdown(event: &Value) -> (String, String) {
    let kind = event["type"].as_str().unwrap_or("");
    let d = &event["data"];
    let s = |k: &str| d[k].as_str().unwrap_or("").to_string();
    let title = match kind {
        "record.approved" => "记录已批准",
        "record.rejected" => "记录被退回",
        "record.submitted" => "新记录待审批",
        "record.changed_since_approval" => "已批准的记录被修改",
        "record.conflict" => "记录有冲突",
        "daily_report.ready" => "日报已生成",
        "wages.arrears_flagged" => "欠薪预警",
        "ping" => "Fieldledger 测试消息",
        _ => "Fieldledger 通知",
    }
    .to_string();
    let mut text = format!("### {title}\n");
    let mut line = |label: &str, value: String| {
        if !value.is_empty() {
            text.push_str(&format!("> {label}: {value}\n"));
        }
    };
    line("项目", s("project_id"));
    line("记录", [s("record_kind"), s("record_id")].join(" ").trim().to_string());
    line("审批人", s("decided_by"));
    if kind == "record.rejected" {
        line("退回原因", s("reason"));
    } else {
        line("备注", s("comment"));
    }
    line("消息", s("message"));
    line("时间", event["timestamp"].as_str().unwrap_or("").to_string());
    line("事件", kind.to_string());
    (title, text)
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
}
