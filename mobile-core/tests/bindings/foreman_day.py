"""A foreman's day, through the real Python bindings of the phone core.

One store on "phone A" (foreman 王工长) lives through a realistic day, step by step (each step builds on the ones
before, so the run stops at the first failure):

 1. reference data for project P1 arrives (built with `reference_document`, imported as `reference:P1`);
 2. today's labour sheet (today on the site's calendar, Asia/Shanghai) gets 50 crew lines; totals are checked
    against exact `Decimal` arithmetic done here;
 3. lines are edited and one removed; yesterday's sheet of site S2 is carried over to today;
 4. 20 expenses, one edited, summed exactly;
 5. 10 photos (real JPEG and PNG files written by `_images.py`) on progress reports and expense receipts, with a
    progress listener and GPS context; pending uploads; one marked uploaded;
 6. bad input of every kind raises the right typed `CoreError` naming the right field, and changes nothing; so do
    an `attach_photos` and a sync (held by a server that never answers) the app cancels with a `CancelToken`;
 7. a second phone (李工长) imports the sheet, both edit offline (the same headcount included), exchange changes,
    converge, see the conflict, resolve it and converge again;
 8. an expense is voided;
 9. the store is closed and reopened: everything is still there;
10. a quick day in batches (a sheet copied from the last one, every change in one call);
11. a wage advance (借支) with a photo of the signed slip, for a worker picked from the roster the reference data
    publishes, and a crew line naming roster workers; bad advances are refused with the field named;
12. a field observation (现场问题) with a photo of the issue, open until the office follows it up; bad ones refused
    with the field named;
13. a day log (施工日志) with the weather, a visitor and a delay; last_weather returns it for tomorrow's log; a second
    one for the same site and day, and bad ones, are refused with the field named.
"""

import asyncio
import enum
import hashlib
import os
import socket
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import mobile_core as mc
from _images import jpeg_bytes, jpeg_size, png_bytes, site_picture

try:
    from zoneinfo import ZoneInfo

    SHANGHAI = ZoneInfo("Asia/Shanghai")
except Exception:  # no tz database: Shanghai has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8))

SCRATCH = os.environ.get("FIELDLEDGER_SCRATCH_DIR") or tempfile.mkdtemp(prefix="foreman-day-")
TODAY = datetime.now(SHANGHAI).date()
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)
TZ = "Asia/Shanghai"
FOREMAN_A = "王工长"
FOREMAN_B = "李工长"
CENT = Decimal("0.01")

TRADES = {  # name: (day rate, hour rate), as the server sends them
    "木工": ("380.00", "47.50"),
    "钢筋工": ("400.00", "50.00"),
    "混凝土工": ("360.00", "45.00"),
    "瓦工": ("350.00", "44.00"),
    "普工": ("260.00", "32.50"),
}
TRADE_COST_CODE = {"木工": "03-100", "钢筋工": "03-200", "混凝土工": "03-100", "瓦工": "05-100", "普工": "01-500"}
TRADE_ACTIVITY = {"木工": "A-POUR-L3", "钢筋工": "A-REBAR-L3", "混凝土工": "A-POUR-L3", "瓦工": None, "普工": None}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "志强", "海涛", "春生", "国华", "永刚", "德明", "小龙", "文杰", "金山"]


def money(d):
    """Canonical CNY text of an exact amount, rounding half away from zero like the core (only sub-cent values)."""
    return str(Decimal(d).quantize(CENT, rounding=ROUND_HALF_UP))


def line_cost(inp):
    return Decimal(inp.headcount) * Decimal(inp.effort) * Decimal(inp.rate)


def canonical_qty(text):
    d = Decimal(text).normalize()
    return format(d, "f")


def run(coro):
    return asyncio.run(coro)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def now_ms():
    return int(time.time() * 1000)


class RecordingListener(mc.ProgressListener):
    """The app's progress bar: records every call (from whatever thread the core calls on)."""

    def __init__(self):
        self.calls = []
        self.threads = set()
        self._lock = threading.Lock()

    def on_progress(self, done, total, item):
        with self._lock:
            self.calls.append((done, total, item))
            self.threads.add(threading.get_ident())


def crew_input(trade, headcount, unit, effort, rate, *, crew=None, cost_code=None, activity="default", note=None,
               workers=()):
    return mc.CrewLineInput(
        trade=trade,
        crew=crew,
        headcount=headcount,
        effort_unit=unit,
        effort=effort,
        rate=rate,
        cost_code=cost_code or TRADE_COST_CODE[trade],
        activity=TRADE_ACTIVITY[trade] if activity == "default" else activity,
        note=note,
        workers=list(workers),
    )


def fifty_lines():
    """50 crew lines as a foreman types them: mixed trades, day and hour crews, some named workers."""
    names = list(TRADES)
    lines = []
    for i in range(50):
        trade = names[i % 5]
        day_rate, hour_rate = TRADES[trade]
        by_day = i % 3 != 0
        unit = mc.EffortUnit.DAYS if by_day else mc.EffortUnit.HOURS
        effort = ["1", "0.5", "1", "1.5"][i % 4] if by_day else ["8", "9.5", "10", "4.5"][i % 4]
        rate = day_rate if by_day else hour_rate
        if i % 7 == 3:
            rate = "365.50" if by_day else "48"  # negotiated rates; "48" must come back as "48.00"
        headcount = 1 + (i * 7) % 30
        surname = SURNAMES[i % len(SURNAMES)]
        workers = []
        if i % 4 == 0:
            for w in range(min(headcount, 3)):
                id_number = f"51010219{80 + w:02d}0{(i + w) % 10}1{i % 10}{w}2{(i * 3) % 10}X" if w != 2 else None
                workers.append(mc.Worker(name=SURNAMES[(i + w + 3) % len(SURNAMES)] + GIVEN[(i + w) % 10],
                                         id_number=id_number))
        lines.append(crew_input(trade, headcount, unit, effort, rate, crew=f"{surname}{GIVEN[i % 10][0]}班组",
                                note="夜班 night shift" if i % 11 == 5 else None, workers=workers))
    return lines


def reference():
    return mc.ReferenceData(
        project_id="P1",
        currency="CNY",
        sites=[
            mc.Site(id="S1", name="3#楼 Tower 3", time_zone=TZ),
            mc.Site(id="S2", name="地下车库 Basement car park", time_zone=TZ),
        ],
        cost_codes=[
            mc.CostCode(code="01", name="General conditions 措施费", parent=None),
            mc.CostCode(code="01-500", name="Site general 现场杂项", parent="01"),
            mc.CostCode(code="03", name="Concrete 混凝土工程", parent=None),
            mc.CostCode(code="03-100", name="Concrete 混凝土", parent="03"),
            mc.CostCode(code="03-200", name="Rebar 钢筋", parent="03"),
            mc.CostCode(code="05", name="Masonry 砌体工程", parent=None),
            mc.CostCode(code="05-100", name="Masonry 砌筑", parent="05"),
        ],
        activities=[
            mc.Activity(id="A-POUR-L3", name="浇筑三层顶板 Pour L3 slab", planned_start=str(YESTERDAY),
                        planned_finish=str(TODAY + timedelta(days=10)), unit="m3"),
            mc.Activity(id="A-REBAR-L3", name="三层钢筋绑扎 Rebar L3", planned_start=str(TODAY - timedelta(days=5)),
                        planned_finish=str(TODAY + timedelta(days=3)), unit="t"),
        ],
        trades=[mc.Trade(name=n, day_rate=d, hour_rate=h) for n, (d, h) in TRADES.items()],
    )


