//! Daily labour sheet (点工单): the crews that worked on one site on one day.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Patch, ROOT, ReadDoc, ScalarValue, Value, ValueRef, hydrate};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::doc::{self, Fields, get_str, put_opt_str, put_str, req_str};
use crate::money::{Currency, canonical_quantity};
use crate::record::RecordHeader;
use crate::validate::{self, ValidationContext, check_length, check_note, check_range, check_required};
use crate::{RecordKind, SchemaError, ValidationError};

const PRESENCE: &str = "presence";
const EDITED: &str = "edited ";
const REMOVED: &str = "removed ";

/// Hours in one 点工 day where a line does not say (lines written before projects set their own:
/// see `CrewLine::hours_per_day`).
pub const HOURS_PER_DAY: i64 = validate::DEFAULT_HOURS_PER_DAY;

/// How a crew's time is counted: hours per person, or days per person (a 点工 day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    Hours(Decimal),
    Days(Decimal),
}

impl Effort {
    pub fn quantity(self) -> Decimal {
        match self {
            Effort::Hours(q) | Effort::Days(q) => q,
        }
    }

    pub fn unit(self) -> TimeUnit {
        match self {
            Effort::Hours(_) => TimeUnit::Hour,
            Effort::Days(_) => TimeUnit::Day,
        }
    }
}

/// What an effort counts or a rate pays for: an hour or a 点工 day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Hour,
    Day,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
        }
    }

    fn parse(field: &str, text: Option<&str>) -> Result<Self, SchemaError> {
        match text {
            Some("hour") => Ok(TimeUnit::Hour),
            Some("day") => Ok(TimeUnit::Day),
            Some(other) => Err(SchemaError::Malformed {
                field: field.into(),
                reason: format!("expected \"hour\" or \"day\", found {}", doc::quoted(other)),
            }),
            None => Err(SchemaError::Malformed { field: field.into(), reason: "missing".into() }),
        }
    }
}

/// A named worker on a crew line; wage records by name are required on Chinese sites.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Worker {
    pub name: String,
    /// ID card or employee number, when recorded.
    pub id_number: Option<String>,
    /// The project roster's id of this worker (`ReferenceData::workers`), when picked from it.
    /// Stored only when given, so lines written before rosters existed read and merge as before.
    pub worker_id: Option<String>,
}

impl Worker {
    /// Name required; ID number and roster id within their bytes; a roster id one of the roster's
    /// (`ValidationContext::check_worker_id`).
    pub fn validate(&self, field: &str, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        check_required(&format!("{field}.name"), &self.name)?;
        if let Some(id) = &self.id_number {
            check_length(&format!("{field}.id_number"), id, validate::MAX_ID_NUMBER_BYTES)?;
        }
        if let Some(id) = &self.worker_id {
            ctx.check_worker_id(&format!("{field}.worker_id"), id)?;
        }
        Ok(())
    }

    /// Writes the worker into its map (`worker_id` only when given).
    pub(crate) fn write(&self, d: &mut AutoCommit, obj: &ObjId) -> Result<(), SchemaError> {
        put_str(d, obj, "name", &self.name)?;
        put_opt_str(d, obj, "id_number", self.id_number.as_deref())?;
        put_opt_str(d, obj, "worker_id", self.worker_id.as_deref())
    }

