//! English and Simplified Chinese. The language is the `fl_lang` cookie (set by the switch in the
//! page header), else the browser's `Accept-Language` (highest q first), else English.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

pub const COOKIE: &str = "fl_lang";

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::ZhCn,
            Lang::ZhCn => Lang::En,
        }
    }

    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(l) = super::session::cookie(headers, COOKIE).and_then(|c| Lang::parse(&c)) {
            return l;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        accept_language(accept).unwrap_or(Lang::En)
    }

    /// The text of `key` in this language; the key itself when missing (a test checks that every
    /// key the templates use exists).
    pub fn t(self, key: &'static str) -> &'static str {
        match table().get(key) {
            Some((en, zh)) => match self {
                Lang::En => en,
                Lang::ZhCn => zh,
            },
            None => key,
        }
    }
}

/// The best supported language of an `Accept-Language` header (`zh-CN,zh;q=0.9,en;q=0.8`).
pub fn accept_language(header: &str) -> Option<Lang> {
    let mut choices: Vec<(u32, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let lang = Lang::parse(it.next()?)?;
            // q in thousandths, so weights compare without floats.
            let q = it.find_map(|p| p.trim().strip_prefix("q=")).map_or(1000, |q| {
                q.trim()
                    .parse::<rust_decimal::Decimal>()
                    .map_or(0, |d| (d * rust_decimal::Decimal::from(1000)).trunc().to_string().parse().unwrap_or(0))
            });
            (q > 0).then_some((q, i, lang))
        })
        .collect();
    choices.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    choices.first().map(|c| c.2)
}

/// The strings of each area of the screens, in its own file (so each screen's words are kept beside
/// each other); a key is defined once over all of them (a test checks).
mod account;
mod daily_reports;
mod dashboards;
mod devices;
mod errors;
mod funds;
mod labour;
mod observations;
mod pairing;
mod portfolio;
mod queue;
mod record;
mod reference;
mod risks;
mod webhooks;

pub const TABLES: &[&[(&str, &str, &str)]] = &[
    STRINGS,
    queue::STRINGS,
    record::STRINGS,
    dashboards::STRINGS,
    labour::STRINGS,
    errors::STRINGS,
    reference::STRINGS,
    account::STRINGS,
    devices::STRINGS,
    pairing::STRINGS,
    funds::STRINGS,
    observations::STRINGS,
    risks::STRINGS,
    portfolio::STRINGS,
    daily_reports::STRINGS,
    webhooks::STRINGS,
];

/// Every key of every table, looked up by hash (a page asks for hundreds of strings).
fn table() -> &'static std::collections::HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| TABLES.iter().flat_map(|t| t.iter()).map(|(k, en, zh)| (*k, (*en, *zh))).collect())
}

