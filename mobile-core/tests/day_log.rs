//! Day logs (施工日志) on the phone: created, read, updated (visitors and delays keep their ids, new
//! ones get ids, left-out ones go), found by site and day, one per site and day (a second one is
//! refused naming `date`, a voided one does not count), `last_weather` for prefilling, listed by
//! kind; bad input refused with a typed error naming the field and the store left as it was.

mod common;

use common::*;
use mobile_core::CoreError;
use mobile_core::ffi::types::*;
use mobile_core::ffi::{parse_delay_cause, parse_weather_condition};

fn input(date: &str) -> DayLogInput {
    DayLogInput {
        date: date.into(),
        weather_am: Some(WeatherCondition::Sunny),
        weather_pm: Some(WeatherCondition::LightRain),
        temp_low_c: Some("-3.5".into()),
        temp_high_c: Some("8".into()),
        notes: Some("3#楼5层顶板浇筑完成".into()),
        visitors: vec![VisitorInput {
            id: None,
            name: "王工".into(),
            organisation: Some("监理公司".into()),
            purpose: Some("钢筋隐蔽验收".into()),
        }],
        delays: vec![DelayInput {
            id: None,
            cause: DelayCause::Weather,
            hours: "1.5".into(),
            description: Some("下午小雨停工".into()),
        }],
    }
}

fn refused_on_field<T: std::fmt::Debug>(t: &TestStore, field: &str, call: impl FnOnce() -> Result<T, CoreError>) {
    let before = fingerprint(&t.path);
    match call() {
        Err(CoreError::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "wrong field named (reason: {reason})");
            assert!(!reason.is_empty());
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    }
    assert_eq!(fingerprint(&t.path), before, "store changed after refusing bad {field}");
}

#[test]
fn a_day_log_is_created_read_updated_and_found_by_site_and_day() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let l = t.store.create_day_log(place(), input(&today())).expect("day log");
    assert_eq!(l.info.author, "foreman-li");
    assert_eq!((l.weather_am, l.weather_pm), (Some(WeatherCondition::Sunny), Some(WeatherCondition::LightRain)));
    assert_eq!((l.temp_low_c.as_deref(), l.temp_high_c.as_deref()), (Some("-3.5"), Some("8")));
    assert_eq!(l.visitors.len(), 1);
    assert!(!l.visitors[0].id.is_empty(), "a new visitor gets an id");
    assert_eq!(l.delays[0].hours, "1.5");
    assert_eq!(t.store.get_day_log(l.info.id.clone()).expect("read"), l);
    match t.store.get_record(l.info.id.clone()).expect("record") {
        AnyRecord::DayLog { log } => assert_eq!(log, l),
        other => panic!("expected a day log, got {other:?}"),
    }
    let found = t.store.day_log_for("P1".into(), "S1".into(), today()).expect("look-up").expect("found");
    assert_eq!(found.info.id, l.info.id);
    assert!(t.store.day_log_for("P1".into(), "S1".into(), days_from_today(-1)).expect("look-up").is_none());

    // An update keeps the visitor given with its id, adds the new one, drops the delay left out.
    let kept = l.visitors[0].id.clone();
    let mut changed = input(&today());
    changed.visitors = vec![
        VisitorInput { id: Some(kept.clone()), name: "王工程师".into(), organisation: None, purpose: None },
        VisitorInput {
            id: None, name: "业主李工".into(), organisation: Some("建设单位".into()), purpose: None
        },
    ];
    changed.delays = vec![];
    changed.weather_pm = Some(WeatherCondition::Rain);
    let edited = t.store.update_day_log(l.info.id.clone(), changed).expect("update");
    assert_eq!(edited.info.id, l.info.id);
    assert_eq!(edited.visitors.len(), 2);
    assert_eq!(edited.visitors[0].id, kept, "the id given is kept");
    assert_eq!(edited.visitors[0].name, "王工程师");
    assert!(!edited.visitors[1].id.is_empty() && edited.visitors[1].id != kept);
    assert!(edited.delays.is_empty());
    assert_eq!(t.store.get_day_log(l.info.id.clone()).expect("read"), edited);

    let listed =
        t.store.list_records(RecordFilter { kind: Some(RecordKind::DayLog), ..Default::default() }).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subject, "sunny / rain");
    assert_eq!(listed[0].headcount, 2, "a day log's headcount is its visitors");

    // Not a day log.
    let e = t.store.create_expense(place(), expense("12.00")).expect("expense");
    assert!(matches!(t.store.get_day_log(e.info.id.clone()), Err(CoreError::WrongKind { .. })));

    assert_eq!(parse_weather_condition("w".into(), "heavy_rain".into()).expect("parse"), WeatherCondition::HeavyRain);
    assert_eq!(parse_delay_cause("c".into(), "inspection".into()).expect("parse"), DelayCause::Inspection);
    assert!(matches!(
        parse_weather_condition("weather_am".into(), "Sunny".into()),
        Err(CoreError::InvalidInput { field, .. }) if field == "weather_am"
    ));
}

