//! Day logs (施工日志, issue 23) through the real binary on SQLite and PostgreSQL: a foreman's phone
//! syncs the day's log (weather, temperatures, a visitor and a delay); bad logs (a delay of 25
//! hours, a low above the high, a visitor without a name, a key a day log does not hold) are refused
//! at sync with the field named and nothing is stored; the supervisor sees the log pending, approves
//! it, and it posts nothing; the record and print pages show it in both languages.

mod common;
mod webkit;

use automerge::transaction::Transactable;
use chrono::NaiveDate;
use common::funds_fixture::{Funds, setup};
use common::phone::SimPhone;
use common::records::{header, site_today};
use common::*;
use record_schema::{DayLog, Delay, DelayCause, Visitor, WeatherCondition};
use rust_decimal::Decimal;
use serde_json::Value;

const LOG: &str = "0193a000-0000-7000-8000-0000000000d1";

fn day_log(id: &str) -> DayLog {
    DayLog {
        header: header(id, "P1"),
        date: NaiveDate::parse_from_str(&site_today(), "%Y-%m-%d").expect("today"),
        weather_am: Some(WeatherCondition::Sunny),
        weather_pm: Some(WeatherCondition::LightRain),
        temp_low_c: Some(Decimal::new(-35, 1)),
        temp_high_c: Some(Decimal::new(8, 0)),
        notes: Some("3#楼5层顶板浇筑完成".into()),
        visitors: vec![Visitor {
            id: "v1".into(),
            position: 0,
            name: "王监理".into(),
            organisation: Some("华信监理公司".into()),
            purpose: Some("钢筋隐蔽验收".into()),
        }],
        delays: vec![Delay {
            id: "d1".into(),
            position: 0,
            cause: DelayCause::Weather,
            hours: Decimal::new(15, 1),
            description: Some("下午小雨停工".into()),
        }],
    }
}

fn doc(l: &DayLog) -> automerge::AutoCommit {
    let mut d = automerge::AutoCommit::new();
    l.write(&mut d).expect("write");
    d
}

fn page(f: &Funds, path: &str, lang: &str) -> String {
    let r = webkit::sign_in(&f.server.addr, &f.sup, "%2Fweb%2Fqueue");
    let cookie = format!("{}; fl_lang={lang}", webkit::session_of(&r));
    let r = webkit::http(&f.server.addr, "GET", path, &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text()
}

#[test]
fn day_logs_on_sqlite() {
    day_logs(None);
}

#[test]
fn day_logs_on_postgres() {
    let pg = ThrowawayPg::create();
    day_logs(Some(&pg.url()));
}

fn day_logs(url: Option<&str>) {
    let f = setup(url);
    let addr = f.server.addr.clone();

    let mut phone = SimPhone::new(f.foreman.clone());
    phone.docs.insert(LOG.into(), doc(&day_log(LOG)));
    let t = phone.sync(&addr);
    assert!(t.errors.is_empty(), "{:?}", t.errors);

    // Bad logs are refused at sync, the field named, nothing stored.
    let mut bad: Vec<(String, automerge::AutoCommit, &str)> = Vec::new();
    let mut long_delay = day_log("0193a000-0000-7000-8000-0000000000e1");
    long_delay.delays[0].hours = Decimal::new(25, 0);
    let mut upside_down = day_log("0193a000-0000-7000-8000-0000000000e2");
    upside_down.temp_low_c = Some(Decimal::new(12, 0));
    let mut nameless = day_log("0193a000-0000-7000-8000-0000000000e3");
    nameless.visitors[0].name = " ".into();
    for (l, field) in [(long_delay, "delays[0].hours"), (upside_down, "temp_low_c"), (nameless, "visitors[0].name")] {
        bad.push((l.header.id.clone(), doc(&l), field));
    }
    let odd = "0193a000-0000-7000-8000-0000000000e4";
    let mut odd_doc = doc(&day_log(odd));
    odd_doc.put(automerge::ROOT, "mood", "good").expect("put");
    bad.push((odd.into(), odd_doc, "mood"));
    let mut liar = SimPhone::new(f.foreman.clone());
    for (id, d, _) in &bad {
        liar.docs.insert(id.clone(), d.clone());
    }
    let t = liar.sync(&addr);
    for (id, _, field) in &bad {
        let e = t.errors.iter().find(|e| &e.id == id).unwrap_or_else(|| panic!("{id} not refused: {:?}", t.errors));
        assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid", Some(*field)), "{e:?}");
        let (s, _) = f.call(&f.sup, "GET", &format!("/v1/records/{id}"), None);
        assert_eq!(s, 404, "{id} was stored");
    }

    // The supervisor sees it pending; the kind filter finds it; its JSON holds the day.
    let (s, v) = f.call(&f.sup, "GET", "/v1/approvals/pending?kind=day_log", None);
    assert_eq!(s, 200, "{v}");
    let listed: Vec<&Value> = v["records"].as_array().expect("records").iter().collect();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!((listed[0]["id"].as_str(), listed[0]["kind"].as_str()), (Some(LOG), Some("day_log")));
    let (s, v) = f.call(&f.sup, "GET", &format!("/v1/records/{LOG}"), None);
    assert_eq!(s, 200, "{v}");
    let r = &v["record"];
    assert_eq!(
        (r["weather_am"].as_str(), r["weather_pm"].as_str(), r["temp_low_c"].as_str(), r["temp_high_c"].as_str()),
        (Some("sunny"), Some("light_rain"), Some("-3.5"), Some("8"))
    );
    assert_eq!(r["visitors"][0]["name"].as_str(), Some("王监理"), "{r}");
    assert_eq!((r["delays"][0]["cause"].as_str(), r["delays"][0]["hours"].as_str()), (Some("weather"), Some("1.5")));
    let queue = page(&f, "/web/queue?kind=day_log", "zh-CN");
    assert!(queue.contains("施工日志"), "queue: 施工日志 missing: {queue}");

    // Approved like the others; it posts nothing.
    let decided = api::approve_current(&addr, &f.sup, LOG);
    assert_eq!(decided["decision"]["status"], "approved", "{decided}");
    let (s, v) = f.call(&f.sup, "GET", &format!("/v1/ledger/postings?record={LOG}"), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["postings"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(f.count(&format!("SELECT COUNT(*) FROM ledger_postings WHERE record_id = '{LOG}'")), 0);
    let (_, v) = f.call(&f.sup, "GET", &format!("/v1/records/{LOG}"), None);
    assert_eq!(v["approval"]["status"], "approved", "{v}");
    assert!(phone.sync(&addr).errors.is_empty());
    assert!(phone.docs.contains_key(&format!("approval:{LOG}")));

    // The record page and the print page, in both languages.
    for (lang, words) in [
        ("zh-CN", ["施工日志", "天气（上午）", "晴", "小雨", "-3.5～8℃", "王监理", "华信监理公司", "1.5小时"]),
        (
            "en",
            ["Day log", "Weather (morning)", "sunny", "light rain", "-3.5 to 8 °C", "王监理", "华信监理公司", "1.5 h"],
        ),
    ] {
        let html = page(&f, &format!("/web/records/{LOG}"), lang);
        for w in words {
            assert!(html.contains(w), "{lang} record page: {w} missing: {html}");
        }
        let html = page(&f, &format!("/web/records/{LOG}/print"), lang);
        for w in words {
            assert!(html.contains(w), "{lang} print page: {w} missing: {html}");
        }
    }
}
