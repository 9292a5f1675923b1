//! The demo company's reference data: one project (滨江花园二期), three sites in Shanghai's time
//! zone, a cost-code tree, eleven activities whose planned dates are set around today (the
//! project broke ground four weeks ago), trades with day and hour rates (the hour rate the day rate
//! over 8 hours, to the office's decimals), an 8-hour 点工 day, and the project's expense categories
//! (the usual ones and 机械租赁). Written through the real import (`reference::store::import`), as
//! an admin's workbook would be.

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use crate::reference::table::{RawTable, Table};

pub const PROJECT: &str = "BJHY-2";
pub const PROJECT_NAME: &str = "滨江花园二期";
pub const TIME_ZONE: &str = "Asia/Shanghai";
/// Hours in one 点工 day's pay on the project.
pub const HOURS_PER_DAY: i64 = 8;

/// (code, name): the project's expense categories.
pub const EXPENSE_CATEGORIES: [(&str, &str); 9] = [
    ("materials", "材料"),
    ("equipment_rental", "机械租赁"),
    ("equipment", "设备"),
    ("tools", "工具及劳保用品"),
    ("transport", "运输"),
    ("fuel", "燃油"),
    ("meals", "餐费"),
    ("accommodation", "住宿"),
    ("other", "其他"),
];

/// (id, name)
pub const SITES: [(&str, &str); 3] = [("S1", "1#住宅楼"), ("S2", "2#住宅楼"), ("S3", "地下车库")];

/// (code, name, parent): leaves carry the budgets, parents roll them up.
pub const CODES: [(&str, &str, &str); 18] = [
    ("01", "土石方及地基基础", ""),
    ("01-01", "土方开挖及外运", "01"),
    ("01-02", "桩基工程", "01"),
    ("02", "主体结构", ""),
    ("02-01", "模板工程", "02"),
    ("02-02", "钢筋工程", "02"),
    ("02-03", "混凝土工程", "02"),
    ("03", "砌体及抹灰", ""),
    ("03-01", "砌体工程", "03"),
    ("03-02", "抹灰工程", "03"),
    ("04", "机电安装", ""),
    ("04-01", "给排水预埋", "04"),
    ("04-02", "电气预埋", "04"),
    ("05", "措施项目", ""),
    ("05-01", "脚手架", "05"),
    ("05-02", "临时设施", "05"),
    ("05-03", "安全文明施工", "05"),
    ("05-04", "零星用工", "05"),
];

/// (name, day rate, hour rate) in CNY.
pub const TRADES: [(&str, &str, &str); 10] = [
    ("木工", "420", "52.50"),
    ("钢筋工", "400", "50"),
    ("混凝土工", "365", "45.625"),
    ("瓦工", "380", "47.50"),
    ("架子工", "405", "50.625"),
    ("电工", "430", "53.75"),
    ("水暖工", "410", "51.25"),
    ("焊工", "450", "56.25"),
    ("机械操作工", "485", "60.625"),
    ("普工", "265", "33.125"),
];

/// A schedule activity: planned from `start` to `finish` days after today (negative: before), on
/// one site (whose foreman records it), worked by `trades` and charged to `code`.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    pub id: &'static str,
    pub name: &'static str,
    pub start: i64,
    pub finish: i64,
    pub code: &'static str,
    /// Index into `SITES`.
    pub site: usize,
    pub trades: &'static [&'static str],
}

