//! The import's problems (`reference::CellError`) in the words of the page: the column by its name
//! in the page language (`预算`), the row when a file or pasted rows gave one (`第3行 预算`), and the
//! import's own message, in Chinese when it is one of the import's known messages (the English text
//! is kept beside it, as it is what the API and the import answer).

use crate::reference::CellError;
use crate::reference::table::Table;
use crate::web::i18n::Lang;

/// The i18n key of a column's name in `table`.
pub fn column_key(table: Table, column: &str) -> Option<&'static str> {
    Some(match (table, column) {
        (Table::Activities, "budget") => "ref_col_bac",
        (Table::Trades, "name") => "ref_col_trade",
        (_, "name") => "ref_col_name",
        (_, "currency") => "ref_col_currency",
        (_, "id") => "ref_col_id",
        (_, "time_zone") => "ref_col_time_zone",
        (_, "code") => "ref_col_code",
        (_, "parent") => "ref_col_parent",
        (_, "budget") => "ref_col_budget",
        (_, "planned_start") => "ref_col_planned_start",
        (_, "planned_finish") => "ref_col_planned_finish",
        (_, "cost_code") => "ref_col_cost_code",
        (_, "planned_quantity") => "ref_col_planned_quantity",
        (_, "unit") => "ref_col_unit",
        (_, "curve") => "ref_col_curve",
        (_, "day_rate") => "ref_col_day_rate",
        (_, "hour_rate") => "ref_col_hour_rate",
        (_, "hours_per_day") => "ref_col_hours_per_day",
        _ => return None,
    })
}

/// The column a problem names: `budget` for a form or JSON, `C (budget)` for a file.
pub fn column_name(label: &str) -> &str {
    match label.split_once(" (") {
        Some((_, rest)) => rest.trim_end_matches(')'),
        None => label,
    }
}

/// Where a problem is, in words: `预算`, `第3行 预算` / `Budget`, `Row 3, budget`.
pub fn place(e: &CellError, lang: Lang) -> String {
    let table = e.table.trim_end_matches(" (stored)").parse::<Table>().ok();
    let column = column_name(&e.column);
    let name = match table.and_then(|t| column_key(t, column)) {
        Some(k) => lang.t(k).to_string(),
        None => column.replace('_', " "),
    };
    if e.row == 0 {
        return name;
    }
    let row = lang.t("ref_row_n").replace("{n}", &e.row.to_string());
    match lang {
        Lang::En => format!("{row}, {}", name.to_lowercase()),
        Lang::ZhCn => format!("{row} {name}"),
    }
}

/// What was typed, as a message quotes it after `got`.
fn got(m: &str) -> &str {
    m.rsplit_once("(got ").map_or("", |(_, v)| v.trim_end_matches(')'))
}

/// The import's message in Chinese when it is one it is known to give; `None` keeps the English.
pub fn chinese(message: &str) -> Option<String> {
    let m = message;
    let quoted = || m.split('"').nth(1).unwrap_or_default();
    let (before, _) = m.split_once(" (got ").unwrap_or((m, ""));
    Some(match before {
        "is required" => "必填".into(),
        "is longer than 200 characters" => "超过 200 个字符".into(),
        "must not be negative" => format!("不能为负数（填的是 {}）", got(m)),
        "a number is required" => "需要填数字".into(),
        "only digits and one '.' are allowed" => format!("只能填数字和一个小数点（填的是 {}）", got(m)),
        "no leading zeros are allowed" => format!("数字不能以 0 开头（填的是 {}）", got(m)),
        "negative zero is not a number a person writes" => format!("不能填 -0（填的是 {}）", got(m)),
        "expected a date YYYY-MM-DD" => format!("日期应写成 YYYY-MM-DD（填的是 {}）", got(m)),
        "must be more than 0 when given" => "填写时必须大于 0".into(),
        "is required with a planned quantity" => "填了计划工程量时必填".into(),
        "the currency cannot change once budgets are entered" => "已录入预算，币种不能更改".into(),
        b if b.starts_with("must be more than 0 and at most ") && b.ends_with(" hours") => {
            let max = b.trim_start_matches("must be more than 0 and at most ").trim_end_matches(" hours");
            format!("须大于 0 且不超过 {max} 小时（填的是 {}）", got(m))
        }
        b if b.starts_with("must be a short code of letters a-z, digits, _ and - (at most ") => {
            let max = b.split("(at most ").nth(1)?.split(' ').next()?;
            format!(
                "编码须为英文字母、数字、_ 和 -（最多 {max} 个字符，如 equipment_rental；中文写在名称列）（填的是 {}）",
                got(m)
            )
        }
        b if b.starts_with("at most ") && b.ends_with(" decimal places are allowed") => {
            let n = b.trim_start_matches("at most ").trim_end_matches(" decimal places are allowed");
            format!("最多 {n} 位小数（填的是 {}）", got(m))
        }
        b if b.starts_with("number is too large") => format!("数字太大：小数点前最多 15 位（填的是 {}）", got(m)),
        b if b.contains(" is before the planned start ") => {
            let (finish, start) = b.split_once(" is before the planned start ")?;
            format!("{finish} 早于计划开始 {start}")
        }
        b if b.starts_with("unknown time zone ") => format!("未知时区 \"{}\"", quoted()),
        b if b.starts_with("unknown currency ") => format!("未知币种 \"{}\"", quoted()),
        b if b.starts_with("cost code ") && b.ends_with(" does not exist") => {
            format!("成本科目 \"{}\" 不存在", quoted())
        }
        b if b.ends_with(" would be its own ancestor") => format!("\"{}\" 会成为自己的上级", quoted()),
        b if b.contains(" of the cost code tree; cost codes nest at most ") => {
            let level = b.split("would be level ").nth(1)?.split(' ').next()?;
            let max = b.rsplit("nest at most ").next()?.split(' ').next()?;
            format!("\"{}\" 将是科目树的第 {level} 级；科目最多 {max} 级", quoted())
        }
        b if b.ends_with(" already exists") => format!("\"{}\" 已存在", quoted()),
        b if b.ends_with(" does not exist (deleted meanwhile?)") => format!("\"{}\" 不存在（可能已被删除）", quoted()),
        b if b.contains(" is already given in row ") => {
            let row = b.rsplit(' ').next()?;
            format!("\"{}\" 已在第{row}行填写", quoted())
        }
        b if b.ends_with(": percent must be 0–100") => "百分比必须在 0–100 之间".into(),
        b if b.ends_with(": dates must ascend and percents never fall") => "日期须递增，百分比不能下降".into(),
        b if b.ends_with(": expected DATE=PERCENT") => "应写成 日期=百分比".into(),
        b if b.ends_with(" is not a date YYYY-MM-DD") => format!("\"{}\" 不是 YYYY-MM-DD 日期", quoted()),
        _ => return None,
    })
}