def plain(x):
    """Records and enums as plain dicts and lists, so a failed comparison shows a readable diff (the generated
    classes are dataclasses without annotations, whose repr shows no fields)."""
    if isinstance(x, (str, bytes, int, float, bool, type(None), enum.Enum)):
        return x
    if isinstance(x, (list, tuple)):
        return [plain(i) for i in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    fields = {k: plain(v) for k, v in vars(x).items() if not k.startswith("_")}
    return {"type": type(x).__name__, **fields}


def by_key(items, key):
    return {key(x): x for x in items}


class ForemansDay(unittest.TestCase):
    """Steps run in order (test_01 … test_10) and share the day's state on the class."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.dir_a = tempfile.mkdtemp(prefix="phone-a-", dir=SCRATCH)
        cls.path_a = os.path.join(cls.dir_a, "fieldledger.db")
        cls.photos_dir = tempfile.mkdtemp(prefix="camera-", dir=SCRATCH)
        cls.store = mc.FieldStore.open(cls.path_a, FOREMAN_A)
        cls.expected_lines = {}  # line id -> CrewLineInput (today's S1 sheet)
        cls.expenses = []  # (id, ExpenseInput), in creation order
        cls.photo_records = {}  # sha256 -> set of record ids it is attached to

    # ---------------------------------------------------------------------------------------------------------
    # helpers

    def assert_error(self, error_class, call, *args, field=None):
        """`call(*args)` raises exactly `error_class` (a CoreError variant); for InvalidInput, naming `field`."""
        with self.assertRaises(mc.CoreError) as caught:
            call(*args)
        e = caught.exception
        self.assertIs(type(e), error_class, f"{call.__name__}{args!r} raised {e!r}")
        if field is not None:
            self.assertEqual(e.field, field, f"{call.__name__} raised {e!r}")
            self.assertTrue(e.reason, "an InvalidInput needs a reason a person can read")
        return e

    def assert_sheet_matches(self, sheet, expected):
        """`sheet` holds exactly the lines of `expected` (id -> input), with exact costs and totals."""
        self.assertEqual({l.id for l in sheet.lines}, set(expected))
        total = Decimal(0)
        for line in sheet.lines:
            inp = expected[line.id]
            exact = line_cost(inp)
            total += exact
            self.assertEqual((line.trade, line.crew, line.headcount, line.effort_unit, line.cost_code, line.activity,
                              line.note, line.workers),
                             (inp.trade, inp.crew, inp.headcount, inp.effort_unit, inp.cost_code, inp.activity,
                              inp.note, inp.workers), line.id)
            self.assertEqual(line.effort, canonical_qty(inp.effort))
            self.assertEqual(line.rate, money(inp.rate))
            self.assertEqual(line.cost, money(exact), f"cost of line {line.id}")
        # The total is the sum of the lines' rounded costs, as payroll and the ledger see it.
        rounded = sum((Decimal(money(line_cost(i))) for i in expected.values()), Decimal(0))
        self.assertEqual(sheet.total_cost, money(rounded))
        self.assertEqual(sheet.total_headcount, sum(i.headcount for i in expected.values()))
        self.assertEqual([l.position for l in sheet.lines], sorted(l.position for l in sheet.lines))
        return total

    def snapshot(self, store):
        """Everything a store holds that an app can read."""
        rows = store.list_records(mc.RecordFilter(kind=None, project_id=None, site_id=None, date_from=None,
                                                  date_to=None, include_voided=True))
        return plain({
            "rows": rows,
            "records": {r.id: store.get_record(r.id) for r in rows},
            "heads": {r.id: sorted(store.heads(r.id)) for r in rows},
            "conflicts": {r.id: store.conflicts(r.id) for r in rows},
            "pending": store.pending_uploads(),
            "reference": store.reference_data("P1"),
        })

    def media_files(self):
        out = {}
        for root, _, files in os.walk(self.path_a + ".media"):
            for f in files:
                p = os.path.join(root, f)
                out[os.path.relpath(p, self.dir_a)] = os.path.getsize(p)
        return out

    @staticmethod
    def all_filter(kind=None, include_voided=False):
        return mc.RecordFilter(kind=kind, project_id="P1", site_id=None, date_from=None, date_to=None,
                               include_voided=include_voided)

    def expense_sum(self):
        voided = self.__class__.voided_ids
        return sum((Decimal(e.amount) for i, e in self.expenses if i not in voided), Decimal(0))

    # ---------------------------------------------------------------------------------------------------------
    # 1. reference data

    def test_01_reference_data(self):
        s = self.store
        self.assertEqual(s.path(), self.path_a)
        self.assertIsNone(s.reference_data("P1"), "a fresh store has no reference data")
        ref = reference()
        doc = mc.reference_document(ref)
        self.assertIsInstance(doc, bytes)
        self.__class__.reference_bytes = doc
        result = s.import_changes("reference:P1", doc)
        self.assertEqual((result.id, result.kind, result.changed, result.conflict_count),
                         ("reference:P1", "reference_data", True, 0))
        again = s.import_changes("reference:P1", doc)
        self.assertFalse(again.changed, "importing the same bytes twice changes nothing")

        got = s.reference_data("P1")
        self.assertIsNotNone(got)
        self.assertEqual((got.project_id, got.currency), ("P1", "CNY"))
        # Keyed collections come back ordered by key; compare them as maps.
        self.assertEqual(by_key(got.sites, lambda x: x.id), by_key(ref.sites, lambda x: x.id))
        self.assertEqual(by_key(got.cost_codes, lambda x: x.code), by_key(ref.cost_codes, lambda x: x.code))
        self.assertEqual(by_key(got.activities, lambda x: x.id), by_key(ref.activities, lambda x: x.id))
        self.assertEqual(by_key(got.trades, lambda x: x.name), by_key(ref.trades, lambda x: x.name))
        self.assertIsNone(s.reference_data("P2"))
        # Reference data is not a foreman's record: it is never listed.
        self.assertEqual(s.list_records(self.all_filter(include_voided=True)), [])

        cats = mc.expense_categories()
        self.assertIn("materials", cats)
        self.assertIn("meals", cats)
        self.assertEqual(mc.core_version(), os.environ.get("FIELDLEDGER_CORE_VERSION", mc.core_version()))

    # ---------------------------------------------------------------------------------------------------------
    # 2. today's sheet, 50 crew lines

    def test_02_todays_sheet_with_fifty_lines(self):
        s = self.store
        sheet = s.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", time_zone=TZ,
                                                        work_date=str(TODAY), currency=None,
                                                        note="3#楼三层顶板浇筑 L3 slab pour"))
        self.assertTrue(sheet.info.id)
        self.assertEqual((sheet.info.project_id, sheet.info.site_id, sheet.info.time_zone, sheet.info.author),
                         ("P1", "S1", TZ, FOREMAN_A))
        self.assertIsNone(sheet.info.voided)
        self.assertEqual((sheet.work_date, sheet.currency, sheet.lines, sheet.total_headcount, sheet.total_cost),
                         (str(TODAY), "CNY", [], 0, "0.00"))
        self.assertLessEqual(abs(sheet.info.created_at_ms - now_ms()), 60_000)
        self.__class__.sheet_id = sheet.info.id

        expected = self.expected_lines
        for i, inp in enumerate(fifty_lines()):
            line = s.add_crew_line(sheet.info.id, inp)
            self.assertTrue(line.id)
            self.assertNotIn(line.id, expected)
            self.assertEqual(line.position, i)
            self.assertEqual(line.cost, money(line_cost(inp)))
            self.assertEqual(line.rate, money(inp.rate))
            self.assertEqual(line.workers, inp.workers)
            expected[line.id] = inp

        got = s.get_labour_sheet(sheet.info.id)
        self.assertEqual(len(got.lines), 50)
        total = self.assert_sheet_matches(got, expected)
        # Realistic rates and efforts give whole cents: the total is exact, not rounded.
        self.assertEqual(total, total.quantize(CENT))
        self.assertEqual(Decimal(got.total_cost), total)
        headcount = sum(i.headcount for i in expected.values())
        self.assertEqual(got.total_headcount, headcount)
        self.assertEqual(got.lines[0].workers[0].name, SURNAMES[3] + GIVEN[0])
        self.assertEqual(got.note, "3#楼三层顶板浇筑 L3 slab pour")

        rows = s.list_records(self.all_filter(kind=mc.RecordKind.LABOUR_SHEET))
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual((row.id, row.kind, row.site_id, row.date, row.author, row.headcount, row.total,
                          row.currency, row.line_count, row.photo_count, row.conflict_count, row.voided),
                         (sheet.info.id, mc.RecordKind.LABOUR_SHEET, "S1", str(TODAY), FOREMAN_A, headcount,
                          got.total_cost, "CNY", 50, 0, 0, False))
        self.assertEqual(set(row.subject.split(", ")), set(TRADES))

    # ---------------------------------------------------------------------------------------------------------
    # 3. edits, removal, carrying yesterday's crews over

    def test_03_edit_remove_and_carry_over(self):
        s, sid, expected = self.store, self.sheet_id, self.expected_lines
        lines = s.get_labour_sheet(sid).lines

        # More people came: headcount up. A crew stayed late: hours up. Another: both.
        edits = {
            lines[4].id: dict(headcount=lines[4].headcount + 2),
            lines[9].id: dict(effort="10"),
            lines[21].id: dict(headcount=3, effort="0.5"),
        }
        for line_id, change in edits.items():
            before = expected[line_id]
            new = crew_input(before.trade, change.get("headcount", before.headcount), before.effort_unit,
                             change.get("effort", before.effort), before.rate, crew=before.crew,
                             cost_code=before.cost_code, activity=before.activity, note=before.note,
                             workers=before.workers[:change.get("headcount", before.headcount)])
            position = next(l.position for l in lines if l.id == line_id)
            line = s.update_crew_line(sid, line_id, new)
            self.assertEqual((line.id, line.position), (line_id, position), "an edit keeps id and position")
            self.assertEqual(line.cost, money(line_cost(new)))
            expected[line_id] = new

        # A quarter hour at a rate with cents gives a sub-cent cost: each line's cost is rounded once to the
        # cent, and the total is the sum of the rounded line costs (what payroll and the ledger post).
        odd = lines[6]
        before = expected[odd.id]
        new = crew_input(before.trade, 3, mc.EffortUnit.HOURS, "7.25", "45.50", crew=before.crew,
                         cost_code=before.cost_code, activity=before.activity)
        line = s.update_crew_line(sid, odd.id, new)
        self.assertEqual(line_cost(new), Decimal("989.625"))
        self.assertEqual(line.cost, "989.63")
        expected[odd.id] = new

        removed = lines[30]
        s.remove_crew_line(sid, removed.id)
        del expected[removed.id]
        self.assert_error(mc.CoreError.NotFound, s.remove_crew_line, sid, removed.id)
        self.assert_error(mc.CoreError.NotFound, s.update_crew_line, sid, removed.id,
                          crew_input("普工", 1, mc.EffortUnit.DAYS, "1", "260"))

        sheet = s.get_labour_sheet(sid)
        self.assertEqual(len(sheet.lines), 49)
        total = self.assert_sheet_matches(sheet, expected)
        self.assertNotEqual(total, total.quantize(CENT), "the quarter-hour line makes the exact total sub-cent")
        self.assertEqual(sheet.total_cost, money(sum((Decimal(money(line_cost(i))) for i in expected.values()), Decimal(0))))
        self.assertEqual([l.position for l in sheet.lines], [p for p in range(50) if p != 30])

        # Back to whole cents for the rest of the day: 8 hours at the trade's rate.
        new = crew_input(before.trade, 3, mc.EffortUnit.HOURS, "8", TRADES[before.trade][1], crew=before.crew,
                         cost_code=before.cost_code, activity=before.activity)
        s.update_crew_line(sid, odd.id, new)
        expected[odd.id] = new
        self.assert_sheet_matches(s.get_labour_sheet(sid), expected)

        # Site S2: yesterday's sheet, then today's started from it ("same crews as yesterday").
        yesterday = s.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S2", time_zone=TZ,
                                                            work_date=str(YESTERDAY), currency="CNY", note="车库底板"))
        y_inputs = [
            crew_input("钢筋工", 12, mc.EffortUnit.DAYS, "1", "400", crew="张宏班组", cost_code="03-200",
                       activity="A-REBAR-L3", note="底板钢筋",
                       workers=[mc.Worker(name="张宏", id_number="510102198001011234"),
                                mc.Worker(name="张伟", id_number=None)]),
            crew_input("混凝土工", 8, mc.EffortUnit.HOURS, "9.5", "45.00", crew="刘强班组", note="泵车"),
            crew_input("普工", 5, mc.EffortUnit.DAYS, "0.5", "260.00", crew="杂工班"),
            crew_input("瓦工", 4, mc.EffortUnit.DAYS, "1", "350", crew="陈师傅班组", cost_code="05-100"),
        ]
        y_lines = [s.add_crew_line(yesterday.info.id, inp) for inp in y_inputs]
        y_sheet = s.get_labour_sheet(yesterday.info.id)
        self.assert_sheet_matches(y_sheet, {l.id: inp for l, inp in zip(y_lines, y_inputs)})

        self.assertIsNone(s.start_sheet_from_latest("P1", "S3", str(TODAY)), "a site with no sheets")
        today_s2 = s.start_sheet_from_latest("P1", "S2", str(TODAY))
        self.assertIsNotNone(today_s2)
        self.assert_carried_over(y_sheet, today_s2, str(TODAY))
        self.assertEqual(s.get_labour_sheet(today_s2.info.id), today_s2)
        self.assertEqual(s.get_labour_sheet(yesterday.info.id), y_sheet, "the source is untouched")

        # Preparing tomorrow's sheet tonight, from a chosen sheet.
        tomorrow = s.start_sheet_from(yesterday.info.id, str(TOMORROW))
        self.assert_carried_over(y_sheet, tomorrow, str(TOMORROW))
        self.__class__.s2_sheet_ids = [yesterday.info.id, today_s2.info.id, tomorrow.info.id]

    def assert_carried_over(self, source, sheet, date):
        self.assertNotEqual(sheet.info.id, source.info.id)
        self.assertEqual((sheet.work_date, sheet.currency, sheet.note, sheet.info.site_id, sheet.info.time_zone,
                          sheet.info.author), (date, source.currency, None, "S2", TZ, FOREMAN_A))
        self.assertEqual(len(sheet.lines), len(source.lines))
        self.assertFalse({l.id for l in sheet.lines} & {l.id for l in source.lines}, "new line ids")
        self.assertEqual(len({l.id for l in sheet.lines}), len(sheet.lines))
        for new, old in zip(sheet.lines, source.lines):
            self.assertEqual((new.position, new.trade, new.crew, new.headcount, new.effort_unit, new.effort,
                              new.rate, new.cost, new.cost_code, new.activity, new.workers),
                             (old.position, old.trade, old.crew, old.headcount, old.effort_unit, old.effort,
                              old.rate, old.cost, old.cost_code, old.activity, old.workers))
            self.assertIsNone(new.note, "notes are not carried over")
        self.assertEqual((sheet.total_cost, sheet.total_headcount), (source.total_cost, source.total_headcount))

    # ---------------------------------------------------------------------------------------------------------
    # 4. expenses

    def test_04_twenty_expenses(self):
        s = self.store
        cats = mc.expense_categories()
        amounts = ["1280.50", "35", "86.40", "2400", "12.5", "0.50", "99999.99", "3", "458.00", "15.80",
                   "7260", "120", "64.35", "880.88", "1500.00", "42", "310.10", "9.90", "2650.75", "18"]
        vendors = ["鑫达建材", "老王快餐", "顺丰速运", "中石化加油站", None, "五金店", "华新水泥", "早餐摊",
                   "宏远租赁", "便利店", "钢材市场", "如家酒店", "电工材料部", "路桥收费", "吊车租赁", "小卖部",
                   "劳保用品店", "打印店", "混凝土站", "水站"]
        codes = ["03-100", "01-500", "01-500", "01-500", "05-100", "01-500", "03-200", "01-500", "01-500", "01-500"]
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=TZ)
        for i, amount in enumerate(amounts):
            inp = mc.ExpenseInput(date=str(TODAY if i % 4 else YESTERDAY), amount=amount, currency=None,
                                  category=cats[i % len(cats)], vendor=vendors[i], cost_code=codes[i % len(codes)],
                                  note="发票已收 invoice kept" if i % 5 == 0 else None)
            e = s.create_expense(place, inp)
            self.assertTrue(e.info.id)
            self.assertEqual((e.date, e.amount, e.currency, e.category, e.vendor, e.cost_code, e.note, e.receipts),
                             (inp.date, money(amount), "CNY", inp.category, inp.vendor, inp.cost_code, inp.note, []))
            self.assertEqual((e.info.author, e.info.site_id, e.info.voided), (FOREMAN_A, "S1", None))
            self.expenses.append((e.info.id, inp))
        self.assertEqual(len({i for i, _ in self.expenses}), 20)

        # The 1280.50 was really 1302.80, from another vendor, on rebar.
        eid, old = self.expenses[0]
        before = s.get_expense(eid)
        fixed = mc.ExpenseInput(date=old.date, amount="1302.80", currency="CNY", category="materials",
                                vendor="鑫达建材(二店)", cost_code="03-200", note="改: 金额抄错")
        e = s.update_expense(eid, fixed)
        self.assertEqual((e.amount, e.vendor, e.cost_code, e.note), ("1302.80", "鑫达建材(二店)", "03-200", "改: 金额抄错"))
        self.assertEqual(e.info, before.info, "an edit keeps id, place, author and creation time")
        self.assertEqual(s.get_expense(eid), e)
        self.expenses[0] = (eid, fixed)

        self.__class__.voided_ids = set()
        rows = s.list_records(self.all_filter(kind=mc.RecordKind.EXPENSE))
        self.assertEqual(len(rows), 20)
        listed = sum((Decimal(r.total) for r in rows), Decimal(0))
        expected = self.expense_sum()
        self.assertEqual(listed, expected)
        self.assertEqual(expected, Decimal("117169.97"), "sum of the amounts typed above, after the edit")
        for r in rows:
            self.assertEqual((r.kind, r.currency, r.voided), (mc.RecordKind.EXPENSE, "CNY", False))
        by_id = dict(self.expenses)
        for r in rows:
            self.assertEqual(r.total, money(by_id[r.id].amount))
            self.assertEqual(r.subject, by_id[r.id].category)

    # ---------------------------------------------------------------------------------------------------------
    # 5. photos

    def write_photo(self, name, data):
        path = os.path.join(self.photos_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def check_photo(self, photo, path, size, mime, captured_at_ms=None, location=None, window=None):
        with open(path, "rb") as f:
            original = f.read()
        self.assertEqual(photo.sha256, hashlib.sha256(original).hexdigest())
        self.assertEqual(photo.byte_size, len(original))
        self.assertEqual((photo.width, photo.height), size)
        self.assertEqual(photo.mime, mime)
        if captured_at_ms is not None:
            self.assertEqual(photo.captured_at_ms, captured_at_ms)
        else:  # no EXIF and no context: the time it was attached
            self.assertTrue(window[0] <= photo.captured_at_ms <= window[1], photo.captured_at_ms)
        self.assertEqual(photo.location, location)
        long_edge = max(size)
        for path_, edge in ((photo.thumbnail_path, 256), (photo.preview_path, 1280)):
            self.assertTrue(os.path.isfile(path_), path_)
            with open(path_, "rb") as f:
                data = f.read()
            self.assertGreater(len(data), 100, path_)
            self.assertEqual(data[:2], b"\xff\xd8", f"{path_} is a JPEG")
            w, h = jpeg_size(data)
            if long_edge <= edge:
                self.assertEqual((w, h), size, "never upscaled")
            else:
                self.assertEqual(max(w, h), edge)
                self.assertAlmostEqual(w / h, size[0] / size[1], delta=0.02)
        self.assertEqual(photo.thumbnail_sha256, sha256_file(photo.thumbnail_path))
        self.assertTrue(photo.thumbnail_path.startswith(self.path_a + ".media"))

    def test_05_photos(self):
        s = self.store
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=TZ)
        pour_pct = s.create_progress_report(place, mc.ProgressInput(
            date=str(TODAY), activity="A-POUR-L3", measure=mc.ProgressMeasure.PERCENT(percent="45"),
            caption="三层顶板浇筑过半"))
        pour_qty = s.create_progress_report(place, mc.ProgressInput(
            date=str(TODAY), activity="A-POUR-L3", measure=mc.ProgressMeasure.QUANTITY(installed="86.5", unit="m3"),
            caption="泵车 2 台"))
        rebar = s.create_progress_report(place, mc.ProgressInput(
            date=str(TODAY), activity="A-REBAR-L3", measure=mc.ProgressMeasure.PERCENT(percent="60.5"),
            caption=None))
        self.assertEqual(pour_pct.measure, mc.ProgressMeasure.PERCENT(percent="45"))
        self.assertEqual(pour_qty.measure, mc.ProgressMeasure.QUANTITY(installed="86.5", unit="m3"))
        self.assertEqual((pour_pct.activity, pour_pct.date, pour_pct.photos), ("A-POUR-L3", str(TODAY), []))
        self.__class__.report_ids = [pour_pct.info.id, pour_qty.info.id, rebar.info.id]

        # Ten real images: eight JPEGs of several shapes (one greyscale, bigger than a thumbnail), two PNGs.
        shapes = [(160, 120), (120, 160), (101, 75), (400, 300), (96, 64), (200, 150), (64, 64), (136, 102)]
        jpegs = []
        for k, (w, h) in enumerate(shapes):
            data = jpeg_bytes(w, h, site_picture(k), quality=80 + k, grey=(k == 3))
            jpegs.append((self.write_photo(f"IMG_20240{k}.jpg", data), (w, h)))
        pngs = [(self.write_photo(f"Screenshot_{k}.png", png_bytes(w, h, site_picture(10 + k))), (w, h))
                for k, (w, h) in enumerate([(80, 60), (48, 96)])]
        self.assertEqual(len({sha256_file(p) for p, _ in jpegs + pngs}), 10, "ten different photos")

        def attached(record_id, photo):
            self.photo_records.setdefault(photo.sha256, set()).add(record_id)

        # Four photos of the pour, with a progress bar.
        listener = RecordingListener()
        paths = [p for p, _ in jpegs[:4]]
        t0 = now_ms()
        photos = run(s.attach_photos(pour_pct.info.id, paths, listener))
        t1 = now_ms()
        self.assertEqual(listener.calls, [(i + 1, 4, p) for i, p in enumerate(paths)])
        self.assertEqual(len(photos), 4)
        for photo, (path, size) in zip(photos, jpegs[:4]):
            self.check_photo(photo, path, size, "image/jpeg", window=(t0, t1))
            attached(pour_pct.info.id, photo)
        self.assertEqual(s.get_progress_report(pour_pct.info.id).photos, photos)

        # Rebar: a JPEG and a PNG screenshot.
        listener2 = RecordingListener()
        paths = [jpegs[4][0], pngs[0][0]]
        t0 = now_ms()
        photos = run(s.attach_photos(rebar.info.id, paths, listener2))
        t1 = now_ms()
        self.assertEqual(listener2.calls, [(1, 2, paths[0]), (2, 2, paths[1])])
        self.check_photo(photos[0], jpegs[4][0], jpegs[4][1], "image/jpeg", window=(t0, t1))
        self.check_photo(photos[1], pngs[0][0], pngs[0][1], "image/png", window=(t0, t1))
        for p in photos:
            attached(rebar.info.id, p)

        # One photo with the camera's time and GPS fix, on the quantity report.
        shot_at = now_ms() - 15 * 60_000
        gps = mc.GeoPoint(latitude=31.230416, longitude=121.473701, accuracy_m=4.5)
        photo = run(s.attach_photo(pour_qty.info.id, jpegs[5][0], mc.PhotoContext(captured_at_ms=shot_at, location=gps)))
        self.check_photo(photo, jpegs[5][0], jpegs[5][1], "image/jpeg", captured_at_ms=shot_at, location=gps)
        attached(pour_qty.info.id, photo)
        self.assertEqual(s.get_progress_report(pour_qty.info.id).photos, [photo])

        # Receipts: one with GPS and no accuracy, two more with a listener.
        e0, e1, e2, e3 = (eid for eid, _ in self.expenses[:4])
        gps2 = mc.GeoPoint(latitude=31.2291, longitude=121.4752, accuracy_m=None)
        photo = run(s.attach_photo(e0, jpegs[6][0], mc.PhotoContext(captured_at_ms=shot_at + 1, location=gps2)))
        self.check_photo(photo, jpegs[6][0], jpegs[6][1], "image/jpeg", captured_at_ms=shot_at + 1, location=gps2)
        attached(e0, photo)
        receipt_sha = photo.sha256
        listener3 = RecordingListener()
        paths = [jpegs[7][0], pngs[1][0]]
        photos = run(s.attach_photos(e1, paths, listener3))
        self.assertEqual(listener3.calls, [(1, 2, paths[0]), (2, 2, paths[1])])
        self.assertEqual([p.mime for p in photos], ["image/jpeg", "image/png"])
        for p in photos:
            attached(e1, p)
        self.assertEqual(s.get_expense(e1).receipts, photos)

        # The same delivery note photographed once, attached to a second record: one original, two records.
        photo = run(s.attach_photo(e2, jpegs[0][0], mc.PhotoContext(captured_at_ms=None, location=None)))
        self.assertEqual(photo.sha256, sha256_file(jpegs[0][0]))
        attached(e2, photo)

        # attach_photos stops at the first bad file; the photos before it stay attached.
        notes = self.write_photo("notes.txt", "今天浇筑三层顶板, 86.5 方。\n".encode())
        listener4 = RecordingListener()
        with self.assertRaises(mc.CoreError.PhotoUnsupported):
            run(s.attach_photos(e3, [jpegs[6][0], notes], listener4))
        self.assertEqual(listener4.calls, [(1, 2, jpegs[6][0])])
        self.assertEqual([p.sha256 for p in s.get_expense(e3).receipts], [receipt_sha])
        attached(e3, s.get_expense(e3).receipts[0])
        self.__class__.notes_path = notes
        self.__class__.jpeg_paths = [p for p, _ in jpegs]

        # Ten originals wait for upload, each listing the records it belongs to.
        pending = s.pending_uploads()
        self.assertEqual(len(pending), 10)
        self.assertEqual({p.sha256: set(p.record_ids) for p in pending}, self.photo_records)
        self.assertEqual(self.photo_records[sha256_file(jpegs[0][0])], {pour_pct.info.id, e2})
        for p in pending:
            self.assertTrue(os.path.isfile(p.path), p.path)
            self.assertEqual(os.path.getsize(p.path), p.byte_size)
            self.assertEqual(sha256_file(p.path), p.sha256)
            self.assertIn(p.mime, ("image/jpeg", "image/png"))

        rows = {r.id: r for r in s.list_records(self.all_filter())}
        self.assertEqual([rows[i].photo_count for i in self.report_ids], [4, 1, 2])
        self.assertEqual([rows[i].photo_count for i in (e0, e1, e2, e3)], [1, 2, 1, 1])
        self.assertEqual([rows[i].total for i in self.report_ids], ["45%", "86.5 m3", "60.5%"])
        self.assertEqual(rows[rebar.info.id].subject, "A-REBAR-L3")

        # One original reaches the server: it leaves the list and the phone; thumbnail and preview stay.
        up = next(p for p in pending if p.sha256 == sha256_file(jpegs[1][0]))
        photo = next(p for p in s.get_progress_report(pour_pct.info.id).photos if p.sha256 == up.sha256)
        s.mark_photo_uploaded(up.sha256)
        self.assertFalse(os.path.exists(up.path), "the original is deleted")
        self.assertTrue(os.path.getsize(photo.thumbnail_path) > 0 and os.path.getsize(photo.preview_path) > 0)
        after = s.pending_uploads()
        self.assertEqual([p.sha256 for p in after], [p.sha256 for p in pending if p.sha256 != up.sha256])
        self.assertEqual(len(s.get_progress_report(pour_pct.info.id).photos), 4, "the record keeps its photo")
        s.mark_photo_uploaded(up.sha256)  # a retried acknowledgement is harmless
        self.assertEqual(len(s.pending_uploads()), 9)
        self.assert_error(mc.CoreError.NotFound, s.mark_photo_uploaded, "0" * 64)
        self.__class__.uploaded_sha = up.sha256

    # ---------------------------------------------------------------------------------------------------------
    # 6. bad input

    def test_06_bad_input_changes_nothing(self):
        s, sid = self.store, self.sheet_id
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=TZ)
        # A record typed by mistake and voided: edits to it are refused.
        mistake = s.create_expense(place, mc.ExpenseInput(date=str(TODAY), amount="66", currency=None,
                                                          category="other", vendor=None, cost_code="01-500",
                                                          note=None))
        s.void_record(mistake.info.id, "录错了 typed by mistake")
        self.__class__.voided_ids.add(mistake.info.id)
        self.expenses.append((mistake.info.id, mc.ExpenseInput(date=str(TODAY), amount="66", currency=None,
                                                               category="other", vendor=None, cost_code="01-500",
                                                               note=None)))
        voided_sheet = s.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", time_zone=TZ,
                                                               work_date=str(YESTERDAY), currency=None, note=None))
        s.void_record(voided_sheet.info.id, "重复 duplicate")
        self.__class__.mistake_ids = [mistake.info.id, voided_sheet.info.id]

        before = self.snapshot(s)
        files_before = self.media_files()
        lines = s.get_labour_sheet(sid).lines
        n = len(lines)
        new_field = lambda name: f"line.{name}"
        good = crew_input("木工", 6, mc.EffortUnit.DAYS, "1", "380.00", crew="王班组")

        def line(**change):
            kw = dict(trade=good.trade, crew=good.crew, headcount=good.headcount, effort_unit=good.effort_unit,
                      effort=good.effort, rate=good.rate, cost_code=good.cost_code, activity=good.activity,
                      note=good.note, workers=good.workers)
            kw.update(change)
            return mc.CrewLineInput(**kw)

        InvalidInput = mc.CoreError.InvalidInput
        add = s.add_crew_line
        # Crew lines.
        self.assert_error(InvalidInput, add, sid, line(headcount=-3), field=new_field("headcount"))
        self.assert_error(InvalidInput, add, sid, line(headcount=0), field=new_field("headcount"))
        self.assert_error(InvalidInput, add, sid, line(headcount=5000), field=new_field("headcount"))
        self.assert_error(InvalidInput, add, sid, line(effort_unit=mc.EffortUnit.HOURS, effort="25"),
                          field=new_field("hours"))
        self.assert_error(InvalidInput, add, sid, line(effort="4"), field=new_field("days"))
        self.assert_error(InvalidInput, add, sid, line(cost_code="99-999"), field=new_field("cost_code"))
        self.assert_error(InvalidInput, add, sid, line(activity="A-NOPE"), field=new_field("activity"))
        self.assert_error(InvalidInput, add, sid, line(trade="  "), field=new_field("trade"))
        self.assert_error(InvalidInput, add, sid, line(rate="-350"), field=new_field("rate"))
        self.assert_error(InvalidInput, add, sid, line(rate="350.00005"), field=new_field("rate"))
        self.assert_error(InvalidInput, add, sid,
                          line(headcount=1, workers=[mc.Worker(name="甲", id_number=None),
                                                     mc.Worker(name="乙", id_number=None)]),
                          field=new_field("workers"))
        # Every crew-line error names the field as `line.<field>`, whether parsing or validation refused it.
        self.assert_error(InvalidInput, add, sid, line(rate="350,00"), field="line.rate")
        self.assert_error(InvalidInput, add, sid, line(effort="1e1"), field="line.days")
        self.assert_error(InvalidInput, add, sid, line(effort_unit=mc.EffortUnit.HOURS, effort="NaN"),
                          field="line.hours")
        # Editing an existing line: same field names.
        k = 5
        self.assert_error(InvalidInput, s.update_crew_line, sid, lines[k].id, line(headcount=-3),
                          field="line.headcount")
        self.assert_error(InvalidInput, s.update_crew_line, sid, "", good, field="line_id")
        self.assert_error(mc.CoreError.NotFound, s.update_crew_line, sid, "no-such-line", good)
        self.assert_error(mc.CoreError.NotFound, add, "no-such-sheet", good)

        # Sheets and dates.
        far = str(TODAY + timedelta(days=730))
        new_sheet = lambda **kw: mc.NewLabourSheet(**{**dict(project_id="P1", site_id="S1", time_zone=TZ,
                                                             work_date=str(TODAY), currency=None, note=None), **kw})
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(work_date=far), field="work_date")
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(work_date=str(TODAY + timedelta(days=2))),
                          field="work_date")
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(work_date="1999-12-31"), field="work_date")
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(work_date="2024/05/01"), field="work_date")
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(time_zone="Mars/Olympus"),
                          field="time_zone")
        self.assert_error(InvalidInput, s.create_labour_sheet, new_sheet(currency="RMB"), field="currency")
        self.assert_error(InvalidInput, s.update_labour_sheet, sid, far, None, field="work_date")
        self.assert_error(InvalidInput, s.start_sheet_from, sid, far, field="work_date")

        # Expenses.
        eid = self.expenses[1][0]
        exp = lambda **kw: mc.ExpenseInput(**{**dict(date=str(TODAY), amount="35.00", currency=None,
                                                     category="meals", vendor="老王快餐", cost_code="01-500",
                                                     note=None), **kw})
        for amount in ["12,34", "1e5", "NaN", "12.345", "-5", "0", "", "¥35", "1 000"]:
            self.assert_error(InvalidInput, s.create_expense, place, exp(amount=amount), field="amount")
            self.assert_error(InvalidInput, s.update_expense, eid, exp(amount=amount), field="amount")
        self.assert_error(InvalidInput, s.create_expense, place, exp(amount="1200.5", currency="JPY"),
                          field="amount")
        self.assert_error(InvalidInput, s.create_expense, place, exp(cost_code="99-999"), field="cost_code")
        self.assert_error(InvalidInput, s.create_expense, place, exp(category="beer"), field="category")
        self.assert_error(InvalidInput, s.create_expense, place, exp(date=far), field="date")
        self.assert_error(InvalidInput, s.update_expense, eid, exp(date=far), field="date")

        # Progress.
        prog = lambda **kw: mc.ProgressInput(**{**dict(date=str(TODAY), activity="A-POUR-L3",
                                                       measure=mc.ProgressMeasure.PERCENT(percent="50"),
                                                       caption=None), **kw})
        self.assert_error(InvalidInput, s.create_progress_report, place, prog(activity="A-NOPE"), field="activity")
        self.assert_error(InvalidInput, s.create_progress_report, place,
                          prog(measure=mc.ProgressMeasure.PERCENT(percent="101")), field="percent")
        self.assert_error(InvalidInput, s.create_progress_report, place,
                          prog(measure=mc.ProgressMeasure.QUANTITY(installed="12,5", unit="m3")), field="quantity")
        self.assert_error(InvalidInput, s.update_progress_report, self.report_ids[0], prog(activity="A-NOPE"),
                          field="activity")

        # Photos.
        rid = self.report_ids[0]
        no_ctx = mc.PhotoContext(captured_at_ms=None, location=None)
        attach = lambda record_id, path: run(s.attach_photo(record_id, path, no_ctx))
        e = self.assert_error(mc.CoreError.PhotoUnsupported, attach, rid, self.notes_path)
        self.assertIn("text file", e.reason)
        with open(self.jpeg_paths[2], "rb") as f:
            cut = self.write_photo("cut_off.jpg", f.read()[:600])
        self.assert_error(mc.CoreError.PhotoDamaged, attach, rid, cut)
        # A PNG header claiming 20000×20000 pixels: refused before decoding, with the sizes.
        bomb = self.write_photo("bomb.png", b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR"
                                + (20_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0]) + bytes(8) + b"IEND"
                                + bytes([0xAE, 0x42, 0x60, 0x82]))
        e = self.assert_error(mc.CoreError.PhotoTooLarge, attach, rid, bomb)
        self.assertEqual((e.width, e.height, e.max_pixels), (20_000, 20_000, 100_000_000))
        missing = os.path.join(self.photos_dir, "IMG_missing.jpg")
        e = self.assert_error(mc.CoreError.PhotoNotFound, attach, rid, missing)
        self.assertEqual(e.path, missing)
        self.assert_error(mc.CoreError.WrongKind, attach, sid, self.jpeg_paths[2])
        self.assert_error(mc.CoreError.NotFound, attach, "no-such-record", self.jpeg_paths[2])
        listener = RecordingListener()
        with self.assertRaises(mc.CoreError.PhotoNotFound):
            run(s.attach_photos(rid, [missing], listener))
        self.assertEqual(listener.calls, [])

        # Stopped by the app: a cancelled token stops attach_photos before the first photo.
        token = mc.CancelToken()
        token.cancel()
        with self.assertRaises(mc.CoreError.Cancelled):
            run(s.attach_photos(rid, [self.jpeg_paths[2]], listener, token))
        self.assertEqual(listener.calls, [])
        # A sync held by a server that never answers is cancelled from another thread, promptly.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        held = []
        threading.Thread(target=lambda: held.append(silent.accept()), daemon=True).start()
        token = mc.CancelToken()
        threading.Timer(0.3, token.cancel).start()
        started = time.monotonic()
        with self.assertRaises(mc.CoreError.Cancelled):
            run(s.sync(f"http://127.0.0.1:{silent.getsockname()[1]}", "flt_token", listener, token))
        self.assertLess(time.monotonic() - started, 10, "cancel() did not stop the sync promptly")
        self.assertTrue(token.is_cancelled())
        self.assertEqual(len(held), 1, "the sync had reached the server")
        self.assertEqual(listener.calls, [], "no round completed")
        silent.close()

        # Voided records cannot be edited.
        voided_e, voided_s = self.mistake_ids
        self.assert_error(mc.CoreError.RecordVoided, s.update_expense, voided_e, exp())
        self.assert_error(mc.CoreError.RecordVoided, s.void_record, voided_e, "again")
        self.assert_error(mc.CoreError.RecordVoided, attach, voided_e, self.jpeg_paths[2])
        self.assert_error(mc.CoreError.RecordVoided, add, voided_s, good)
        e = self.assert_error(mc.CoreError.RecordVoided, s.update_labour_sheet, voided_s, str(TODAY), "x")
        self.assertEqual(e.id, voided_s)
        self.assert_error(InvalidInput, s.void_record, eid, "   ", field="reason")

        # Wrong kinds and unknown ids.
        self.assert_error(mc.CoreError.WrongKind, s.get_expense, sid)
        self.assert_error(mc.CoreError.WrongKind, s.get_labour_sheet, eid)
        self.assert_error(mc.CoreError.NotFound, s.get_record, "no-such-record")
        self.assert_error(InvalidInput, s.list_records, mc.RecordFilter(kind=None, project_id=None, site_id=None,
                                                                         date_from="yesterday", date_to=None,
                                                                         include_voided=False), field="date_from")
        self.assert_error(InvalidInput, s.export_changes, sid, ["not-a-hash"], field="since")
        self.assert_error(InvalidInput, s.export_changes, sid, ["ab" * 32], field="since")
        self.assert_error(mc.CoreError.BadDocument, s.import_changes, "some-id", b"not automerge at all")

        after = self.snapshot(s)
        self.assertEqual(after, before, "bad input changed the store")
        self.assertEqual(self.media_files(), files_before, "bad input left files in the media folder")

    # ---------------------------------------------------------------------------------------------------------
    # 7. two phones, one sheet

    def test_07_two_phones_converge(self):
        a, sid = self.store, self.sheet_id
        self.__class__.dir_b = tempfile.mkdtemp(prefix="phone-b-", dir=SCRATCH)
        b = mc.FieldStore.open(os.path.join(self.dir_b, "fieldledger.db"), FOREMAN_B)
        self.__class__.store_b = b
        b.import_changes("reference:P1", self.reference_bytes)

        result = b.import_changes(sid, a.export_document(sid))
        self.assertEqual((result.id, result.kind, result.changed, result.conflict_count),
                         (sid, "labour_sheet", True, 0))
        self.assertEqual(b.get_labour_sheet(sid), a.get_labour_sheet(sid))
        base = a.heads(sid)
        self.assertEqual(sorted(b.heads(sid)), sorted(base))
        [row] = b.list_records(self.all_filter())
        self.assertEqual((row.id, row.author), (sid, FOREMAN_A), "the sheet keeps its author on phone B")

        lines = a.get_labour_sheet(sid).lines
        same, only_a, only_b = lines[0], lines[1], lines[2]
        head_a, head_b = same.headcount + 1, same.headcount + 4

        def edited(line, **change):
            kw = dict(trade=line.trade, crew=line.crew, headcount=line.headcount, effort_unit=line.effort_unit,
                      effort=line.effort, rate=line.rate, cost_code=line.cost_code, activity=line.activity,
                      note=line.note, workers=line.workers)
            kw.update(change)
            return mc.CrewLineInput(**kw)

        # Offline on both phones.
        a.update_crew_line(sid, same.id, edited(same, headcount=head_a))
        a.update_crew_line(sid, only_a.id, edited(only_a, effort="1.5" if only_a.effort_unit == mc.EffortUnit.DAYS
                                                   else "10.5", note="加班 overtime"))
        b.update_crew_line(sid, same.id, edited(same, headcount=head_b))
        b.update_crew_line(sid, only_b.id, edited(only_b, rate="52.00" if only_b.effort_unit == mc.EffortUnit.HOURS
                                                   else "410.00"))
        b_line = b.add_crew_line(sid, crew_input("普工", 2, mc.EffortUnit.DAYS, "1", "260.00", crew="李班组",
                                                 note="phone B added"))
        self.assertNotEqual(a.get_labour_sheet(sid), b.get_labour_sheet(sid))

        # Exchange changes both ways.
        from_a = a.export_changes(sid, base)
        from_b = b.export_changes(sid, base)
        ra = a.import_changes(sid, from_b)
        rb = b.import_changes(sid, from_a)
        self.assertEqual((ra.changed, ra.conflict_count, rb.changed, rb.conflict_count), (True, 1, True, 1))
        self.assertFalse(a.import_changes(sid, from_b).changed, "the same changes twice change nothing")

        sa, sb = a.get_labour_sheet(sid), b.get_labour_sheet(sid)
        self.assertEqual(sa, sb)
        self.assertEqual(sorted(a.heads(sid)), sorted(b.heads(sid)))
        merged = {l.id: l for l in sa.lines}
        self.assertIn(merged[same.id].headcount, (head_a, head_b))
        self.assertEqual(merged[only_a.id].note, "加班 overtime")
        self.assertIn(merged[only_b.id].rate, ("52.00", "410.00"))
        self.assertEqual(merged[b_line.id].note, "phone B added")
        self.assertEqual(len(sa.lines), len(lines) + 1)
        total = sum((Decimal(l.headcount) * Decimal(l.effort) * Decimal(l.rate) for l in sa.lines), Decimal(0))
        self.assertEqual(sa.total_cost, money(total))
        self.assertEqual(sa.total_headcount, sum(l.headcount for l in sa.lines))

        path = f"lines/{same.id}/headcount"
        for store in (a, b):
            conflicts = store.conflicts(sid)
            self.assertEqual(len(conflicts), 1, conflicts)
            self.assertEqual(conflicts[0].path, path)
            self.assertEqual(sorted(conflicts[0].values), sorted([str(head_a), str(head_b)]))
            self.assertEqual(conflicts[0].values[0], str(merged[same.id].headcount), "the value shown comes first")
            [row] = [r for r in store.list_records(self.all_filter()) if r.id == sid]
            self.assertEqual(row.conflict_count, 1)

        # The foreman on phone A keeps phone B's count.
        merged_heads = a.heads(sid)
        choice = a.conflicts(sid)[0].values.index(str(head_b))
        self.assert_error(mc.CoreError.InvalidInput, a.resolve_conflict, sid, path, 7, field=path)
        self.assert_error(mc.CoreError.InvalidInput, a.resolve_conflict, sid, f"lines/{only_a.id}/headcount", 0)
        a.resolve_conflict(sid, path, choice)
        self.assertEqual(a.conflicts(sid), [])
        self.assertEqual({l.id: l for l in a.get_labour_sheet(sid).lines}[same.id].headcount, head_b)

        rb = b.import_changes(sid, a.export_changes(sid, merged_heads))
        self.assertEqual((rb.changed, rb.conflict_count), (True, 0))
        self.assertEqual(b.conflicts(sid), [])
        ra = a.import_changes(sid, b.export_changes(sid, merged_heads))
        self.assertFalse(ra.changed, "phone B had nothing new")
        sa, sb = a.get_labour_sheet(sid), b.get_labour_sheet(sid)
        self.assertEqual(sa, sb)
        self.assertEqual(sorted(a.heads(sid)), sorted(b.heads(sid)))
        self.assertEqual({l.id: l for l in sb.lines}[same.id].headcount, head_b)
        for store in (a, b):
            [row] = [r for r in store.list_records(self.all_filter()) if r.id == sid]
            self.assertEqual((row.conflict_count, row.total, row.headcount, row.line_count),
                             (0, sa.total_cost, sa.total_headcount, len(sa.lines)))

    # ---------------------------------------------------------------------------------------------------------
    # 8. voiding an expense

    def test_08_void_an_expense(self):
        s = self.store
        eid, inp = self.expenses[5]
        s.void_record(eid, "重复录入 entered twice")
        self.voided_ids.add(eid)
        e = s.get_expense(eid)
        self.assertIsNotNone(e.info.voided)
        self.assertEqual((e.info.voided.reason, e.info.voided.by), ("重复录入 entered twice", FOREMAN_A))
        self.assertLessEqual(abs(e.info.voided.at_ms - now_ms()), 60_000)
        self.assertEqual(e.amount, money(inp.amount), "a voided record keeps its content")

        live = s.list_records(self.all_filter(kind=mc.RecordKind.EXPENSE))
        every = s.list_records(self.all_filter(kind=mc.RecordKind.EXPENSE, include_voided=True))
        self.assertNotIn(eid, [r.id for r in live])
        self.assertEqual(len(live), 19)
        self.assertEqual(len(every), 21)
        self.assertEqual({r.id for r in every if r.voided}, self.voided_ids)
        self.assertEqual(sum((Decimal(r.total) for r in live), Decimal(0)), self.expense_sum())
        self.assertEqual(self.expense_sum(), Decimal("117169.97") - Decimal("0.50"))

    # ---------------------------------------------------------------------------------------------------------
    # 9. close and reopen

    def test_09_reopen(self):
        s = self.store
        before = self.snapshot(s)
        self.assertEqual(len(before["rows"]), 1 + 3 + 21 + 3 + 1)  # sheets S1, S2 ×3, expenses, reports, voided sheet
        self.assertEqual(len(before["pending"]), 9)
        s.close()
        s.close()  # closing twice is harmless
        self.assert_error(mc.CoreError.Closed, s.list_records, self.all_filter())
        self.assert_error(mc.CoreError.Closed, s.get_labour_sheet, self.sheet_id)
        self.store_b.close()

        reopened = mc.FieldStore.open(self.path_a, FOREMAN_A)
        self.__class__.store = reopened
        after = self.snapshot(reopened)
        self.assertEqual(after, before)
        seen = 0
        for record_id in after["records"]:
            record = reopened.get_record(record_id)
            photos = record.report.photos if isinstance(record, mc.AnyRecord.PROGRESS_REPORT) else (
                record.expense.receipts if isinstance(record, mc.AnyRecord.EXPENSE) else [])
            for p in photos:
                self.assertTrue(os.path.getsize(p.thumbnail_path) > 0 and os.path.getsize(p.preview_path) > 0)
                self.assertEqual(os.path.exists(os.path.join(self.path_a + ".media", "originals", p.sha256)),
                                 p.sha256 != self.uploaded_sha)
                seen += 1
        self.assertEqual(seen, 4 + 1 + 2 + 1 + 2 + 1 + 1, "photos on reports and receipts")
        sheet = reopened.get_labour_sheet(self.sheet_id)
        self.assertEqual(len(sheet.lines), 50)
        # Still writable, with the same actor: a new line merges like any other.
        line = reopened.add_crew_line(self.sheet_id, crew_input("瓦工", 2, mc.EffortUnit.DAYS, "1", "350.00"))
        self.assertEqual(line.position, 51)
        self.assertEqual(reopened.get_labour_sheet(self.sheet_id).total_headcount, sheet.total_headcount + 2)
        reopened.close()

    def test_10_batch_day(self):
        """The quick way through a day: the site's zone from the reference data, last sheet copied, every
        change in one call, hours at a day rate costed exactly."""
        s = mc.FieldStore.open(os.path.join(self.dir_a, "batch.db"), FOREMAN_A)
        s.import_changes("reference:P1", mc.reference_document(reference()))
        y = s.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", work_date=str(YESTERDAY),
                                                    currency=None, note=None))
        self.assertEqual(y.info.time_zone, TZ, "taken from the reference data")
        adds = [mc.CrewLineChange.ADD(line=crew_input(t, 4, mc.EffortUnit.HOURS, "8", TRADES[t][0]))
                for t in TRADES]
        for c in adds:
            c.line.rate_unit = mc.EffortUnit.DAYS
        y = s.set_crew_lines(y.info.id, adds)
        self.assertEqual([l.rate_unit for l in y.lines], [mc.EffortUnit.DAYS] * len(TRADES))

        last = s.last_labour_sheet("P1", "S1")
        self.assertEqual(last.info.id, y.info.id)
        today = s.start_sheet_from_latest("P1", "S1", str(TODAY))
        ids = [l.id for l in today.lines]
        changes = [
            mc.CrewLineChange.EDIT(line_id=ids[0], patch=mc.CrewLinePatch(headcount=6)),
            mc.CrewLineChange.EDIT(line_id=ids[1], patch=mc.CrewLinePatch(effort="9.5", note="加班")),
            mc.CrewLineChange.REMOVE(line_id=ids[2]),
        ]
        today = s.set_crew_lines(today.info.id, changes)
        self.assertEqual(len(today.lines), len(TRADES) - 1)
        day_rate = Decimal(TRADES[today.lines[1].trade][0])
        self.assertEqual(today.lines[1].cost, money(4 * Decimal("9.5") * day_rate / 8), "hours at a day rate")
        self.assertEqual(today.lines[0].cost, money(6 * 8 * Decimal(TRADES[today.lines[0].trade][0]) / 8))
        self.assertEqual(today.total_cost, money(sum(Decimal(l.cost) for l in today.lines)))
        self.assertEqual(s.find_labour_sheet("P1", "S1", str(TODAY)).info.id, today.info.id)
        self.assertIsNone(s.find_labour_sheet("P1", "S2", str(TODAY)))

        self.assert_error(mc.CoreError.InvalidInput, s.set_crew_lines, today.info.id,
                          [mc.CrewLineChange.EDIT(line_id=ids[0], patch=mc.CrewLinePatch(headcount=0))],
                          field="changes[0].headcount")
        self.assertEqual(s.get_labour_sheet(today.info.id), today, "a refused batch changes nothing")
        self.assertEqual([c.code for c in s.expense_categories("P1")], mc.expense_categories())
        s.close()

    def test_11_wage_advance_and_roster(self):
        """An advance handed out on site, with the signed slip photographed, for a worker picked from the roster;
        a crew line naming roster workers; bad advances refused with the field named, the store unchanged."""
        s = mc.FieldStore.open(os.path.join(self.dir_a, "advance.db"), FOREMAN_A)
        ref = reference()
        ref.workers = [
            mc.RosterWorker(id="W-0007", name="王强", crew="王强班组", trade="木工"),
            mc.RosterWorker(id="W-0008", name="刘军", crew="王强班组", trade=None),
        ]
        s.import_changes("reference:P1", mc.reference_document(ref))
        roster = s.roster("P1")
        self.assertEqual([(w.id, w.name, w.trade) for w in roster],
                         [("W-0007", "王强", "木工"), ("W-0008", "刘军", None)])
        self.assertEqual(s.reference_data("P1").workers, roster)
        picked = roster[0]
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=None)

        def advance_input(amount="800", reason="家里急用 family emergency", worker_id=picked.id):
            return mc.WageAdvanceInput(date=str(TODAY), worker=mc.Worker(name=picked.name, id_number=None,
                                                                         worker_id=worker_id),
                                       crew=picked.crew, amount=amount, currency=None, reason=reason, note=None)

        adv = s.create_wage_advance(place, advance_input())
        self.assertEqual((adv.amount, adv.currency, adv.worker.worker_id, adv.crew, adv.slips),
                         ("800.00", "CNY", "W-0007", "王强班组", []))
        self.assertEqual(adv.info.time_zone, TZ)
        slip_path = self.write_photo("借支单_王强.jpg", jpeg_bytes(240, 320, site_picture(21), quality=85))
        t0 = now_ms()
        slip = run(s.attach_photo(adv.info.id, slip_path, mc.PhotoContext(captured_at_ms=None, location=None)))
        with open(slip_path, "rb") as f:
            self.assertEqual(slip.sha256, hashlib.sha256(f.read()).hexdigest())
        self.assertEqual((slip.width, slip.height, slip.mime), (240, 320, "image/jpeg"))
        self.assertTrue(t0 <= slip.captured_at_ms <= now_ms())
        self.assertTrue(os.path.isfile(slip.thumbnail_path), "the slip's thumbnail is kept")
        got = s.get_wage_advance(adv.info.id)
        self.assertEqual(got.slips, [slip])
        self.assertIsInstance(s.get_record(adv.info.id), mc.AnyRecord.WAGE_ADVANCE)
        self.assertIn(slip.sha256, [p.sha256 for p in s.pending_uploads()], "the slip waits for upload")
        edited = s.update_wage_advance(adv.info.id, advance_input(amount="750.5"))
        self.assertEqual((edited.amount, edited.slips), ("750.50", [slip]), "an edit keeps the slip")

        sheet = s.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", work_date=str(TODAY),
                                                        currency=None, note=None))
        named = [mc.Worker(name=w.name, id_number=None, worker_id=w.id) for w in roster]
        named.append(mc.Worker(name="新来的 new hand", id_number=None, worker_id=None))
        line = s.add_crew_line(sheet.info.id, crew_input("木工", 3, mc.EffortUnit.DAYS, "1", "380.00",
                                                         crew="王强班组", workers=named))
        self.assertEqual([(w.name, w.worker_id) for w in line.workers],
                         [("王强", "W-0007"), ("刘军", "W-0008"), ("新来的 new hand", None)])

        before = self.snapshot_of(s)
        self.assert_error(mc.CoreError.InvalidInput, s.create_wage_advance, place, advance_input(amount="0"),
                          field="amount")
        self.assert_error(mc.CoreError.InvalidInput, s.create_wage_advance, place, advance_input(reason="  "),
                          field="reason")
        self.assert_error(mc.CoreError.InvalidInput, s.create_wage_advance, place,
                          advance_input(worker_id="W-9999"), field="worker.worker_id")
        self.assert_error(mc.CoreError.InvalidInput, s.add_crew_line, sheet.info.id,
                          crew_input("木工", 1, mc.EffortUnit.DAYS, "1", "380.00",
                                     workers=[mc.Worker(name="王强", id_number=None, worker_id="W-9999")]),
                          field="line.workers[0].worker_id")
        self.assertEqual(self.snapshot_of(s), before, "refused input changes nothing")

        rows = s.list_records(self.all_filter(kind=mc.RecordKind.WAGE_ADVANCE))
        self.assertEqual([(r.id, r.kind, r.total) for r in rows], [(adv.info.id, mc.RecordKind.WAGE_ADVANCE, "750.50")])
        s.close()

    def test_12_observation(self):
        """A safety issue seen on site, photographed, with the phone's GPS fix; open until the office follows it
        up; bad observations refused with the field named, the store unchanged."""
        s = mc.FieldStore.open(os.path.join(self.dir_a, "observation.db"), FOREMAN_A)
        s.import_changes("reference:P1", mc.reference_document(reference()))
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=None)

        def obs_input(title="3#楼5层临边无防护 open edge", latitude=31.2304, activity="A-POUR-L3"):
            return mc.ObservationInput(date=str(TODAY), category=mc.ObservationCategory.SAFETY,
                                       severity=mc.Severity.HIGH, title=title, description="东侧护栏缺失约6米",
                                       place="3#楼5层东侧",
                                       gps=mc.GeoPoint(latitude=latitude, longitude=121.4737, accuracy_m=8.5),
                                       activity=activity)

        obs = s.create_observation(place, obs_input())
        self.assertEqual((obs.category, obs.severity, obs.info.time_zone, obs.photos),
                         (mc.ObservationCategory.SAFETY, mc.Severity.HIGH, TZ, []))
        path = self.write_photo("临边_5F.jpg", jpeg_bytes(320, 240, site_picture(22), quality=85))
        photo = run(s.attach_photo(obs.info.id, path, mc.PhotoContext(captured_at_ms=None, location=None)))
        with open(path, "rb") as f:
            self.assertEqual(photo.sha256, hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(s.get_observation(obs.info.id).photos, [photo])
        self.assertIsInstance(s.get_record(obs.info.id), mc.AnyRecord.OBSERVATION)
        edited = s.update_observation(obs.info.id, obs_input(title="3#楼5层临边防护不全"))
        self.assertEqual((edited.title, edited.photos), ("3#楼5层临边防护不全", [photo]), "an edit keeps the photo")

        status = s.observation_status(obs.info.id)
        self.assertEqual((status.state, status.assignee, status.due, status.resolution, status.risk_id, status.events),
                         (mc.FollowUpState.OPEN, None, None, None, None, []))

        before = self.snapshot_of(s)
        self.assert_error(mc.CoreError.InvalidInput, s.create_observation, place, obs_input(title=" "), field="title")
        self.assert_error(mc.CoreError.InvalidInput, s.create_observation, place, obs_input(latitude=91.0),
                          field="gps.latitude")
        self.assert_error(mc.CoreError.InvalidInput, s.create_observation, place, obs_input(activity="A-NOPE"),
                          field="activity")
        self.assert_error(mc.CoreError.InvalidInput, mc.parse_observation_category, "category", "weather",
                          field="category")
        self.assertEqual(self.snapshot_of(s), before, "refused input changes nothing")

        rows = s.list_records(self.all_filter(kind=mc.RecordKind.OBSERVATION))
        self.assertEqual([(r.id, r.subject, r.photo_count) for r in rows],
                         [(obs.info.id, "3#楼5层临边防护不全", 1)])
        s.close()

    def test_13_day_log(self):
        """The day's log: weather morning and afternoon, temperatures, a visitor and a delay; last_weather gives it
        back to prefill tomorrow's; one per site and day; bad input refused with the field named, nothing stored."""
        s = mc.FieldStore.open(os.path.join(self.dir_a, "day_log.db"), FOREMAN_A)
        s.import_changes("reference:P1", mc.reference_document(reference()))
        place = mc.RecordPlace(project_id="P1", site_id="S1", time_zone=None)

        def log_input(low="-3.5", hours="1.5", visitor="监理王工"):
            return mc.DayLogInput(
                date=str(TODAY), weather_am=mc.WeatherCondition.SUNNY, weather_pm=mc.WeatherCondition.LIGHT_RAIN,
                temp_low_c=low, temp_high_c="8", notes="3#楼5层顶板浇筑完成",
                visitors=[mc.VisitorInput(id=None, name=visitor, organisation="监理公司", purpose="钢筋隐蔽验收")],
                delays=[mc.DelayInput(id=None, cause=mc.DelayCause.WEATHER, hours=hours, description="下午小雨停工")])

        log = s.create_day_log(place, log_input())
        self.assertEqual((log.weather_am, log.weather_pm, log.temp_low_c, log.temp_high_c, log.info.time_zone),
                         (mc.WeatherCondition.SUNNY, mc.WeatherCondition.LIGHT_RAIN, "-3.5", "8", TZ))
        self.assertEqual([(v.name, v.organisation) for v in log.visitors], [("监理王工", "监理公司")])
        self.assertEqual([(d.cause, d.hours) for d in log.delays], [(mc.DelayCause.WEATHER, "1.5")])
        self.assertTrue(log.visitors[0].id and log.delays[0].id, "new entries get ids")
        self.assertIsInstance(s.get_record(log.info.id), mc.AnyRecord.DAY_LOG)
        self.assertEqual(s.day_log_for("P1", "S1", str(TODAY)), log)

        weather = s.last_weather("P1", "S1")
        self.assertEqual((weather.record_id, weather.date, weather.weather_am, weather.weather_pm,
                          weather.temp_low_c, weather.temp_high_c),
                         (log.info.id, str(TODAY), mc.WeatherCondition.SUNNY, mc.WeatherCondition.LIGHT_RAIN,
                          "-3.5", "8"))

        before = self.snapshot_of(s)
        self.assert_error(mc.CoreError.InvalidInput, s.create_day_log, place, log_input(), field="date")
        self.assert_error(mc.CoreError.InvalidInput, s.update_day_log, log.info.id, log_input(low="-60"),
                          field="temp_low_c")
        self.assert_error(mc.CoreError.InvalidInput, s.update_day_log, log.info.id, log_input(hours="25"),
                          field="delays[0].hours")
        self.assert_error(mc.CoreError.InvalidInput, s.update_day_log, log.info.id, log_input(visitor=" "),
                          field="visitors[0].name")
        self.assert_error(mc.CoreError.InvalidInput, mc.parse_weather_condition, "weather_am", "drizzle",
                          field="weather_am")
        self.assertEqual(self.snapshot_of(s), before, "refused input changes nothing")
        self.assertEqual(s.get_day_log(log.info.id), log)

        rows = s.list_records(self.all_filter(kind=mc.RecordKind.DAY_LOG))
        self.assertEqual([(r.id, r.subject, r.headcount, r.line_count) for r in rows],
                         [(log.info.id, "sunny / light_rain", 1, 1)])
        s.close()

    @staticmethod
    def snapshot_of(store):
        rows = store.list_records(mc.RecordFilter(kind=None, project_id=None, site_id=None, date_from=None,
                                                  date_to=None, include_voided=True))
        return plain({"rows": rows, "records": {r.id: store.get_record(r.id) for r in rows},
                      "pending": store.pending_uploads()})


if __name__ == "__main__":
    unittest.main(failfast=True, verbosity=2)