/// (key, English, 简体中文): the page frame, sign-in and what several screens share.
pub const STRINGS: &[(&str, &str, &str)] = &[
    ("app", "Fieldledger", "现场台账"),
    ("queue", "Approvals", "审批"),
    ("cost", "Cost", "成本"),
    ("cost_title", "Budget vs actual by cost code", "成本科目预算与实际"),
    ("schedule", "Schedule", "进度"),
    ("schedule_title", "Schedule and earned value", "进度计划与挣值"),
    ("labour", "Day labour", "点工"),
    ("labour_title", "Day-labour summary", "点工汇总"),
    ("nav_observations", "Issues", "现场问题"),
    ("nav_risks", "Risks", "风险"),
    ("nav_portfolio", "Portfolio", "项目总览"),
    ("sign_in", "Sign in", "登录"),
    // An instant in Asia/Shanghai (web/format.rs instant).
    ("beijing_time", "Beijing time", "北京时间"),
    ("sign_out", "Sign out", "退出"),
    ("token", "Sign-in key", "登录密钥"),
    (
        "sign_in_help",
        "Paste the supervisor or office sign-in key your administrator gave you.",
        "请粘贴管理员发给您的生产经理或办公室登录密钥。",
    ),
    (
        "foreman_refused",
        "A foreman's key cannot sign in here: approvals need a supervisor or office key.",
        "工长的登录密钥不能在此登录：审批需要生产经理或办公室的登录密钥。",
    ),
    ("unknown_token", "Unknown or revoked sign-in key.", "登录密钥无效或已被停用。"),
    ("project", "Project", "项目"),
    // Roles as a contractor's site team says them: the approver is the 生产经理 (not 监理, the
    // owner's independent engineer).
    ("role_foreman", "foreman", "工长"),
    ("role_supervisor", "supervisor", "生产经理"),
    ("role_admin", "admin", "管理员"),
    // Expense categories (record_schema's list), wherever a record or posting shows one.
    ("cat_materials", "Materials", "材料"),
    ("cat_equipment", "Equipment", "机械设备"),
    ("cat_tools", "Tools", "工具"),
    ("cat_transport", "Transport", "运输"),
    ("cat_fuel", "Fuel", "燃油"),
    ("cat_meals", "Meals", "餐费"),
    ("cat_accommodation", "Accommodation", "住宿"),
    ("cat_other", "Other", "其他"),
    ("site", "Site", "工地"),
    ("all", "All", "全部"),
    ("from", "From", "从"),
    ("to", "To", "至"),
    ("kind", "Kind", "类型"),
    ("author", "Author", "填报人"),
    ("date", "Date", "日期"),
    ("filter", "Filter", "筛选"),
    ("status", "Status", "状态"),
    ("conflicts", "Conflicts", "冲突"),
    ("labour_sheet", "Labour sheet", "点工单"),
    ("expense", "Expense", "费用"),
    ("progress_report", "Progress report", "进度报告"),
    ("new", "New", "新提交"),
    ("changed_since_approval", "Changed since approval", "审批后已修改"),
    ("pending", "Pending", "待审批"),
    ("approved", "Approved", "已批准"),
    ("rejected", "Rejected", "已驳回"),
    ("voided", "Voided", "已作废"),
    ("damaged", "Damaged: cannot be read", "已损坏，无法读取"),
    ("damaged_short", "Damaged", "已损坏"),
    (
        "damaged_help",
        "The stored data no longer reads as a record, so it cannot be approved. Ask the foreman to enter it again.",
        "存储的数据已无法读作记录，不能审批。请工长重新录入。",
    ),
    ("technical_detail", "Technical detail", "技术细节"),
    ("nothing_pending", "Nothing awaits a decision.", "没有待审批的记录。"),
    ("open", "Open", "打开"),
    ("bulk_title", "Approve a day's clean sheets", "批量批准当日无冲突点工单"),
    (
        "bulk_help",
        "Approves exactly the versions listed here; sheets with conflicts are left out.",
        "仅批准此处列出的版本；有冲突的点工单不包括在内。",
    ),
    ("approve_all", "Approve all", "全部批准"),
    ("sheets", "sheets", "张点工单"),
    ("bulk_done", "Bulk approval", "批量批准结果"),
    ("refused", "Refused", "被拒绝"),
    ("record", "Record", "记录"),
    ("version", "Version", "版本"),
    ("trade", "Trade", "工种"),
    ("crew", "Crew", "班组"),
    ("headcount", "Headcount", "人数"),
    ("effort", "Hours / days", "工时 / 工日"),
    ("hours", "h", "小时"),
    ("days", "d", "天"),
    ("rate", "Rate", "单价"),
    ("amount", "Amount", "金额"),
    ("cost_code", "Cost code", "成本科目"),
    ("activity", "Activity", "进度任务"),
    ("note", "Note", "备注"),
    ("total", "Total", "合计"),
    ("category", "Category", "类别"),
    ("vendor", "Vendor", "供应商"),
    ("progress", "Progress", "进度"),
    ("caption", "Caption", "说明"),
    ("photos", "Photos", "照片"),
    ("no_photos", "No photos.", "无照片。"),
    ("changes_since_approval", "Changed since the approved version", "与已批准版本的差异"),
    ("field", "Field", "字段"),
    ("approved_value", "Approved", "已批准值"),
    ("current_value", "Now", "当前值"),
    ("absent", "(absent)", "（无）"),
    ("conflicting_values", "Conflicting values (two people edited the same field)", "冲突值（两人同时修改了同一字段）"),
    ("keep", "Keep", "保留"),
    ("shown", "shown", "当前显示"),
    ("resolve_first", "Resolve the conflicts before approving.", "请先解决冲突再批准。"),
    ("decisions", "Decisions", "审批记录"),
    ("no_decisions", "No decision yet.", "尚无审批。"),
    ("by", "By", "审批人"),
    ("when", "When", "时间"),
    ("comment", "Comment", "意见"),
    ("history", "Change history", "修改历史"),
    ("message", "Message", "说明"),
    ("approve", "Approve this version", "批准此版本"),
    ("reject", "Reject", "驳回"),
    ("reject_help", "A rejection needs a comment: the foreman reads it.", "驳回需填写意见，工长会看到。"),
    ("done_approved", "Approved. The ledgers now hold this version.", "已批准，台账已按此版本记账。"),
    ("done_rejected", "Rejected. The foreman will see your comment.", "已驳回，工长将看到您的意见。"),
    ("done_resolved", "Conflict resolved; review the new version.", "冲突已解决，请审核新版本。"),
    ("budget", "Budget", "预算"),
    ("actual", "Actual", "实际"),
    ("variance", "Variance", "差额"),
    ("earned", "Earned", "挣值"),
    ("cpi", "CPI", "CPI"),
    ("spent", "Spent %", "已用 %"),
    ("legend_budget", "budget", "预算"),
    ("legend_actual", "actual", "实际"),
    ("legend_over", "over budget", "超预算"),
    ("at", "At", "截至"),
    ("show", "Show", "查看"),
    ("planned_pct", "Planned %", "计划 %"),
    ("actual_pct", "Actual %", "实际 %"),
    ("sv", "SV", "SV"),
    ("spi", "SPI", "SPI"),
    ("pv", "PV", "PV"),
    ("ev", "EV", "EV"),
    ("ac", "AC", "AC"),
    ("bac", "BAC", "BAC"),
    ("s_curve", "S-curve: planned value, earned value, actual cost", "S 曲线：计划值、挣值、实际成本"),
    ("no_data", "No figures yet.", "暂无数据。"),
    ("period", "Period", "周期"),
    ("day", "Day", "日"),
    ("week", "Week", "周"),
    ("month", "Month", "月"),
    ("group_by", "Group by", "分组"),
    ("headcount_days", "Worker-days", "工日"),
    ("person_hours", "Person-hours", "工时"),
    ("export_csv", "Export CSV", "导出 CSV"),
    ("export_xlsx", "Export Excel", "导出 Excel"),
    ("other_currencies", "Costs in other currencies (not converted)", "其他币种成本（未换算）"),
    ("not_in_reference", "not in reference data", "不在基础数据中"),
    ("error", "Something went wrong", "出错了"),
    ("back", "Back", "返回"),
    ("signed_in_as", "Signed in as", "当前用户"),
    ("switch_lang", "中文", "English"),
    ("times_in", "Times in the site's time zone", "时间按工地时区显示"),
    ("not_found", "Page not found", "找不到页面"),
    ("not_found_message", "This page does not exist.", "页面不存在。"),
    ("back_to_queue", "Back to approvals", "返回审批列表"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(accept_language("fr-FR,en;q=0.5,zh;q=0.4"), Some(Lang::En));
        assert_eq!(accept_language("en;q=0.2, zh-TW;q=0.7"), Some(Lang::ZhCn));
        assert_eq!(accept_language("fr"), None);
        assert_eq!(accept_language("zh;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).expect("templates") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for part in text.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert!(table().contains_key(key), "no translation for {key:?}");
                used += 1;
            }
        }
        assert!(used > 50, "found only {used} keys: is the pattern still right?");
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = TABLES.iter().flat_map(|t| t.iter()).map(|s| s.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
