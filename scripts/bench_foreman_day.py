"""A foreman's day through the phone library's Python bindings, timed call by call.

The day (issue 26): copy yesterday's 20-crew sheet, change 5 headcounts and 2 hour entries, add a crew,
take 3 photos on a progress report, add 2 expenses, sync with a real server. Played two ways on fresh
phones, interleaved rep by rep so both see the same machine:

  lines    the single-line API (update_crew_line per changed line, attach_photo per photo), as apps
           had to before set_crew_lines: the "before" of the issue;
  batch    set_crew_lines for all line changes, attach_photos for the photos: the "after".

Reported per way: the number of calls into the core, and the median over the reps of the core's time
(every call but the photo calls and the sync), of the photo calls (decoding, thumbnail, preview: excluded
from the goal) and of the sync (documents and photo uploads to the server on this machine).

Run through scripts/bench-foreman-day.sh, which builds the library and the server and passes:
  --bindings DIR   the folder holding mobile_core.py and libmobile_core.so
  --server PATH    the fieldledger-server binary
"""

import argparse
import asyncio
import importlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "mobile-core", "tests", "bindings"))
from _images import jpeg_bytes, site_picture  # noqa: E402

SHANGHAI = timezone(timedelta(hours=8))  # no DST since 1991
TODAY = datetime.now(SHANGHAI).date()
YESTERDAY = TODAY - timedelta(days=1)
TRADES = [("木工", "380.00"), ("钢筋工", "400.00"), ("混凝土工", "360.00"), ("瓦工", "350.00"), ("普工", "260.00")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The real server on SQLite in a scratch folder, one project per played day."""

    def __init__(self, binary, scratch):
        self.binary = binary
        self.data = os.path.join(scratch, "server")
        os.makedirs(self.data)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [binary, "--data-dir", self.data, "--bind", self.url.removeprefix("http://")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def cli(self, *args):
        out = subprocess.run([self.binary, "--data-dir", self.data, *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()

    def project(self, project, scratch):
        tables = {
            "project": "name,currency\n滨江花园,CNY\n",
            "sites": "id,name,time_zone\nS1,一号楼,Asia/Shanghai\n",
            "cost_codes": "code,name\n03-100,模板\n03-200,钢筋\n01-500,零星用工\n",
            "activities": "id,name,planned_start,planned_finish\n"
            f"A-FORM-L3,三层模板,{TODAY - timedelta(days=30)},{TODAY + timedelta(days=60)}\n",
            "trades": "name,day_rate,hour_rate\n" + "".join(f"{t},{r},\n" for t, r in TRADES),
        }
        for table, text in tables.items():
            path = os.path.join(scratch, f"{project}-{table}.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.cli("reference", "import", "--project", project, "--table", table, path)
        return self.cli("token", "create", "--project", project, "--role", "foreman")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Clock:
    """Counts and times calls into the core, by group."""

    def __init__(self):
        self.calls = 0
        self.seconds = {"core": 0.0, "photos": 0.0, "sync": 0.0}

    def __call__(self, group, fn, *args):
        self.calls += 1
        started = time.perf_counter()
        result = fn(*args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        self.seconds[group] += time.perf_counter() - started
        return result


def quiet(mc):
    """A progress listener that shows nothing (the app would move a progress bar)."""

    class Quiet(mc.ProgressListener):
        def on_progress(self, done, total, item):
            pass

    return Quiet()


def crew(mc, i, headcount=None, hours="8"):
    trade, day_rate = TRADES[i % len(TRADES)]
    return mc.CrewLineInput(
        trade=trade,
        crew=f"{'王李张刘陈'[i % 5]}班组{i}",
        headcount=headcount if headcount is not None else 3 + i % 7,
        effort_unit=mc.EffortUnit.HOURS,
        effort=hours,
        rate=day_rate,
        rate_unit=mc.EffortUnit.DAYS,
        cost_code="03-100" if i % 2 else "03-200",
        activity=None,
        note=None,
        workers=[],
    )


def play(mc, way, server, photos, scratch, n):
    """One day on a fresh phone and project; returns the clock."""
    project = f"P{n}"
    token = server.project(project, scratch)
    phone = mc.FieldStore.open(os.path.join(scratch, f"phone-{n}.db"), "王建国")
    asyncio.run(phone.sync(server.url, token, None, None))  # the reference data
    place = mc.RecordPlace(project_id=project, site_id="S1", time_zone=None)
    # Yesterday, recorded and synced (not timed).
    y = phone.create_labour_sheet(
        mc.NewLabourSheet(project_id=project, site_id="S1", work_date=str(YESTERDAY), currency=None, note=None)
    )
    phone.set_crew_lines(y.info.id, [mc.CrewLineChange.ADD(line=crew(mc, i)) for i in range(20)])
    asyncio.run(phone.sync(server.url, token, None, None))

    clock = Clock()
    sheet = clock("core", phone.start_sheet_from_latest, project, "S1", str(TODAY))
    lines = sheet.lines
    changed = [(i, crew(mc, i, headcount=lines[i].headcount + 2)) for i in range(5)]
    changed += [(i, crew(mc, i, hours="9.5")) for i in (5, 6)]
    if way == "batch":
        changes = [mc.CrewLineChange.UPDATE(line_id=lines[i].id, line=inp) for i, inp in changed]
        changes.append(mc.CrewLineChange.ADD(line=crew(mc, 20)))
        sheet = clock("core", phone.set_crew_lines, sheet.info.id, changes)
    else:
        for i, inp in changed:
            clock("core", phone.update_crew_line, sheet.info.id, lines[i].id, inp)
        clock("core", phone.add_crew_line, sheet.info.id, crew(mc, 20))
    report = clock(
        "core",
        phone.create_progress_report,
        place,
        mc.ProgressInput(
            date=str(TODAY),
            activity="A-FORM-L3",
            measure=mc.ProgressMeasure.PERCENT(percent="40"),
            caption="三层模板",
        ),
    )
    expenses = [("1280.50", "materials", "五金店", "03-100", "扎丝、钉子"), ("460.00", "fuel", "中石化", "01-500", None)]
    for amount, category, vendor, code, note in expenses:
        expense = mc.ExpenseInput(
            date=str(TODAY), amount=amount, currency=None, category=category, vendor=vendor, cost_code=code, note=note
        )
        clock("core", phone.create_expense, place, expense)
    if way == "batch":
        clock("photos", phone.attach_photos, report.info.id, photos, quiet(mc))
    else:
        for p in photos:
            clock("photos", phone.attach_photo, report.info.id, p, mc.PhotoContext(captured_at_ms=None, location=None))
    result = clock("sync", phone.sync, server.url, token, None, None)
    if result.errors:
        raise RuntimeError(f"sync refused: {result.errors}")
    final = phone.get_labour_sheet(sheet.info.id)
    assert len(final.lines) == 21, len(final.lines)
    phone.close()
    return clock


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bindings", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--photo-size", default="1600x1200", help="WxH of the three photos (real JPEGs)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.bindings))
    mc = importlib.import_module("mobile_core")

    scratch = tempfile.mkdtemp(prefix="foreman-day-")
    w, h = (int(x) for x in args.photo_size.split("x"))
    photos = []
    for k in range(3):
        path = os.path.join(scratch, f"photo-{k}.jpg")
        with open(path, "wb") as f:
            f.write(jpeg_bytes(w, h, site_picture(k)))
        photos.append(path)
    server = Server(args.server, scratch)
    runs = {"lines": [], "batch": []}
    try:
        n = 0
        for _ in range(args.reps):
            for way in ("lines", "batch"):
                n += 1
                runs[way].append(play(mc, way, server, photos, scratch, n))
    finally:
        server.stop()

    figures = {}
    print(f"A foreman's day through the Python bindings, {args.reps} reps each, medians (ms):")
    print(f"{'way':<7} {'calls':>5} {'core':>8} {'photos':>8} {'sync':>8}")
    for way, clocks in runs.items():
        med = {g: statistics.median(c.seconds[g] for c in clocks) * 1000 for g in ("core", "photos", "sync")}
        calls = clocks[0].calls
        figures[way] = {"calls": calls, **{f"{g}_ms": round(v, 1) for g, v in med.items()}}
        print(f"{way:<7} {calls:>5} {med['core']:>8.1f} {med['photos']:>8.1f} {med['sync']:>8.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
