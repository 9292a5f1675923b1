//! A record's figures and differences in the words a site manager uses: names instead of ids,
//! money with its sign, rates with the unit they pay for and the office's decimals (`¥45.625/小时`,
//! `¥365.00/工日（每工日8小时）` beside hours), lines by their 1-based number ("第2行", "Line 2"),
//! never a document path.

use std::collections::HashMap;

use record_schema::Currency;
use rust_decimal::Decimal;
use serde_json::Value;

use super::super::format::{dec, grouped, money};
use super::super::i18n::Lang;
use crate::reference::ReferenceSet;

/// Names of the project's reference data by key.
#[derive(Default)]
pub struct Names {
    sites: HashMap<String, String>,
    codes: HashMap<String, String>,
    activities: HashMap<String, String>,
    categories: HashMap<String, String>,
}

impl Names {
    pub fn of(set: &ReferenceSet) -> Names {
        Names {
            sites: set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
            codes: set.cost_codes.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
            activities: set.activities.iter().map(|a| (a.id.clone(), a.name.clone())).collect(),
            categories: set.expense_categories.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
        }
    }

    /// An expense category in words: a default category (`materials`) in the page's language, a
    /// project's own (`equipment_rental`) by the name the office gave it, else the code.
    pub fn category(&self, code: &str, lang: Lang) -> String {
        category_words(code, self.categories.get(code).map(String::as_str), lang)
    }

    /// The site's name (its id when the reference data does not know it).
    pub fn site(&self, id: &str) -> String {
        self.sites.get(id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// (code, name): the name empty when unknown.
    pub fn code(&self, code: &str) -> (String, String) {
        (code.to_string(), self.codes.get(code).cloned().unwrap_or_default())
    }

    /// (id, name): the name empty when unknown.
    pub fn activity(&self, id: &str) -> (String, String) {
        (id.to_string(), self.activities.get(id).cloned().unwrap_or_default())
    }
}

/// A category's words: a default code's translation, else the project's `name`, else the code.
pub fn category_words(code: &str, name: Option<&str>, lang: Lang) -> String {
    let translated = super::super::expense_category(lang, code);
    match name {
        Some(n) if translated == code && !n.is_empty() => n.to_string(),
        _ => translated,
    }
}

/// A rate as money with every decimal the office set: `¥365.00`, `CN¥45.625` (never rounded to
/// the currency: only a line's amount is).
pub fn rate_money(rate: Decimal, currency: Currency, lang: Lang) -> String {
    // The currency's sign as `money` writes it (no sign ends in a digit or a point).
    let zero = money(Decimal::ZERO, currency, lang);
    let sign = zero.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    let figure: Decimal = currency.canonical_rate(rate).parse().unwrap_or(rate);
    let minus = if figure.is_sign_negative() && !figure.is_zero() { "-" } else { "" };
    format!("{minus}{sign}{}", grouped(figure.abs()))
}

/// `03-100 模板`, or the code alone when it has no name.
pub fn code_and_name((code, name): (String, String)) -> String {
    if name.is_empty() { code } else { format!("{code} {name}") }
}

pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How a page writes figures: the language, the record's currency and the reference names.
pub struct Words<'a> {
    pub lang: Lang,
    pub currency: Currency,
    pub names: &'a Names,
}

impl Words<'_> {
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    pub fn money(&self, v: &Value) -> String {
        dec(v).map_or_else(|| text(v), |d| money(d, self.currency, self.lang))
    }

    /// `¥47.50/小时`, `CN¥360.00/worker-day`, `¥45.625/小时`: `unit` is what the rate pays for.
    pub fn rate(&self, v: &Value, unit: &Value) -> String {
        let per = if *unit == "days" || *unit == "day" { self.t("rec_per_day") } else { self.t("rec_per_hour") };
        let figure = dec(v).map_or_else(|| text(v), |d| rate_money(d, self.currency, self.lang));
        format!("{figure}{per}")
    }

    /// What a line's rate pays for (`days`/`hours`): `rate_unit`, or the effort's unit for a line
    /// described without one.
    fn rate_unit(line: &Value) -> &Value {
        if line["rate_unit"].is_null() { &line["effort_unit"] } else { &line["rate_unit"] }
    }

    /// The line's hours per day (8 for a line described without them).
    fn hours_per_day(line: &Value) -> Decimal {
        dec(&line["hours_per_day"]).unwrap_or(Decimal::from(record_schema::labour::HOURS_PER_DAY))
    }