/// One problem as the page shows it: where, what (in the page language), and the import's English
/// message when the page is in Chinese and it was translated.
pub struct ProblemWords {
    /// The column at fault when the problem is the form's (a file's or pasted rows' problems name
    /// their row instead and are not shown at the form's fields).
    pub column: String,
    pub place: String,
    pub what: String,
    pub original: String,
}

pub fn problem(e: &CellError, lang: Lang) -> ProblemWords {
    let translated = match lang {
        Lang::ZhCn => chinese(&e.message),
        Lang::En => None,
    };
    ProblemWords {
        column: if e.row == 0 { column_name(&e.column).to_string() } else { String::new() },
        place: place(e, lang),
        original: if translated.is_some() { e.message.clone() } else { String::new() },
        what: translated.unwrap_or_else(|| e.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(table: &str, row: usize, column: &str, message: &str) -> CellError {
        CellError { table: table.into(), row, column: column.into(), message: message.into() }
    }

    #[test]
    fn places_name_the_row_and_column_in_words() {
        assert_eq!(place(&cell("cost_codes", 3, "D (budget)", "x"), Lang::ZhCn), "第3行 预算");
        assert_eq!(place(&cell("cost_codes", 3, "D (budget)", "x"), Lang::En), "Row 3, budget");
        assert_eq!(place(&cell("cost_codes", 0, "budget", "x"), Lang::ZhCn), "预算");
        assert_eq!(place(&cell("activities", 0, "budget", "x"), Lang::ZhCn), "完工预算 (BAC)");
        assert_eq!(place(&cell("cost_codes (stored)", 0, "parent", "x"), Lang::En), "Parent code");
    }

    #[test]
    fn the_imports_messages_read_in_chinese() {
        let budget = record_schema::money::parse_decimal("budget", "1e5", 2).expect_err("1e5").reason;
        assert_eq!(chinese(&budget).as_deref(), Some("只能填数字和一个小数点（填的是 \"1e5\"）"));
        assert_eq!(chinese("must not be negative (got \"-3\")").as_deref(), Some("不能为负数（填的是 \"-3\"）"));
        assert_eq!(
            chinese("2026-02-01 is before the planned start 2026-03-01").as_deref(),
            Some("2026-02-01 早于计划开始 2026-03-01")
        );
        assert_eq!(chinese("cost code \"99\" does not exist").as_deref(), Some("成本科目 \"99\" 不存在"));
        assert_eq!(chinese("\"03-100\" already exists").as_deref(), Some("\"03-100\" 已存在"));
        assert_eq!(chinese("is required").as_deref(), Some("必填"));
        assert_eq!(
            chinese("must be more than 0 and at most 24 hours (got \"25\")").as_deref(),
            Some("须大于 0 且不超过 24 小时（填的是 \"25\"）")
        );
        let mut errors = crate::reference::Problems::default();
        let raw = crate::reference::table::RawTable::one_row(
            Table::ExpenseCategories,
            vec![("code".into(), "机械 租赁".into()), ("name".into(), "机械租赁".into())],
        );
        let mut out = crate::reference::table::ParsedRows::default();
        crate::reference::table::parse(&raw, record_schema::Currency::Cny, &mut out, &mut errors);
        let zh = chinese(&errors[0].message).expect("the code's message reads in Chinese");
        assert!(zh.starts_with("编码须为英文字母、数字、_ 和 -（最多 40 个字符"), "{zh}");
        assert!(zh.ends_with("（填的是 \"机械 租赁\"）"), "{zh}");
        assert_eq!(chinese("something new"), None);
        let p = problem(&cell("cost_codes", 0, "budget", "must not be negative (got \"-3\")"), Lang::ZhCn);
        assert_eq!((p.column.as_str(), p.place.as_str()), ("budget", "预算"));
        assert_eq!(p.original, "must not be negative (got \"-3\")");
        let p = problem(&cell("cost_codes", 0, "budget", "must not be negative (got \"-3\")"), Lang::En);
        assert_eq!((p.what.as_str(), p.original.as_str()), ("must not be negative (got \"-3\")", ""));
    }
}
