//! Day logs (施工日志): the document round-trips and passes the shape check; the shape check refuses
//! keys a day log does not hold, values of the wrong type and too many visitors; the rules name the
//! field (temperatures, visitors, delays, notes); two replicas adding different visitors merge to
//! both.

use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{NaiveDate, TimeZone, Utc};
use record_schema::record::RecordHeader;
use record_schema::*;
use rust_decimal::Decimal;

fn header(id: &str) -> RecordHeader {
    RecordHeader {
        id: id.into(),
        project_id: "P1".into(),
        site_id: "S1".into(),
        time_zone: "Asia/Shanghai".into(),
        author: "foreman-li".into(),
        created_at_ms: 1_763_900_000_000,
        voided: None,
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

fn visitor(id: &str, position: i64, name: &str) -> Visitor {
    Visitor {
        id: id.into(),
        position,
        name: name.into(),
        organisation: Some("监理公司".into()),
        purpose: Some("钢筋隐蔽验收".into()),
    }
}

fn day_log() -> DayLog {
    DayLog {
        header: header("log-1"),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
        weather_am: Some(WeatherCondition::Sunny),
        weather_pm: Some(WeatherCondition::LightRain),
        temp_low_c: Some(dec("-3.5")),
        temp_high_c: Some(dec("8")),
        notes: Some("3#楼5层顶板浇筑完成".into()),
        visitors: vec![visitor("v1", 0, "王工")],
        delays: vec![Delay {
            id: "d1".into(),
            position: 0,
            cause: DelayCause::Weather,
            hours: dec("1.5"),
            description: Some("下午小雨停工".into()),
        }],
    }
}

fn ctx() -> ValidationContext<'static> {
    ValidationContext::new(Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).single().expect("time"), None)
}

fn refused(l: &DayLog) -> String {
    Record::DayLog(l.clone()).validate(&ctx()).expect_err("refused").field
}

fn written(l: &DayLog) -> AutoCommit {
    let mut d = AutoCommit::new();
    l.write(&mut d).expect("write");
    d
}

fn shape_refuses(d: &AutoCommit, field: &str) {
    match shape::check(d, RecordKind::DayLog) {
        Err(SchemaError::Malformed { field: f, reason }) => assert_eq!(f, field, "wrong place named ({reason})"),
        other => panic!("expected the shape check to refuse {field}, got {other:?}"),
    }
}

#[test]
fn a_day_log_round_trips_and_passes_the_shape_check() {
    let l = day_log();
    let loaded = AutoCommit::load(&written(&l).save()).expect("load");
    assert_eq!(Record::read(&loaded).expect("read"), Record::DayLog(l.clone()));
    assert_eq!(doc::read_kind(&loaded).expect("kind"), RecordKind::DayLog);
    assert_eq!(RecordKind::from_str("day_log").expect("kind"), RecordKind::DayLog);
    assert_eq!(RecordKind::DayLog.schema_version(), 1);
    assert!(!RecordKind::DayLog.server_owned());
    assert_eq!(doc::get_str(&loaded, &ROOT, "weather_pm").expect("weather").as_deref(), Some("light_rain"));
    assert_eq!(doc::get_str(&loaded, &ROOT, "temp_low_c").expect("low").as_deref(), Some("-3.5"));
    shape::check(&loaded, RecordKind::DayLog).expect("shape");
    let r = Record::DayLog(l.clone());
    assert_eq!(r.date(), l.date);
    assert!(r.photos().is_none());
    r.validate(&ctx()).expect("valid");

    // Cleared parts go away, and the document still reads and checks.
    let bare = DayLog {
        weather_am: None,
        weather_pm: None,
        temp_low_c: None,
        temp_high_c: None,
        notes: None,
        visitors: vec![],
        delays: vec![],
        ..l.clone()
    };
    let mut d = written(&l);
    bare.write(&mut d).expect("rewrite");
    assert_eq!(DayLog::read(&d).expect("read"), bare);
    shape::check(&d, RecordKind::DayLog).expect("shape");

    // Visitors read back in position order, whatever their ids.
    let ordered = DayLog { visitors: vec![visitor("zz", 0, "甲"), visitor("aa", 1, "乙")], ..l.clone() };
    assert_eq!(DayLog::read(&written(&ordered)).expect("read").visitors, ordered.visitors);

    for w in WeatherCondition::ALL {
        assert_eq!(WeatherCondition::parse(w.as_str()), Some(w));
    }
    for c in DelayCause::ALL {
        assert_eq!(DelayCause::parse(c.as_str()), Some(c));
    }
    assert_eq!(WeatherCondition::parse("Sunny"), None, "parsing is strict");
}