#[test]
fn one_day_log_per_site_and_day() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    let first = t.store.create_day_log(place(), input(&today())).expect("first");
    refused_on_field(&t, "date", || t.store.create_day_log(place(), input(&today())));

    // Another day is fine; moving it onto today is refused.
    let yesterday = t.store.create_day_log(place(), input(&days_from_today(-1))).expect("yesterday");
    refused_on_field(&t, "date", || t.store.update_day_log(yesterday.info.id.clone(), input(&today())));
    // Re-saving today's own log on its own day is fine.
    t.store.update_day_log(first.info.id.clone(), input(&today())).expect("same day");

    // Once today's is voided, a new one may be started.
    t.store.void_record(first.info.id.clone(), "duplicate".into()).expect("void");
    let again = t.store.create_day_log(place(), input(&today())).expect("after void");
    let found = t.store.day_log_for("P1".into(), "S1".into(), today()).expect("look-up").expect("found");
    assert_eq!(found.info.id, again.info.id);
}

#[test]
fn last_weather_is_the_most_recent_logs_weather() {
    let t = open_store("foreman-li");
    import_reference(&t.store);
    assert!(t.store.last_weather("P1".into(), "S1".into()).expect("none yet").is_none());

    let mut older = input(&days_from_today(-2));
    older.weather_am = Some(WeatherCondition::Snow);
    t.store.create_day_log(place(), older).expect("older");
    let newer = t.store.create_day_log(place(), input(&days_from_today(-1))).expect("newer");
    // A later log without any weather does not hide the last one that has it.
    let mut bare = input(&today());
    bare.weather_am = None;
    bare.weather_pm = None;
    bare.temp_low_c = None;
    bare.temp_high_c = None;
    t.store.create_day_log(place(), bare).expect("bare");

    let w = t.store.last_weather("P1".into(), "S1".into()).expect("weather").expect("some");
    assert_eq!(w.record_id, newer.info.id);
    assert_eq!(w.date, days_from_today(-1));
    assert_eq!((w.weather_am, w.weather_pm), (Some(WeatherCondition::Sunny), Some(WeatherCondition::LightRain)));
    assert_eq!((w.temp_low_c.as_deref(), w.temp_high_c.as_deref()), (Some("-3.5"), Some("8")));
    assert!(t.store.last_weather("P1".into(), "S2".into()).expect("other site").is_none());
}

#[test]
fn bad_input_is_refused_naming_the_field_with_nothing_stored() {
    let t = open_store("foreman-li");
    import_reference(&t.store);

    let bad = |f: fn(&mut DayLogInput)| {
        let mut i = input(&today());
        f(&mut i);
        i
    };
    refused_on_field(&t, "date", || t.store.create_day_log(place(), bad(|i| i.date = "2026/11/20".into())));
    refused_on_field(&t, "temp_low_c", || {
        t.store.create_day_log(place(), bad(|i| i.temp_low_c = Some("-3.55".into())))
    });
    refused_on_field(&t, "temp_low_c", || t.store.create_day_log(place(), bad(|i| i.temp_low_c = Some("cold".into()))));
    refused_on_field(&t, "temp_high_c", || t.store.create_day_log(place(), bad(|i| i.temp_high_c = Some("61".into()))));
    refused_on_field(&t, "temp_low_c", || t.store.create_day_log(place(), bad(|i| i.temp_low_c = Some("9".into()))));
    refused_on_field(&t, "notes", || t.store.create_day_log(place(), bad(|i| i.notes = Some("x".repeat(4001)))));
    refused_on_field(&t, "visitors[0].name", || {
        t.store.create_day_log(place(), bad(|i| i.visitors[0].name = " ".into()))
    });
    refused_on_field(&t, "visitors[0].purpose", || {
        t.store.create_day_log(place(), bad(|i| i.visitors[0].purpose = Some("p".repeat(201))))
    });
    refused_on_field(&t, "delays[0].hours", || {
        t.store.create_day_log(place(), bad(|i| i.delays[0].hours = "0".into()))
    });
    refused_on_field(&t, "delays[0].hours", || {
        t.store.create_day_log(place(), bad(|i| i.delays[0].hours = "25".into()))
    });
    refused_on_field(&t, "delays[0].hours", || {
        t.store.create_day_log(place(), bad(|i| i.delays[0].hours = "1.5h".into()))
    });
    refused_on_field(&t, "visitors", || {
        t.store.create_day_log(
            place(),
            bad(|i| {
                i.visitors = (0..51)
                    .map(|n| VisitorInput { id: None, name: format!("访客{n}"), organisation: None, purpose: None })
                    .collect()
            }),
        )
    });
    assert!(t.store.day_log_for("P1".into(), "S1".into(), today()).expect("look-up").is_none());

    // An update refused leaves the stored log as it was.
    let l = t.store.create_day_log(place(), input(&today())).expect("day log");
    refused_on_field(&t, "delays[0].hours", || {
        t.store.update_day_log(l.info.id.clone(), bad(|i| i.delays[0].hours = "-1".into()))
    });
    assert_eq!(t.store.get_day_log(l.info.id.clone()).expect("read"), l);
}