    pub(crate) fn read(d: &AutoCommit, obj: &ObjId) -> Result<Self, SchemaError> {
        Ok(Worker {
            name: req_str(d, obj, "name")?,
            id_number: get_str(d, obj, "id_number")?,
            worker_id: get_str(d, obj, "worker_id")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CrewLine {
    pub id: String,
    /// Display order within the sheet.
    pub position: i64,
    pub trade: String,
    /// Crew or subcontractor team (班组), for settlement.
    pub crew: Option<String>,
    pub headcount: i64,
    pub effort: Effort,
    /// Pay per person per `rate_unit`, in the sheet's currency, with the decimals the office set
    /// (at most `validate::RATE_SCALE`; never rounded: only `cost` is).
    pub rate: Decimal,
    /// What `rate` pays for. Usually `effort`'s unit; a day rate with hours worked is how most
    /// sites pay 点工 (9.5 h at 365 a day).
    pub rate_unit: TimeUnit,
    /// Hours in one day's pay on this line (the project's, when the line was added): converts
    /// hours to days for a day rate and for person-days.
    pub hours_per_day: Decimal,
    pub cost_code: String,
    pub activity: Option<String>,
    pub note: Option<String>,
    pub workers: Vec<Worker>,
}

impl CrewLine {
    /// The line's exact cost, not rounded: headcount × effort × rate, with hours turned into days
    /// (÷ `hours_per_day`) for a day rate, or days into hours (×) for an hourly one. The division
    /// comes last, so 9.5 h × 365/day ÷ 8 is exactly 433.4375. Phone and ledger both post
    /// `Currency::round` of this (see `money.rs`), so their totals agree to the cent. Zero when the
    /// figures overflow or `hours_per_day` is zero, which validation refuses.
    pub fn cost(&self) -> Decimal {
        self.exact_cost().unwrap_or_default()
    }

    fn exact_cost(&self) -> Option<Decimal> {
        let base = Decimal::from(self.headcount).checked_mul(self.effort.quantity())?.checked_mul(self.rate)?;
        match (self.effort.unit(), self.rate_unit) {
            (TimeUnit::Hour, TimeUnit::Day) => base.checked_div(self.hours_per_day),
            (TimeUnit::Day, TimeUnit::Hour) => base.checked_mul(self.hours_per_day),
            _ => Some(base),
        }
    }

    /// Person-hours and person-days the line records (headcount × effort, converted by
    /// `hours_per_day`): what the day-labour ledger counts.
    pub fn person_time(&self) -> (Decimal, Decimal) {
        let headcount = Decimal::from(self.headcount);
        let per_day = self.hours_per_day;
        match self.effort {
            Effort::Hours(q) => (headcount * q, (headcount * q).checked_div(per_day).unwrap_or_default()),
            Effort::Days(q) => (headcount * q * per_day, headcount * q),
        }
    }

    pub fn validate(&self, field: &str, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        check_required(&format!("{field}.trade"), &self.trade)?;
        if self.headcount < 1 || self.headcount > validate::MAX_HEADCOUNT {
            return Err(ValidationError::new(
                format!("{field}.headcount"),
                format!("must be between 1 and {} (got {})", validate::MAX_HEADCOUNT, self.headcount),
            ));
        }
        match self.effort {
            Effort::Hours(h) => check_range(
                &format!("{field}.hours"),
                h,
                false,
                Decimal::from(validate::MAX_HOURS),
                validate::QUANTITY_SCALE,
            )?,
            Effort::Days(d) => check_range(
                &format!("{field}.days"),
                d,
                false,
                Decimal::from(validate::MAX_DAY_COUNT),
                validate::QUANTITY_SCALE,
            )?,
        }
        check_range(
            &format!("{field}.rate"),
            self.rate,
            true,
            Decimal::from(validate::MAX_AMOUNT),
            validate::RATE_SCALE,
        )?;
        check_range(
            &format!("{field}.hours_per_day"),
            self.hours_per_day,
            false,
            Decimal::from(validate::MAX_HOURS_PER_DAY),
            validate::QUANTITY_SCALE,
        )?;
        if self.exact_cost().is_none() {
            return Err(ValidationError::new(format!("{field}.rate"), "the line's cost is too large"));
        }
        ctx.check_cost_code(&format!("{field}.cost_code"), &self.cost_code)?;
        if let Some(a) = &self.activity {
            ctx.check_activity(&format!("{field}.activity"), a)?;
        }
        check_note(&format!("{field}.note"), self.note.as_deref())?;
        if self.workers.len() as i64 > self.headcount {
            return Err(ValidationError::new(
                format!("{field}.workers"),
                format!("{} names for a headcount of {}", self.workers.len(), self.headcount),
            ));
        }
        if let Some(crew) = &self.crew {
            check_length(&format!("{field}.crew"), crew, validate::MAX_NAME_BYTES)?;
        }
        for (i, w) in self.workers.iter().enumerate() {
            w.validate(&format!("{field}.workers[{i}]"), ctx)?;
        }
        Ok(())
    }

    /// The line's scalar fields as stored (`None`: absent), the one list both writers use.
    /// `rate_unit` is stored only when it differs from the effort's unit and `hours_per_day` only
    /// when it is not 8, so lines that need neither read and merge exactly as before.
    fn fields(&self, currency: Currency) -> [(&'static str, Option<ScalarValue>); 13] {
        let text = |s: &str| Some(ScalarValue::Str(s.into()));
        let opt = |s: &Option<String>| s.as_deref().and_then(text);
        [
            ("id", text(&self.id)),
            ("position", Some(ScalarValue::Int(self.position))),
            ("trade", text(&self.trade)),
            ("crew", opt(&self.crew)),
            ("headcount", Some(ScalarValue::Int(self.headcount))),
            ("effort_unit", text(self.effort.unit().as_str())),
            ("effort", text(&canonical_quantity(self.effort.quantity()))),
            ("rate", text(&currency.canonical_rate(self.rate))),
            ("rate_unit", (self.rate_unit != self.effort.unit()).then(|| self.rate_unit.as_str()).and_then(text)),
            (
                "hours_per_day",
                (self.hours_per_day != Decimal::from(HOURS_PER_DAY))
                    .then(|| canonical_quantity(self.hours_per_day))
                    .and_then(|h| text(&h)),
            ),
            ("cost_code", text(&self.cost_code)),
            ("activity", opt(&self.activity)),
            ("note", opt(&self.note)),
        ]
    }

    /// Reconciles the line into its existing map: only changed fields become operations.
    fn write(&self, d: &mut AutoCommit, obj: &ObjId, currency: Currency) -> Result<(), SchemaError> {
        for (key, value) in self.fields(currency) {
            doc::put_opt_scalar(d, obj, key, value)?;
        }
        write_workers(d, obj, &self.workers)
    }

    /// Writes the line into the sheet's `lines` map (and `presence`, if given): reconciled
    /// field by field if it is there, else created whole in one batch (recording a line is the
    /// phone's hottest path).
    fn upsert(
        &self,
        d: &mut AutoCommit,
        lines: &ObjId,
        currency: Currency,
        presence: Option<String>,
    ) -> Result<(), SchemaError> {
        match doc::get_map(d, lines, &self.id)? {
            Some(obj) => {
                self.write(d, &obj, currency)?;
                match presence {
                    Some(p) => put_str(d, &obj, PRESENCE, &p),
                    None => Ok(()),
                }
            }
            None => {
                d.batch_create_object(lines, self.id.as_str(), &self.fresh_value(currency, presence), false)?;
                Ok(())
            }
        }
    }

    /// The whole line as one value, for a line new to the document: written with
    /// `batch_create_object`, two op-set splices instead of one per field.
    fn fresh_value(&self, currency: Currency, presence: Option<String>) -> hydrate::Value {
        let mut map: HashMap<&str, hydrate::Value> =
            self.fields(currency).into_iter().filter_map(|(key, v)| Some((key, hydrate::Value::scalar(v?)))).collect();
        if let Some(p) = presence {
            map.insert(PRESENCE, hydrate::Value::scalar(p));
        }
        if !self.workers.is_empty() {
            let workers = self
                .workers
                .iter()
                .map(|w| {
                    let mut m = HashMap::from([("name", hydrate::Value::scalar(w.name.as_str()))]);
                    if let Some(id) = &w.id_number {
                        m.insert("id_number", hydrate::Value::scalar(id.as_str()));
                    }
                    if let Some(id) = &w.worker_id {
                        m.insert("worker_id", hydrate::Value::scalar(id.as_str()));
                    }
                    hydrate::Value::from(m)
                })
                .collect::<Vec<_>>();
            map.insert("workers", hydrate::Value::from(workers));
        }
        hydrate::Value::from(map)
    }

    /// Bytes of text this line holds (for `LineReadings::approx_bytes`).
    fn approx_text_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.id.len()
            + self.trade.len()
            + self.cost_code.len()
            + opt(&self.crew)
            + opt(&self.activity)
            + opt(&self.note)
            + self
                .workers
                .iter()
                .map(|w| std::mem::size_of::<Worker>() + w.name.len() + opt(&w.id_number) + opt(&w.worker_id))
                .sum::<usize>()
    }

    /// Reads a line from its fields (one pass over the line's map: see `doc::Fields`).
    fn read(d: &AutoCommit, key: &str, f: &Fields) -> Result<Self, SchemaError> {
        let qty = f.req_decimal("effort")?;
        let effort = match TimeUnit::parse("effort_unit", f.str("effort_unit")?.as_deref())? {
            TimeUnit::Day => Effort::Days(qty),
            TimeUnit::Hour => Effort::Hours(qty),
        };
        let rate_unit = match f.str("rate_unit")? {
            Some(u) => TimeUnit::parse("rate_unit", Some(&u))?,
            None => effort.unit(),
        };
        Ok(CrewLine {
            id: f.str("id")?.unwrap_or_else(|| key.to_string()),
            position: f.i64("position")?.unwrap_or_default(),
            trade: f.req_str("trade")?,
            crew: f.str("crew")?,
            headcount: f.i64("headcount")?.unwrap_or_default(),
            effort,
            rate: f.decimal("rate")?.unwrap_or_default(),
            rate_unit,
            hours_per_day: f.decimal("hours_per_day")?.unwrap_or(Decimal::from(HOURS_PER_DAY)),
            cost_code: f.req_str("cost_code")?,
            activity: f.str("activity")?,
            note: f.str("note")?,
            workers: read_worker_list(d, f.object("workers", ObjType::List))?,
        })
    }
}

/// Workers are a list; it is rewritten only when it actually changed.
fn write_workers(d: &mut AutoCommit, line: &ObjId, workers: &[Worker]) -> Result<(), SchemaError> {
    if read_workers(d, line)? == workers {
        return Ok(());
    }
    if workers.is_empty() {
        return doc::delete_key(d, line, "workers");
    }
    let list = d.put_object(line, "workers", ObjType::List)?;
    for (i, w) in workers.iter().enumerate() {
        let m = d.insert_object(&list, i, ObjType::Map)?;
        w.write(d, &m)?;
    }
    Ok(())
}

fn read_workers(d: &AutoCommit, line: &ObjId) -> Result<Vec<Worker>, SchemaError> {
    match d.get(line, "workers")? {
        Some((Value::Object(ObjType::List), id)) => read_worker_list(d, Some(&id)),
        _ => Ok(Vec::new()),
    }
}

fn read_worker_list(d: &AutoCommit, list: Option<&ObjId>) -> Result<Vec<Worker>, SchemaError> {
    let Some(list) = list else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for i in 0..d.length(list) {
        if let Some((Value::Object(ObjType::Map), m)) = d.get(list, i)? {
            out.push(Worker::read(d, &m)?);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabourSheet {
    pub header: RecordHeader,
    pub work_date: NaiveDate,
    pub currency: Currency,
    pub lines: Vec<CrewLine>,
    pub note: Option<String>,
}

impl LabourSheet {
    /// The sheet's cost as payroll and the ledger see it: each line's cost rounded once to the
    /// currency (half away from zero), then summed, so the shown lines add up to the total.
    pub fn total_cost(&self) -> Decimal {
        self.lines.iter().map(|l| self.currency.round(l.cost())).sum()
    }

    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        let tz = self.header.validate()?;
        ctx.check_site(&self.header.site_id, &self.header.time_zone)?;
        ctx.check_date("work_date", self.work_date, tz)?;
        check_note("note", self.note.as_deref())?;
        for (i, line) in self.lines.iter().enumerate() {
            line.validate(&format!("lines[{i}]"), ctx)?;
        }
        Ok(())
    }

    /// Reconciles this view into `d`: only changed fields become operations.
    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        self.header.write(d, RecordKind::LabourSheet)?;
        put_str(d, &ROOT, "work_date", &self.work_date.to_string())?;
        put_str(d, &ROOT, "currency", self.currency.code())?;
        put_opt_str(d, &ROOT, "note", self.note.as_deref())?;
        let lines = doc::ensure_map(d, &ROOT, "lines")?;
        let currency = self.currency;
        // Lines in the view are written; lines not in it are left alone (removal is explicit, see
        // `remove_line`), so re-saving a sheet never drops a line another phone just added.
        for line in &self.lines {
            line.upsert(d, &lines, currency, None)?;
        }
        Ok(())
    }

    /// Writes one crew line (added or edited by the user, at `at_ms`) without touching the rest of
    /// the sheet.
    ///
    /// Lines are never deleted from the document. `presence` says `edited <ms>` or `removed <ms>`;
    /// every user edit writes a fresh `edited <ms>`, so a line edited on one phone while another phone
    /// removed it shows up as a conflict on `lines/<id>/presence` instead of the edit silently
    /// vanishing. (Automerge skips a put of the value a field already holds, hence the time.)
    pub fn put_line(d: &mut AutoCommit, currency: Currency, line: &CrewLine, at_ms: i64) -> Result<(), SchemaError> {
        let lines = doc::ensure_map(d, &ROOT, "lines")?;
        line.upsert(d, &lines, currency, Some(format!("{EDITED}{at_ms}")))
    }

    /// Removes one crew line (a tombstone: see `put_line`).
    pub fn remove_line(d: &mut AutoCommit, line_id: &str, at_ms: i64) -> Result<(), SchemaError> {
        let Some(lines) = doc::get_map(d, &ROOT, "lines")? else { return Ok(()) };
        match doc::get_map(d, &lines, line_id)? {
            Some(obj) => put_str(d, &obj, PRESENCE, &format!("{REMOVED}{at_ms}")),
            None => Ok(()),
        }
    }

    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        // The root's fields in one pass, like each line's (see `doc::Fields`).
        Self::read_with(d, &Fields::read(d, &ROOT))
    }

    /// `read`, given the root's fields.
    pub(crate) fn read_with(d: &AutoCommit, root: &Fields) -> Result<Self, SchemaError> {
        Ok(Self::read_tracked(d, root, None)?.0)
    }

    /// `read_with`, also returning the crew lines as read (for `Record::reread`). Given `prev`, the
    /// lines as read at earlier heads of this document and the patches from there to now, only the
    /// lines those patches changed are read again.
    pub(crate) fn read_tracked(
        d: &AutoCommit,
        root: &Fields,
        prev: Option<(LineReadings, &[Patch])>,
    ) -> Result<(Self, Option<LineReadings>), SchemaError> {
        doc::expect_kind_of(root, RecordKind::LabourSheet)?;
        let currency = root
            .str("currency")?
            .map(|c| c.parse::<Currency>())
            .transpose()
            .map_err(|e| SchemaError::Malformed { field: "currency".into(), reason: e.reason })?
            .unwrap_or_default();
        let readings = match root.map("lines")? {
            Some(obj) => Some(match prev.map(|(p, patches)| p.reread(d, obj, patches)).transpose()?.flatten() {
                Some(again) => again,
                None => LineReadings::read(d, obj)?,
            }),
            None => None,
        };
        let mut lines: Vec<CrewLine> =
            readings.iter().flat_map(|r| r.entries.iter().filter_map(|e| e.line.clone())).collect();
        lines.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
        let sheet = LabourSheet {
            header: RecordHeader::read_from(d, root)?,
            work_date: root.req_date("work_date")?,
            currency,
            lines,
            note: root.str("note")?,
        };
        Ok((sheet, readings))
    }
}

/// A sheet's `lines` map as read: every object under it (removed lines too, as `None`), in the
/// map's order. What `Record::reread` keeps so that a change to one line re-reads that line only.
#[derive(Debug, Clone)]
pub(crate) struct LineReadings {
    obj: ObjId,
    entries: Vec<LineReading>,
    /// How many of the entries were read from the document (the rest were kept).
    pub(crate) read: usize,
}

#[derive(Debug, Clone)]
struct LineReading {
    key: String,
    id: ObjId,
    line: Option<CrewLine>,
}

impl LineReadings {
    fn read(d: &AutoCommit, obj: &ObjId) -> Result<Self, SchemaError> {
        let mut entries = Vec::new();
        for (key, id) in Self::list(d, obj)? {
            entries.push(LineReading::read(d, key, id)?);
        }
        let read = entries.len();
        Ok(LineReadings { obj: obj.clone(), entries, read })
    }

    /// The objects under the `lines` map, each of which must be a map.
    fn list(d: &AutoCommit, obj: &ObjId) -> Result<Vec<(String, ObjId)>, SchemaError> {
        d.map_range(obj, ..)
            .map(|item| match item.value {
                ValueRef::Object(ObjType::Map) => Ok((item.key.to_string(), item.id())),
                _ => Err(SchemaError::Malformed { field: item.key.into_owned(), reason: "expected a map".into() }),
            })
            .collect()
    }

    /// The lines again after `patches` (every visible change since these readings). `None` when
    /// the `lines` map was replaced: read everything afresh. Patches outside `lines` concern the
    /// root's fields, which are always read.
    fn reread(self, d: &AutoCommit, obj: &ObjId, patches: &[Patch]) -> Result<Option<Self>, SchemaError> {
        if *obj != self.obj {
            return Ok(None);
        }
        // Each patch under `lines` names the line it is in: the object after `lines` on its path
        // (a worker list's patch goes through its line), or the patched object itself.
        let mut relist = false;
        let mut touched: Vec<&ObjId> = Vec::new();
        for p in patches {
            if p.obj == *obj {
                relist = true;
            } else if let Some(i) = p.path.iter().position(|(o, _)| o == obj) {
                touched.push(p.path.get(i + 1).map_or(&p.obj, |(o, _)| o));
            }
        }
        let touches = |id: &ObjId| touched.contains(&id);
        let mut read = 0;
        let entries = if relist {
            // Lines added or keys replaced: list the map again, keeping what is unchanged by id.
            let mut old: Vec<Option<LineReading>> = self.entries.into_iter().map(Some).collect();
            let listing = Self::list(d, obj)?;
            let mut entries = Vec::with_capacity(listing.len());
            for (key, id) in listing {
                let kept = old
                    .iter_mut()
                    .find(|e| e.as_ref().is_some_and(|e| e.id == id && e.key == key))
                    .and_then(Option::take);
                match kept.filter(|_| !touches(&id)) {
                    Some(e) => entries.push(e),
                    None => {
                        read += 1;
                        entries.push(LineReading::read(d, key, id)?);
                    }
                }
            }
            entries
        } else {
            let mut entries = self.entries;
            for e in entries.iter_mut().filter(|e| touches(&e.id)) {
                read += 1;
                *e = LineReading::read(d, std::mem::take(&mut e.key), e.id.clone())?;
            }
            entries
        };
        Ok(Some(LineReadings { obj: self.obj, entries, read }))
    }

    /// Rough bytes held: for the server's cache to weigh.
    pub(crate) fn approx_bytes(&self) -> usize {
        self.entries.len() * std::mem::size_of::<LineReading>()
            + self.entries.iter().filter_map(|e| e.line.as_ref()).map(CrewLine::approx_text_bytes).sum::<usize>()
    }
}

impl LineReading {
    fn read(d: &AutoCommit, key: String, id: ObjId) -> Result<Self, SchemaError> {
        let fields = Fields::read(d, &id);
        let removed = fields.str(PRESENCE)?.is_some_and(|p| p.starts_with(REMOVED));
        let line = if removed { None } else { Some(CrewLine::read(d, &key, &fields)?) };
        Ok(LineReading { key, id, line })
    }
}