    /// A line's rate in words, with its hours per day where they price the line (hours at a day
    /// rate, days at an hourly one) or count its worker-days (not 8): `¥365.00/工日（每工日8小时）`,
    /// `CN¥365.00/worker-day (8 h/day)`.
    pub fn line_rate(&self, line: &Value) -> String {
        let unit = Self::rate_unit(line);
        let rate = self.rate(&line["rate"], unit);
        let per_day = Self::hours_per_day(line);
        let converts = *unit != line["effort_unit"];
        if converts || per_day != Decimal::from(record_schema::labour::HOURS_PER_DAY) {
            format!("{rate}{}", self.t("rec_hours_per_day").replace("{h}", &per_day.normalize().to_string()))
        } else {
            rate
        }
    }

    /// `8 小时` / `8 h`, `2.5 天` / `2.5 days`.
    pub fn effort(&self, v: &Value, unit: &Value) -> String {
        let one = dec(v).is_some_and(|q| q == Decimal::ONE);
        let key = match (*unit == "days", one) {
            (true, true) => "rec_unit_day",
            (true, false) => "rec_unit_days",
            (false, true) => "rec_unit_hour",
            (false, false) => "rec_unit_hours",
        };
        format!("{}{}", text(v), self.t(key))
    }

    /// Worker-days of a line: headcount × days, or headcount × hours ÷ the line's hours per day
    /// (as the ledger counts them: `CrewLine::person_time`).
    pub fn worker_days(line: &Value) -> Option<Decimal> {
        let n = Decimal::from(line["headcount"].as_i64()?);
        let q = dec(&line["effort"])?;
        if line["effort_unit"] == "days" { Some(n * q) } else { (n * q).checked_div(Self::hours_per_day(line)) }
    }

    pub fn quantity(d: Decimal) -> String {
        grouped(d.round_dp(2).normalize())
    }

    fn none(&self) -> String {
        self.t("rec_none").to_string()
    }

    fn code_name(&self, v: &Value) -> String {
        match v.as_str() {
            Some(c) if !c.is_empty() => code_and_name(self.names.code(c)),
            _ => self.none(),
        }
    }

    fn activity_name(&self, v: &Value) -> String {
        match v.as_str() {
            Some(a) if !a.is_empty() => {
                let (id, name) = self.names.activity(a);
                if name.is_empty() { id } else { name }
            }
            _ => self.none(),
        }
    }

    /// Names of the workers recorded on a line, `张三、李四` / `Zhang San, Li Si`.
    pub fn workers(&self, v: &Value) -> String {
        let names: Vec<String> = v
            .as_array()
            .map(|ws| ws.iter().map(|w| text(&w["name"])).filter(|n| !n.is_empty()).collect())
            .unwrap_or_default();
        if names.is_empty() { self.none() } else { names.join(self.t("rec_list_sep")) }
    }