pub const ACTIVITIES: [Activity; 11] = [
    act("A01", "土方开挖及外运", -28, 4, "01-01", 2, &["机械操作工", "普工"]),
    act("A02", "桩基施工", -27, 18, "01-02", 2, &["钢筋工", "焊工", "机械操作工", "普工"]),
    act("A03", "地下室底板", -12, 30, "02-03", 2, &["钢筋工", "混凝土工", "木工"]),
    act("A04", "1#楼基础承台", -24, 10, "02-02", 0, &["钢筋工", "木工", "混凝土工"]),
    act("A05", "1#楼主体结构", -6, 150, "02-01", 0, &["木工", "钢筋工", "混凝土工"]),
    act("A06", "2#楼基础承台", -20, 14, "02-02", 1, &["钢筋工", "木工", "混凝土工"]),
    act("A07", "2#楼主体结构", 5, 160, "02-01", 1, &["木工", "钢筋工", "混凝土工"]),
    act("A08", "外脚手架搭设", -18, 170, "05-01", 0, &["架子工"]),
    act("A09", "给排水预埋", -15, 150, "04-01", 0, &["水暖工"]),
    act("A10", "电气预埋", -15, 150, "04-02", 1, &["电工"]),
    act("A11", "砌体工程", 90, 200, "03-01", 0, &["瓦工", "普工"]),
];

const fn act(
    id: &'static str,
    name: &'static str,
    start: i64,
    finish: i64,
    code: &'static str,
    site: usize,
    trades: &'static [&'static str],
) -> Activity {
    Activity { id, name, start, finish, code, site, trades }
}

/// The day `offset` days from `today`.
pub fn day(today: NaiveDate, offset: i64) -> NaiveDate {
    if offset >= 0 { today + Days::new(offset.unsigned_abs()) } else { today - Days::new(offset.unsigned_abs()) }
}

impl Activity {
    pub fn planned(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        (day(today, self.start), day(today, self.finish))
    }

    pub fn active_on(&self, today: NaiveDate, date: NaiveDate) -> bool {
        let (s, f) = self.planned(today);
        s <= date && date <= f
    }
}

/// Budgets in whole yuan by leaf code and by activity (missing: a placeholder).
#[derive(Debug, Default)]
pub struct Budgets {
    pub codes: std::collections::HashMap<String, Decimal>,
    pub activities: std::collections::HashMap<String, Decimal>,
}

fn raw(table: Table, header: &[&str], rows: Vec<Vec<String>>) -> RawTable {
    RawTable {
        table,
        labels: header.iter().map(|s| s.to_string()).collect(),
        header: header.iter().map(|s| s.to_string()).collect(),
        rows: rows.into_iter().enumerate().map(|(i, r)| (i + 2, r)).collect(),
    }
}

/// The project's tables as an import reads them.
pub fn tables(today: NaiveDate, budgets: &Budgets) -> Vec<RawTable> {
    let placeholder = Decimal::from(100_000);
    let sites = SITES.iter().map(|(id, name)| vec![id.to_string(), name.to_string(), TIME_ZONE.into()]).collect();
    let codes = CODES
        .iter()
        .map(|(code, name, parent)| {
            let budget = if parent.is_empty() {
                Decimal::ZERO
            } else {
                budgets.codes.get(*code).copied().unwrap_or(placeholder)
            };
            vec![code.to_string(), name.to_string(), parent.to_string(), budget.to_string()]
        })
        .collect();
    let acts = ACTIVITIES
        .iter()
        .map(|a| {
            let (s, f) = a.planned(today);
            let budget = budgets.activities.get(a.id).copied().unwrap_or(placeholder);
            vec![a.id.into(), a.name.into(), s.to_string(), f.to_string(), budget.to_string(), a.code.into()]
        })
        .collect();
    let trades = TRADES.iter().map(|(n, d, h)| vec![n.to_string(), d.to_string(), h.to_string()]).collect();
    let categories = EXPENSE_CATEGORIES.iter().map(|(c, n)| vec![c.to_string(), n.to_string()]).collect();
    vec![
        raw(
            Table::Project,
            &["name", "currency", "hours_per_day"],
            vec![vec![PROJECT_NAME.into(), "CNY".into(), HOURS_PER_DAY.to_string()]],
        ),
        raw(Table::Sites, &["id", "name", "time_zone"], sites),
        raw(Table::CostCodes, &["code", "name", "parent", "budget"], codes),
        raw(Table::Activities, &["id", "name", "planned_start", "planned_finish", "budget", "cost_code"], acts),
        raw(Table::Trades, &["name", "day_rate", "hour_rate"], trades),
        raw(Table::ExpenseCategories, &["code", "name"], categories),
    ]
}
