//! The demo company's risk register (issue 22): six risks a PM of 滨江花园二期 would keep, in
//! different states and levels (one overdue, one closed with its note, one moved to mitigating so
//! its history shows the change), and one promoted from the demo's field observation of the missing
//! edge protection, written through the same code as the screens (`risks::store`,
//! `risks::promote`).

use chrono::{Duration, NaiveDate};

use super::{SUPERVISOR, company};
use crate::cache::DocCache;
use crate::db::Db;
use crate::risks::store::{self, Input};
use crate::risks::{RiskError, promote};

struct Planned {
    title: &'static str,
    description: &'static str,
    category: &'static str,
    probability: u8,
    impact: u8,
    owner: &'static str,
    strategy: &'static str,
    response: &'static str,
    /// Due this many days from today (negative: already past).
    due_in: i64,
    then: Then,
}

enum Then {
    Open,
    /// Moved to mitigating after it was raised.
    Mitigating,
    /// Closed with the note.
    Closed(&'static str),
}

const RISKS: [Planned; 6] = [
    Planned {
        title: "雨季施工影响土方开挖",
        description: "6~7月为本地雨季，地下车库B区尚有约1.2万方土方未开挖，连续降雨将导致基坑积水、边坡失稳和工期延误。",
        category: "schedule",
        probability: 4,
        impact: 4,
        owner: "生产经理 陈明",
        strategy: "mitigate",
        response: "储备4台抽水泵；基坑顶设截水沟；开挖避开强降雨时段，雨前覆盖边坡。",
        due_in: 10,
        then: Then::Mitigating,
    },
    Planned {
        title: "商品混凝土供应紧张",
        description: "区域内重点工程集中浇筑，搅拌站排队严重，底板大体积混凝土可能无法连续供应，产生冷缝。",
        category: "schedule",
        probability: 4,
        impact: 5,
        owner: "材料员 周强",
        strategy: "mitigate",
        response: "与两家搅拌站签订保供协议；关键部位浇筑提前48小时报计划；备用泵车一台。",
        due_in: 5,
        then: Then::Open,
    },
    Planned {
        title: "深基坑变形监测超预警",
        description: "地下车库基坑深9.5米，东侧邻近市政道路，近三天水平位移累计值接近预警值（25mm）。",
        category: "safety",
        probability: 2,
        impact: 5,
        owner: "技术负责人 赵工",
        strategy: "mitigate",
        response: "监测频率加密为每日两次；超预警值立即停止开挖、坑边卸载并增设钢支撑。",
        due_in: 30,
        then: Then::Mitigating,
    },
    Planned {
        title: "塔吊租赁到期",
        description: "2#楼QTZ80塔吊租赁合同月底到期，主体结构尚余4层，续租单价可能上浮。",
        category: "cost",
        probability: 3,
        impact: 3,
        owner: "设备管理员 李军",
        strategy: "transfer",
        response: "与租赁公司协商续租两个月并锁定台班单价；同步询价第二家。",
        due_in: -2,
        then: Then::Open,
    },
    Planned {
        title: "钢筋价格上涨",
        description: "螺纹钢市场价一个月内上涨约6%，剩余钢筋约800吨未采购。",
        category: "cost",
        probability: 3,
        impact: 2,
        owner: "商务经理 孙丽",
        strategy: "accept",
        response: "合同约定超过5%部分按调差条款结算；分两批锁价采购。",
        due_in: -5,
        then: Then::Closed("已与建设单位确认调差，两批钢筋已锁价采购。"),
    },
    Planned {
        title: "高温天气作业中暑",
        description: "7~8月日最高气温超过35℃，屋面及外架作业人员有中暑风险。",
        category: "safety",
        probability: 2,
        impact: 2,
        owner: "安全员 张工",
        strategy: "avoid",
        response: "11:00~15:00停止露天高处作业；配发防暑药品，设置休息棚。",
        due_in: 45,
        then: Then::Open,
    },
];

/// The demo observation promoted to a risk (a title of `demo::observations`).
const PROMOTED_OBSERVATION: &str = "1#楼6层东侧临边防护缺失";

fn input(p: &Planned, today: NaiveDate) -> Input {
    let mut i = Input::new();
    let mut put = |k: &str, v: String| {
        i.insert(k.to_string(), Some(v));
    };
    put("title", p.title.into());
    put("description", p.description.into());
    put("category", p.category.into());
    put("probability", p.probability.to_string());
    put("impact", p.impact.to_string());
    put("owner", p.owner.into());
    put("strategy", p.strategy.into());
    put("response", p.response.into());
    put("due", (today + Duration::days(p.due_in)).to_string());
    i
}

/// Writes the demo's risks; returns how many.
pub async fn load(db: &Db, cache: &DocCache, today: NaiveDate) -> Result<usize, RiskError> {
    let project = company::PROJECT;
    let by = SUPERVISOR;
    let mut n = 0;
    for p in &RISKS {
        let r = store::create(db, project, &input(p, today), by).await?;
        match p.then {
            Then::Open => {}
            Then::Mitigating => {
                let mut change = Input::new();
                change.insert("status".into(), Some("mitigating".into()));
                store::edit(db, project, r.number, &change, by).await?;
            }
            Then::Closed(note) => {
                store::close(db, project, r.number, Some(note), by).await?;
            }
        }
        n += 1;
    }
    // One raised from the field: the demo's observation of the missing edge protection, if loaded.
    let filter = crate::observations::ListFilter::default();
    let found = crate::observations::list(db, Some(cache), project, &filter, today).await;
    let id = found
        .ok()
        .and_then(|(rows, _)| rows.into_iter().find(|o| o.title == PROMOTED_OBSERVATION))
        .map(|o| o.record_id);
    if let Some(id) = id {
        let mut given = Input::new();
        given.insert("owner".into(), Some("安全员 张工".into()));
        given.insert("due".into(), Some((today + Duration::days(1)).to_string()));
        promote::promote(db, cache, project, &id, &given, by).await?;
        n += 1;
    }
    Ok(n)
}