#[test]
fn the_shape_check_refuses_what_a_day_log_does_not_hold() -> Result<(), automerge::AutomergeError> {
    let mut d = written(&day_log());
    d.put(&ROOT, "mood", "good")?;
    shape_refuses(&d, "mood");

    let mut d = written(&day_log());
    d.put(&ROOT, "temp_low_c", "-03.50")?;
    shape_refuses(&d, "temp_low_c");

    let mut d = written(&day_log());
    d.put(&ROOT, "notes", "x".repeat(validate::MAX_NOTE_BYTES + 1))?;
    shape_refuses(&d, "notes");

    let mut d = written(&day_log());
    let visitors = doc::get_map(&d, &ROOT, "visitors").expect("read").expect("visitors");
    let v1 = doc::get_map(&d, &visitors, "v1").expect("read").expect("v1");
    d.put(&v1, "name", 5_i64)?;
    shape_refuses(&d, "visitors/v1/name");

    let many = DayLog {
        visitors: (0..=day_log::MAX_VISITORS as i64).map(|i| visitor(&format!("v{i}"), i, "张三")).collect(),
        ..day_log()
    };
    let d = written(&many);
    match shape::check(&d, RecordKind::DayLog) {
        Err(SchemaError::Malformed { field, .. }) => assert_eq!(field, "visitors"),
        other => panic!("51 visitors should be refused, got {other:?}"),
    }
    Ok(())
}

#[test]
fn the_rules_name_the_field() {
    let base = day_log();
    assert_eq!(refused(&DayLog { temp_low_c: Some(dec("-50.1")), ..base.clone() }), "temp_low_c");
    assert_eq!(refused(&DayLog { temp_high_c: Some(dec("60.5")), ..base.clone() }), "temp_high_c");
    assert_eq!(refused(&DayLog { temp_high_c: Some(dec("20.25")), ..base.clone() }), "temp_high_c");
    assert_eq!(
        refused(&DayLog { temp_low_c: Some(dec("12")), temp_high_c: Some(dec("8")), ..base.clone() }),
        "temp_low_c",
        "the low may not be above the high"
    );
    Record::DayLog(DayLog { temp_low_c: Some(dec("-50")), temp_high_c: Some(dec("60")), ..base.clone() })
        .validate(&ctx())
        .expect("the bounds themselves are fine");
    assert_eq!(refused(&DayLog { notes: Some("字".repeat(1400)), ..base.clone() }), "notes");

    let mut l = base.clone();
    l.visitors = vec![visitor("v1", 0, "甲"), visitor("v2", 1, "乙"), visitor("v3", 2, " ")];
    assert_eq!(refused(&l), "visitors[2].name");
    l.visitors[2].name = "x".repeat(201);
    assert_eq!(refused(&l), "visitors[2].name");
    l.visitors[2] = Visitor { organisation: Some("o".repeat(201)), ..visitor("v3", 2, "丙") };
    assert_eq!(refused(&l), "visitors[2].organisation");
    l.visitors[2] = visitor("v1", 2, "丙");
    assert_eq!(refused(&l), "visitors[2].id", "ids are unique");
    l.visitors = (0..=day_log::MAX_VISITORS as i64).map(|i| visitor(&format!("v{i}"), i, "张三")).collect();
    assert_eq!(refused(&l), "visitors");

    let mut l = base.clone();
    for bad in ["0", "24.01", "1.555", "-1"] {
        l.delays[0].hours = dec(bad);
        assert_eq!(refused(&l), "delays[0].hours", "{bad} hours");
    }
    l.delays[0].hours = dec("24");
    Record::DayLog(l.clone()).validate(&ctx()).expect("a whole day is fine");
    l.delays[0].description = Some("x".repeat(4001));
    assert_eq!(refused(&l), "delays[0].description");
    let many = DayLog {
        delays: (0..=day_log::MAX_DELAYS as i64)
            .map(|i| Delay {
                id: format!("d{i}"),
                position: i,
                cause: DelayCause::Material,
                hours: Decimal::ONE,
                description: None,
            })
            .collect(),
        ..base.clone()
    };
    assert_eq!(refused(&many), "delays");

    assert_eq!(
        refused(&DayLog { date: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"), ..base }),
        "date",
        "not in the future"
    );
}

#[test]
fn two_replicas_adding_different_visitors_merge_to_both() -> Result<(), automerge::AutomergeError> {
    let l = DayLog { visitors: vec![], ..day_log() };
    let mut a = written(&l);
    let mut b = a.fork();

    let on_a = DayLog { visitors: vec![visitor("va", 0, "监理王工")], ..l.clone() };
    on_a.write(&mut a).expect("write a");
    let on_b = DayLog { visitors: vec![visitor("vb", 0, "业主李工")], notes: Some("B".into()), ..l.clone() };
    on_b.write(&mut b).expect("write b");

    a.merge(&mut b)?;
    let merged = DayLog::read(&a).expect("read");
    let mut names: Vec<&str> = merged.visitors.iter().map(|v| v.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["业主李工", "监理王工"]);
    assert_eq!(merged.notes.as_deref(), Some("B"));
    shape::check(&a, RecordKind::DayLog).expect("shape");
    Record::DayLog(merged).validate(&ctx()).expect("valid");
    Ok(())
}