    /// The i18n key of a line's field.
    fn line_field(field: &str) -> &'static str {
        match field {
            "trade" => "rec_f_trade",
            "crew" => "rec_f_crew",
            "headcount" => "rec_f_headcount",
            "effort" | "effort_unit" => "rec_f_effort",
            "rate" | "rate_unit" => "rec_f_rate",
            "hours_per_day" => "rec_f_hours_per_day",
            "cost" => "rec_f_amount",
            "cost_code" => "rec_f_cost_code",
            "activity" => "rec_f_activity",
            "note" => "rec_f_note",
            "workers" => "rec_f_workers",
            "presence" => "rec_line_presence",
            _ => "rec_other_field",
        }
    }

    /// A line's field's value in words (`line` gives the effort unit a quantity or rate needs).
    fn line_value(&self, field: &str, line: &Value) -> String {
        let v = &line[field];
        match field {
            "effort" | "effort_unit" => self.effort(&line["effort"], &line["effort_unit"]),
            "rate" | "rate_unit" => self.line_rate(line),
            "hours_per_day" => {
                let h = Self::hours_per_day(line).normalize().to_string();
                self.t("rec_hours_per_day_value").replace("{h}", &h)
            }
            "cost" => self.money(v),
            "cost_code" => self.code_name(v),
            "activity" => self.activity_name(v),
            "workers" => self.workers(v),
            _ if v.is_null() || text(v).is_empty() => self.none(),
            _ => text(v),
        }
    }

    /// `第2行` / `Line 2`.
    pub fn line_no(&self, n: u64) -> String {
        self.t("rec_line_n").replace("{n}", &n.to_string())
    }

    /// One line in a sentence: `钢筋工 张班 2人 × 8小时 × ¥45.00/小时 = ¥720.00`.
    fn line_summary(&self, l: &Value) -> String {
        let crew = l["crew"].as_str().filter(|c| !c.is_empty()).map(|c| format!(" {c}")).unwrap_or_default();
        format!(
            "{}{crew} {}{} × {} × {} = {}",
            text(&l["trade"]),
            text(&l["headcount"]),
            self.t(if l["headcount"] == 1 { "rec_person" } else { "rec_people" }),
            self.effort(&l["effort"], &l["effort_unit"]),
            self.line_rate(l),
            self.money(&l["cost"]),
        )
    }

    /// The sentences of `changes_by_line` (as `GET /v1/records/{id}` gives it): one per changed,
    /// added or removed line, one per changed field of the record, and the total's change.
    pub fn changes(&self, by_line: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let sep = self.t("rec_clause_sep");
        for l in by_line["lines"].as_array().into_iter().flatten() {
            let n = l["position"].as_u64().unwrap_or_default();
            match l["change"].as_str().unwrap_or_default() {
                "added" => out.push(format!(
                    "{}{}",
                    self.t("rec_line_added").replace("{n}", &n.to_string()),
                    self.line_summary(&l["current"])
                )),
                "removed" => out.push(format!(
                    "{}{}",
                    self.t("rec_line_removed").replace("{n}", &n.to_string()),
                    self.line_summary(&l["approved"])
                )),
                _ => {
                    let fields: Vec<&str> = l["fields"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        // A unit reads with its figure (the effort's with the quantity, the rate's
                        // with the rate): one clause for both.
                        .filter(|f| {
                            let with = match *f {
                                "effort_unit" => "effort",
                                "rate_unit" => "rate",
                                _ => return true,
                            };
                            !l["fields"].as_array().is_some_and(|fs| fs.iter().any(|x| *x == with))
                        })
                        .collect();
                    let clauses: Vec<String> = fields
                        .iter()
                        .map(|f| {
                            format!(
                                "{} {}→{}",
                                self.t(Self::line_field(f)),
                                self.line_value(f, &l["approved"]),
                                self.line_value(f, &l["current"])
                            )
                        })
                        .collect();
                    out.push(format!(
                        "{} {}{}{}",
                        self.line_no(n),
                        text(&l["current"]["trade"]),
                        self.t("rec_label_sep"),
                        clauses.join(sep)
                    ));
                }
            }
        }
        for f in by_line["fields"].as_array().into_iter().flatten() {
            let field = f["field"].as_str().unwrap_or_default();
            let (key, before, after) = self.record_field(field, &f["approved"], &f["current"]);
            out.push(format!("{}{}{before}→{after}", self.t(key), self.t("rec_label_sep")));
        }
        let photos = &by_line["photos"];
        if photos["approved"] != photos["current"] {
            out.push(format!(
                "{}{}{}→{}",
                self.t("photos"),
                self.t("rec_label_sep"),
                text(&photos["approved"]),
                text(&photos["current"])
            ));
        }
        let total = &by_line["total"];
        if let Some(delta) = dec(&total["delta"]).filter(|d| !d.is_zero()) {
            let sign = if delta.is_sign_positive() { "+" } else { "" };
            out.push(format!(
                "{} {sign}{}{}{}→{}{}",
                self.t("total"),
                money(delta, self.currency, self.lang),
                self.t("rec_paren_open"),
                self.money(&total["approved"]),
                self.money(&total["current"]),
                self.t("rec_paren_close"),
            ));
        }
        out
    }

    /// A record field's label key and its two values in words.
    fn record_field(&self, field: &str, a: &Value, c: &Value) -> (&'static str, String, String) {
        let plain = |v: &Value| if v.is_null() || text(v).is_empty() { self.none() } else { text(v) };
        match field {
            "site_id" => ("site", self.names.site(&text(a)), self.names.site(&text(c))),
            "amount" => ("amount", self.money(a), self.money(c)),
            "cost_code" => ("cost_code", self.code_name(a), self.code_name(c)),
            "activity" => ("activity", self.activity_name(a), self.activity_name(c)),
            "voided" => {
                let v = |x: &Value| {
                    if x.is_null() {
                        self.t("rec_not_voided").to_string()
                    } else {
                        format!("{}{}{}", self.t("voided"), self.t("rec_label_sep"), text(&x["reason"]))
                    }
                };
                ("voided", v(a), v(c))
            }
            "date" => ("date", plain(a), plain(c)),
            "note" => ("note", plain(a), plain(c)),
            "category" => {
                let cat = |v: &Value| if v.is_null() { self.none() } else { self.names.category(&text(v), self.lang) };
                ("category", cat(a), cat(c))
            }
            "vendor" => ("vendor", plain(a), plain(c)),
            // A wage advance's worker: the name, with the roster's id when picked from it.
            "worker" => {
                let who = |v: &Value| match (text(&v["name"]), text(&v["worker_id"])) {
                    (name, _) if name.is_empty() => self.none(),
                    (name, id) if id.is_empty() => name,
                    (name, id) => format!(
                        "{name}{}{}{}",
                        self.t("rec_paren_open"),
                        self.t("rec_adv_roster").replace("{id}", &id),
                        self.t("rec_paren_close")
                    ),
                };
                ("rec_adv_worker", who(a), who(c))
            }
            "reason" => ("rec_adv_reason", plain(a), plain(c)),
            "crew" => ("rec_adv_crew", plain(a), plain(c)),
            "value" => ("progress", plain(a), plain(c)),
            "caption" => ("caption", plain(a), plain(c)),
            "author" => ("author", plain(a), plain(c)),
            "unit" => ("rec_unit", plain(a), plain(c)),
            "measure" => ("rec_measure", plain(a), plain(c)),
            "currency" => ("rec_currency", plain(a), plain(c)),
            _ => ("rec_other_field", plain(a), plain(c)),
        }
    }

    /// A conflicting field in words: `第2行 钢筋工 人数` for `lines/<id>/headcount` (the line found
    /// by its id in `lines`), the field's label for a field of the record.
    pub fn conflict_field(&self, path: &str, lines: &[Value]) -> String {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["lines", id, field, ..] => {
                let at = lines.iter().position(|l| l["id"] == *id);
                let line = at.map_or_else(
                    || self.t("rec_a_line").to_string(),
                    |i| format!("{} {}", self.line_no(i as u64 + 1), text(&lines[i]["trade"])),
                );
                format!("{line} {}", self.t(Self::line_field(field)))
            }
            ["lines", ..] => self.t("rec_lines").to_string(),
            [field, ..] => self.t(self.record_field(field, &Value::Null, &Value::Null).0).to_string(),
            [] => self.t("rec_other_field").to_string(),
        }
    }

    /// A conflicting value in words (the field's last segment says how to read it).
    pub fn conflict_value(&self, path: &str, value: &str, lines: &[Value]) -> String {
        let parts: Vec<&str> = path.split('/').collect();
        let v = Value::String(value.to_string());
        match parts.as_slice() {
            ["lines", id, field] => {
                let line = lines.iter().find(|l| l["id"] == *id).cloned().unwrap_or_default();
                let unit = line["effort_unit"].clone();
                match *field {
                    "rate" => self.rate(&v, Self::rate_unit(&line)),
                    "rate_unit" => self
                        .t(if value == "day" || value == "days" { "rec_per_day" } else { "rec_per_hour" })
                        .to_string(),
                    "hours_per_day" => self.t("rec_hours_per_day_value").replace("{h}", value),
                    "cost" => self.money(&v),
                    "effort" => self.effort(&v, &unit),
                    "effort_unit" => self
                        .t(if value == "day" || value == "days" { "rec_unit_days" } else { "rec_unit_hours" })
                        .trim()
                        .to_string(),
                    "cost_code" => self.code_name(&v),
                    "activity" => self.activity_name(&v),
                    "presence" if value == "removed" => self.t("rec_presence_removed").to_string(),
                    "presence" => self.t("rec_presence_kept").to_string(),
                    _ => value.to_string(),
                }
            }
            ["amount"] => self.money(&v),
            ["cost_code"] => self.code_name(&v),
            ["activity"] => self.activity_name(&v),
            ["site_id"] => self.names.site(value),
            ["category"] => self.names.category(value, self.lang),
            _ => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn line(id: &str, trade: &str, headcount: i64, unit: &str, effort: &str, rate: &str, cost: &str) -> Value {
        json!({ "id": id, "trade": trade, "crew": "张班", "headcount": headcount, "effort_unit": unit,
                "effort": effort, "rate": rate, "cost": cost, "cost_code": "03-100", "activity": null,
                "note": null, "workers": [] })
    }

    #[test]
    fn removed_lines_and_record_fields_read_as_words() {
        let names = Names::default();
        let by_line = json!({
            "lines": [{ "change": "removed", "position": 2, "approved": line("b", "钢筋工", 1, "days", "1", "360.00", "360.00"),
                        "current": null, "fields": [] }],
            "fields": [{ "field": "note", "approved": null, "current": "雨天" }],
            "total": { "approved": "1000.00", "current": "640.00", "delta": "-360.00" },
            "photos": { "approved": 0, "current": 0 },
        });
        let zh = Words { lang: Lang::ZhCn, currency: Currency::Cny, names: &names };
        assert_eq!(
            zh.changes(&by_line),
            vec![
                "删除第2行：钢筋工 张班 1人 × 1天 × ¥360.00/工日 = ¥360.00".to_string(),
                "备注：（无）→雨天".into(),
                "合计 -¥360.00（¥1,000.00→¥640.00）".into(),
            ]
        );
        let en = Words { lang: Lang::En, currency: Currency::Cny, names: &names };
        assert_eq!(
            en.changes(&by_line),
            vec![
                "Line 2 removed: 钢筋工 张班 1 person × 1 day × CN¥360.00/worker-day = CN¥360.00".to_string(),
                "Note: (none)→雨天".into(),
                "Total -CN¥360.00 (CN¥1,000.00→CN¥640.00)".into(),
            ]
        );
        let lines = [line("a", "木工", 4, "hours", "8", "47.50", "1520.00")];
        assert_eq!(en.conflict_field("lines/a/rate", &lines), "Line 1 木工 rate");
        assert_eq!(zh.conflict_value("lines/a/rate", "50.00", &lines), "¥50.00/小时");
        assert_eq!(zh.conflict_field("note", &lines), "备注");
    }

    #[test]
    fn hours_at_a_day_rate_read_as_such() {
        let names = Names::default();
        let mut l = line("a", "普工", 1, "hours", "9.5", "365.00", "433.44");
        l["rate_unit"] = json!("days");
        l["hours_per_day"] = json!("8");
        let zh = Words { lang: Lang::ZhCn, currency: Currency::Cny, names: &names };
        let en = Words { lang: Lang::En, currency: Currency::Cny, names: &names };
        assert_eq!(zh.line_rate(&l), "¥365.00/工日（每工日8小时）");
        assert_eq!(en.line_rate(&l), "CN¥365.00/worker-day (8 h/day)");
        assert_eq!(en.line_summary(&l), "普工 张班 1 person × 9.5 hours × CN¥365.00/worker-day (8 h/day) = CN¥433.44");
        assert_eq!(Words::worker_days(&l), Some(Decimal::new(11875, 4)));
        // An hourly rate with the office's decimals, on a line that needs no conversion.
        let mut h = line("b", "普工", 1, "hours", "9.5", "45.625", "433.44");
        h["rate_unit"] = json!("hours");
        h["hours_per_day"] = json!("8");
        assert_eq!(zh.line_rate(&h), "¥45.625/小时");
        // A 7.5-hour day counts worker-days by it, and says so.
        h["hours_per_day"] = json!("7.5");
        assert_eq!(en.line_rate(&h), "CN¥45.625/hour (7.5 h/day)");
        assert_eq!(Words::worker_days(&h).map(|d| d.round_dp(4)), Some(Decimal::new(12667, 4)));
        assert_eq!(rate_money(Decimal::new(12345, 1), Currency::Cny, Lang::En), "CN¥1,234.50");
        assert_eq!(rate_money(Decimal::new(455, 1), Currency::Jpy, Lang::En), "¥45.5");
    }

    #[test]
    fn categories_read_by_their_names() {
        let mut set = ReferenceSet::empty("P");
        set.expense_categories = vec![
            crate::reference::ExpenseCategory { code: "equipment_rental".into(), name: "机械租赁".into() },
            crate::reference::ExpenseCategory { code: "materials".into(), name: "材料（甲供除外）".into() },
        ];
        let names = Names::of(&set);
        assert_eq!(names.category("equipment_rental", Lang::En), "机械租赁");
        // A default code keeps its translation in both languages.
        assert_eq!(names.category("materials", Lang::En), "Materials");
        assert_eq!(names.category("materials", Lang::ZhCn), "材料");
        assert_eq!(names.category("unknown_code", Lang::ZhCn), "unknown_code");
    }
}
