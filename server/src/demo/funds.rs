//! The demo company's funds (issue 21), so the funds screens show a site as it is mid-month: a
//! real-name roster holding most of the names the foremen typed on their sheets (the rest wait on
//! the roster page to be confirmed) and a few workers more; last month's wages partly paid by a bank
//! batch (one row of which matches nobody) and one crew leader paid in cash for his unnamed
//! workers; part of the suppliers paid; the owner's labour-cost allocation for last month, short of
//! the wages; wages due by the 5th, so what is still owed of last month is overdue. Everything goes
//! through the funds centre's own calls, as the office would.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::company::PROJECT;
use super::seedkit::{self, Rng};
use crate::cache::DocCache;
use crate::db::Db;
use crate::funds::allocations::{self, NewAllocation};
use crate::funds::batch::{self, BatchInput};
use crate::funds::payments::{self, NewPayment};
use crate::funds::roster;
use crate::funds::wages::{self, WorkerKey};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Who the demo records the office's work as.
const OFFICE: &str = "demo-office";
/// The project's wage account (a made-up number).
const ACCOUNT: &str = "农民工工资专户 6222 0210 0012 3456";

/// Of every three names on the sheets, two are on the roster.
fn on_roster(i: usize) -> bool {
    i % 3 != 2
}

pub async fn load(db: &Db, cache: &DocCache, today: NaiveDate) -> Result<(), BoxError> {
    let mut rng = Rng(0x5eed_f00d);
    let proposed = roster::proposed(db, PROJECT).await?;
    // (roster id, name, full ID number, full card number) of the workers the bank file pays.
    let mut people: Vec<(String, String, String, String)> = Vec::new();
    // The office's roster file: one import (and one publish to the phones), as an office would.
    let banks = ["中国建设银行", "中国农业银行", "中国工商银行"];
    let mut file = String::from("姓名,身份证号,银行卡号,开户行,手机号,班组,状态\n");
    let mut row = |name: &str, crew: &str, id: &str, card: &str, i: usize| {
        let phone = format!("13{:09}", 800_000_000 + i * 7_919);
        file.push_str(&format!("{name},{id},{card},{},{phone},{crew},在场\n", banks[i % banks.len()]));
    };
    for (i, p) in proposed.iter().enumerate().filter(|(i, _)| on_roster(*i)) {
        let (id, card) = (seedkit::resident_id(&mut rng), seedkit::bank_card(&mut rng));
        row(&p.name, p.crews.first().map_or("", String::as_str), &id, &card, i);
        people.push((String::new(), p.name.clone(), id, card));
    }
    // A few on the roster who have not worked yet this period.
    for (i, crew) in ["刘家军木工班", "湖南邓班组", "四川周架子班"].iter().enumerate() {
        let name = seedkit::person_name(&mut rng);
        if proposed.iter().any(|p| p.name == name) {
            continue;
        }
        let (id, card) = (seedkit::resident_id(&mut rng), seedkit::bank_card(&mut rng));
        row(&name, crew, &id, &card, i);
    }
    roster::import(db, cache, PROJECT, file.as_bytes()).await?;
    let listed = roster::list(db, PROJECT, &roster::ListFilter::default()).await?;
    for p in &mut people {
        if let Some(w) = listed.iter().find(|w| w.name == p.1) {
            p.0 = w.id.clone();
        }
    }

    let last_month = wages::first_day(today).checked_sub_months(Months::new(1)).unwrap_or(today);
    let month = last_month.format("%Y-%m").to_string();
    let ledger = wages::ledger(db, PROJECT, last_month, None).await?;
    // The bank paid two workers of every three on the roster in full on the 10th, and one row of
    // its file names a card nobody on the roster holds.
    let mut csv = String::from("姓名,身份证号,银行卡号,金额,状态,附言\n");
    let mut paid = 0;
    for r in &ledger.rows {
        let WorkerKey::Roster(rid) = &r.key else { continue };
        if r.outstanding <= Decimal::ZERO || paid % 3 == 2 {
            paid += 1;
            continue;
        }
        paid += 1;
        if let Some((_, name, id, card)) = people.iter().find(|p| &p.0 == rid) {
            csv.push_str(&format!("{name},{id},{card},{},成功,{month}工资\n", r.outstanding));
        }
    }
    let stranger = seedkit::bank_card(&mut rng);
    csv.push_str(&format!("赵铁柱,,{stranger},4200.00,成功,{month}工资\n"));
    let paid_on =
        last_month.checked_add_months(Months::new(1)).and_then(|m| m.with_day0(9)).unwrap_or(today).min(today);
    let input = BatchInput {
        month: Some(month.clone()),
        file_name: Some(format!("代发结果_{month}.csv")),
        paid_on: Some(paid_on.to_string()),
        payer_account: Some(ACCOUNT.into()),
    };
    batch::import(db, PROJECT, csv.as_bytes(), &input, OFFICE).await?;

    // One crew leader took his unnamed workers' wages in cash: half of what they earned.
    if let Some(r) = ledger.rows.iter().find(|r| matches!(r.key, WorkerKey::Crew(_)) && r.outstanding > Decimal::ZERO) {
        let half = (r.outstanding / Decimal::TWO).round_dp(0);
        let pay = NewPayment {
            kind: Some("wage".into()),
            crew: r.crew.clone(),
            month: Some(month.clone()),
            paid_on: Some(paid_on.to_string()),
            payer_account: Some(ACCOUNT.into()),
            amount: Some(half.to_string()),
            reference: Some("班组长代领，现金".into()),
            ..NewPayment::default()
        };
        payments::record(db, PROJECT, &pay, OFFICE).await?;
    }

    // Suppliers: the biggest bill of last month paid in full.
    let set = crate::reference::store::load(db, PROJECT).await?;
    let flow = crate::funds::cashflow::report(db, &set, last_month, last_month, today).await?;
    if let Some(p) = flow.payables.iter().find(|p| p.kind == "vendor" && !p.payee.is_empty()) {
        let pay = NewPayment {
            kind: Some("vendor".into()),
            payee: Some(p.payee.clone()),
            paid_on: Some(paid_on.to_string()),
            payer_account: Some("基本户 3100 0123 4567".into()),
            amount: Some(p.owed.to_string()),
            reference: Some("转账".into()),
            ..NewPayment::default()
        };
        payments::record(db, PROJECT, &pay, OFFICE).await?;
    }

    // The project pays by the 5th: last month's wages still owed are overdue (欠薪预警 shows them).
    crate::funds::settings::set_wage_pay_day(db, PROJECT, Some(5)).await?;

    // The owner allocated 70% of last month's wages.
    let allocated = (ledger.totals.gross * Decimal::new(7, 1)).round_dp(0);
    if allocated > Decimal::ZERO {
        let a = NewAllocation {
            month: Some(month.clone()),
            received_on: Some(paid_on.to_string()),
            amount: Some(allocated.to_string()),
            reference: Some("建设单位人工费拨付".into()),
        };
        allocations::record(db, PROJECT, &a, OFFICE).await?;
    }
    Ok(())
}
