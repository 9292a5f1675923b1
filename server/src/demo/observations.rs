//! The demo's field observations (现场问题, issue 22): six issues the foremen reported from the three
//! sites over the last two weeks, stored as their phones would (`seedkit::store_planned`, the
//! documents) and indexed, then followed up through the office's own path (`observations::act`):
//! two still open, two assigned with a due date (one of them past it), two closed with what was done.

use chrono::{Duration, NaiveDate, TimeZone};
use record_schema::record::RecordHeader;
use record_schema::{GeoPoint, Observation, ObservationCategory, Record, Severity};

use super::records::Phone;
use super::seedkit::{self, BoxError, Planned, State};
use super::{SUPERVISOR, company};
use crate::cache::DocCache;
use crate::db::{Db, TokenGrant};
use crate::observations::{self, Action};

/// What the office did about one issue.
enum Then {
    Open,
    /// Assigned to someone, due this many days from today (negative: already past).
    Assigned(&'static str, i64),
    /// Assigned, then closed with the resolution.
    Closed(&'static str, &'static str),
}

struct Issue {
    /// Index into the phones (and so the site).
    phone: usize,
    days_ago: i64,
    category: ObservationCategory,
    severity: Severity,
    title: &'static str,
    description: &'static str,
    place: &'static str,
    activity: Option<&'static str>,
    gps: Option<(f64, f64)>,
    then: Then,
}

const ISSUES: [Issue; 6] = [
    Issue {
        phone: 0,
        days_ago: 1,
        category: ObservationCategory::Safety,
        severity: Severity::Critical,
        title: "1#楼6层东侧临边防护缺失",
        description: "6层东侧楼板边缘防护栏杆被拆除后未恢复，约12米无防护，下方为材料堆场，有人员坠落风险。",
        place: "1#楼 6层 东侧 ⑧-⑫轴",
        activity: Some("A05"),
        gps: Some((31.230_42, 121.473_70)),
        then: Then::Open,
    },
    Issue {
        phone: 1,
        days_ago: 3,
        category: ObservationCategory::Quality,
        severity: Severity::High,
        title: "2#楼承台混凝土蜂窝麻面",
        description: "拆模后发现承台侧面多处蜂窝麻面，最大面积约0.3㎡，疑似振捣不到位。需修补并对同批次检查。",
        place: "2#楼 CT-3 承台",
        activity: Some("A06"),
        gps: Some((31.230_95, 121.474_52)),
        then: Then::Assigned("湖南邓班组 邓师傅", 4),
    },
    Issue {
        phone: 2,
        days_ago: 6,
        category: ObservationCategory::Delay,
        severity: Severity::High,
        title: "地下室底板钢筋进场延误",
        description: "供应商通知Φ25钢筋推迟3天到货，底板钢筋绑扎将停工，影响后续浇筑计划。",
        place: "地下车库 底板 B区",
        activity: Some("A03"),
        gps: None,
        then: Then::Assigned("材料员 周强", -2),
    },
    Issue {
        phone: 0,
        days_ago: 8,
        category: ObservationCategory::Safety,
        severity: Severity::High,
        title: "外脚手架连墙件不足",
        description: "1#楼北侧外架5~7层连墙件间距超过规范要求（实测约8米），部分连墙件松动。",
        place: "1#楼 北立面 5~7层",
        activity: Some("A08"),
        gps: Some((31.230_18, 121.473_31)),
        then: Then::Closed("四川周架子班", "已按两步三跨补设连墙件并紧固，安全员张工复查合格。"),
    },
    Issue {
        phone: 1,
        days_ago: 10,
        category: ObservationCategory::Quality,
        severity: Severity::Medium,
        title: "电气预埋线管堵塞",
        description: "2#楼3层顶板浇筑后穿线检查，有两根PC20线管不通。",
        place: "2#楼 3层 顶板",
        activity: Some("A10"),
        gps: None,
        then: Then::Closed("电工班 刘师傅", "已剔凿疏通并重新穿管，监理见证。"),
    },
    Issue {
        phone: 2,
        days_ago: 12,
        category: ObservationCategory::Other,
        severity: Severity::Low,
        title: "车库出入口道路积水",
        description: "雨后车库坡道入口积水约10cm，运输车辆通行困难。",
        place: "地下车库 北侧坡道入口",
        activity: None,
        gps: None,
        then: Then::Open,
    },
];

/// Stores and follows up the demo's observations; returns how many.
pub async fn load(
    db: &Db,
    cache: &DocCache,
    who: &TokenGrant,
    phones: &[Phone],
    today: NaiveDate,
) -> Result<usize, BoxError> {
    let tz: chrono_tz::Tz = company::TIME_ZONE.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    for (n, issue) in ISSUES.iter().enumerate() {
        let Some(phone) = phones.get(issue.phone) else { continue };
        let date = today - Duration::days(issue.days_ago);
        // Reported mid-morning on site, a few minutes apart.
        let at_ms = date
            .and_hms_opt(9, 10 + n as u32 * 7, 0)
            .and_then(|t| tz.from_local_datetime(&t).single())
            .map_or(0, |t| t.timestamp_millis());
        let header = RecordHeader {
            id: uuid::Uuid::now_v7().to_string(),
            project_id: company::PROJECT.into(),
            site_id: company::SITES[phone.site].0.into(),
            time_zone: company::TIME_ZONE.into(),
            author: phone.foreman.into(),
            created_at_ms: at_ms,
            voided: None,
        };
        let id = header.id.clone();
        let record = Record::Observation(Observation {
            header,
            date,
            category: issue.category,
            severity: issue.severity,
            title: issue.title.into(),
            description: Some(issue.description.into()),
            place: Some(issue.place.into()),
            gps: issue.gps.map(|(latitude, longitude)| GeoPoint { latitude, longitude, accuracy_m: Some(6.0) }),
            activity: issue.activity.map(str::to_string),
            photos: Vec::new(),
        });
        let planned = Planned {
            record,
            state: State::Pending,
            at_ms,
            device: phone.device.clone(),
            other: (String::new(), String::new()),
            reason: String::new(),
            owner: Some(phone.device_id.clone()),
        };
        seedkit::store_planned(db, cache, who, planned).await?;
        let by = SUPERVISOR;
        // The office acts on it that afternoon (closing it two days later), never in the future.
        let now = chrono::Utc::now().timestamp_millis();
        let act = |a: Action, after_ms: i64| {
            let id = id.clone();
            let at = Some((at_ms + after_ms).min(now));
            async move { observations::act_at(db, cache, company::PROJECT, &id, &a, by, at).await }
        };
        const HOUR: i64 = 3_600_000;
        match issue.then {
            Then::Open => {
                observations::refresh(db, Some(cache), company::PROJECT).await?;
            }
            Then::Assigned(to, due_in) => {
                let due = Some(today + Duration::days(due_in));
                act(
                    Action::Assign {
                        assignee: to.into(), due, note: "请尽快处理并回复".into(), assignee_person: None
                    },
                    5 * HOUR,
                )
                .await?;
            }
            Then::Closed(to, resolution) => {
                let due = Some(date + Duration::days(3));
                act(Action::Assign { assignee: to.into(), due, note: String::new(), assignee_person: None }, 4 * HOUR)
                    .await?;
                act(Action::Close { resolution: resolution.into() }, 2 * 24 * HOUR + 7 * HOUR).await?;
            }
        }
    }
    Ok(ISSUES.len())
}
