"""The app's own HTTP carries every request of the phone core (FieldStore.open_with_http), from Python.

Run by tests/tests/python_transport.rs, which starts the server and passes FIELDLEDGER_URL, the admin token of P1
(FIELDLEDGER_ADMIN_P1) and FIELDLEDGER_SCRATCH_DIR. Exits non-zero on the first failure.

The store is given a transport written on urllib (the standard library), as an app gives its platform's HTTP
(Android HttpURLConnection, iOS URLSession). Through it the phone pairs with a code, records a sheet and a progress
report with a real JPEG, syncs (documents, then the photo over tus: POST, PATCH), and fetches the day's report PDF;
the server holds the sheet and the photo, and every request went through the transport and named the app. Then a
transport that raises (no signal; and an unexpected exception): the sync fails with CoreError.Offline carrying the
reason, and nothing the store holds changes.
"""

import asyncio
import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import mobile_core as mc
from _images import jpeg_bytes, site_picture
from _live import URL, call, check

ADMIN = os.environ["FIELDLEDGER_ADMIN_P1"]
SCRATCH = os.environ["FIELDLEDGER_SCRATCH_DIR"]
TZ = "Asia/Shanghai"
TODAY = str(datetime.now(timezone(timedelta(hours=8))).date())


class UrllibTransport(mc.HttpTransport):
    """An app's HTTP: sends what the core asks, answers every status, raises only when the server is not reached."""

    def __init__(self):
        self.seen = []

    def send(self, request):
        headers = {h.name: h.value for h in request.headers}
        self.seen.append((request.method, urllib.parse.urlsplit(request.url).path, headers))
        # POST and PATCH carry their body even when empty (tus creates an upload with Content-Length: 0).
        data = request.body if request.body or request.method in ("POST", "PATCH") else None
        req = urllib.request.Request(request.url, data=data, method=request.method, headers=headers)
        try:
            try:
                answer = urllib.request.urlopen(req, timeout=request.timeout_ms / 1000)
            except urllib.error.HTTPError as e:
                answer = e  # 4xx and 5xx are answers: the core reads them
            with answer:
                body = answer.read(request.max_response_bytes + 1)
                if len(body) > request.max_response_bytes:
                    raise mc.HttpError.TooLarge(limit_bytes=request.max_response_bytes)
                return mc.HttpResponse(status=answer.status,
                                       headers=[mc.HttpHeader(name=k, value=v) for k, v in answer.headers.items()],
                                       body=body)
        except (urllib.error.URLError, OSError) as e:
            raise mc.HttpError.Offline(reason=str(e))


class NoSignal(mc.HttpTransport):
    def __init__(self):
        self.calls = 0

    def send(self, request):
        self.calls += 1
        raise mc.HttpError.Offline(reason="no signal in the basement")


class Broken(mc.HttpTransport):
    def send(self, request):
        raise RuntimeError("the app's HTTP client crashed")


def crew(headcount):
    return mc.CrewLineInput(trade="木工", crew=None, headcount=headcount, effort_unit=mc.EffortUnit.HOURS, effort="8",
                            rate="47.50", cost_code="03-100", activity=None, note=None, workers=[])


# The admin adds the foreman and makes a pairing code (the test's own requests, not the phone's).
status, added = call("POST", "/v1/people", ADMIN, {"name": "王建国", "phone": "13900001111", "role": "foreman"})
check(status == 201, f"person added: {added}")
person = json.loads(added)["person"]["id"]
status, made = call("POST", "/v1/pairing-codes", ADMIN, {"person_id": person})
check(status == 201, f"pairing code made: {made}")
code = json.loads(made)["code"]

http = UrllibTransport()
path = os.path.join(SCRATCH, "phone.db")
phone = mc.FieldStore.open_with_http(path, "王建国", http)
paired = asyncio.run(phone.pair(URL, code, "王建国的手机"))
check([p.project_id for p in paired.projects] == ["P1"], f"paired through the app's HTTP: {paired.projects}")
check([(m, p) for m, p, _ in http.seen] == [("POST", "/v1/pair")], f"the pairing went through it: {http.seen}")

sheet = phone.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", time_zone=TZ, work_date=TODAY,
                                                    currency=None, note="L3 slab"))
phone.add_crew_line(sheet.info.id, crew(6))
report = phone.create_progress_report(
    mc.RecordPlace(project_id="P1", site_id="S1", time_zone=TZ),
    mc.ProgressInput(date=TODAY, activity="A-POUR-L3", measure=mc.ProgressMeasure.PERCENT(percent="45"),
                     caption="pour half done"))
photo_path = os.path.join(SCRATCH, "IMG_0001.jpg")
with open(photo_path, "wb") as f:
    f.write(jpeg_bytes(640, 480, site_picture(2), quality=90))
photo = asyncio.run(phone.attach_photo(report.info.id, photo_path, mc.PhotoContext(captured_at_ms=None, location=None)))
check(phone.unsynced() == mc.Unsynced(records=2, photos=1), f"before sync: {phone.unsynced()}")

reports = asyncio.run(phone.sync_all(None, None))
check([r.project_id for r in reports] == ["P1"], f"P1 synced: {reports}")
r = reports[0].report
check(r.errors == [] and r.documents_sent >= 2, f"the records went out: {r}")
check(r.photos_uploaded == 1, f"the photo went up: {r}")
check(phone.unsynced() == mc.Unsynced(records=0, photos=0), f"nothing left unsynced: {phone.unsynced()}")
methods = {(m, p.rsplit("/", 1)[0] if p.startswith("/v1/uploads/") else p) for m, p, _ in http.seen}
for expected in [("POST", "/v1/sync"), ("POST", "/v1/uploads"), ("PATCH", "/v1/uploads")]:
    check(expected in methods, f"{expected[0]} {expected[1]} went through the app's HTTP: {sorted(methods)}")
check(all(h.get("Fieldledger-App", "").startswith("fieldledger-mobile-core/") for _, _, h in http.seen),
      "every request names the app")
check(all(h.get("Authorization", "").startswith("Bearer flt_") for _, p, h in http.seen if p != "/v1/pair"),
      "every request after pairing carries the project's token")

status, body = call("GET", f"/v1/records/{sheet.info.id}", ADMIN)
check(status == 200 and "L3 slab" in body.decode(), f"the server holds the sheet ({status})")
status, body = call("GET", f"/v1/blobs/{photo.sha256}", ADMIN)
check(status == 200 and hashlib.sha256(body).hexdigest() == photo.sha256, f"the server holds the photo ({status})")

# A GET with a binary answer: the day's report PDF, kept on the phone.
pdf = asyncio.run(phone.fetch_daily_report("P1", "S1", TODAY, mc.ReportLang.ZH_CN, None))
with open(pdf.path, "rb") as f:
    kept = f.read()
check(kept.startswith(b"%PDF-") and len(kept) == pdf.byte_size == pdf.downloaded_bytes,
      f"the report PDF came through the app's HTTP ({pdf.byte_size} bytes)")
check(http.seen[-1][0] == "GET" and http.seen[-1][1].startswith("/v1/daily-reports/S1/"), f"{http.seen[-1][:2]}")
again = asyncio.run(phone.fetch_daily_report("P1", "S1", TODAY, mc.ReportLang.ZH_CN, None))
check(again.not_modified and "If-None-Match" in http.seen[-1][2], "asked again: 304 on the kept ETag")
phone.close()

# No signal: the transport raises; the sync is Offline with its reason, and the store is as it was.
no_signal = NoSignal()
phone = mc.FieldStore.open_with_http(path, "王建国", no_signal)
phone.add_crew_line(sheet.info.id, crew(3))
before = (phone.unsynced(), phone.get_labour_sheet(sheet.info.id), phone.pending_uploads())
check(before[0] == mc.Unsynced(records=1, photos=0), f"one edit waits: {before[0]}")
try:
    asyncio.run(phone.sync_all(None, None))
    check(False, "a sync without signal fails")
except mc.CoreError.Offline as e:
    check("no signal in the basement" in str(e), f"Offline, with the transport's reason: {e}")
check(no_signal.calls == 1, f"the transport was asked once: {no_signal.calls}")
check((phone.unsynced(), phone.get_labour_sheet(sheet.info.id), phone.pending_uploads()) == before,
      "nothing the store holds changed")
phone.close()

# An exception the transport does not declare is Offline too (never a crash of the core).
phone = mc.FieldStore.open_with_http(path, "王建国", Broken())
try:
    asyncio.run(phone.sync_all(None, None))
    check(False, "a sync through a broken transport fails")
except mc.CoreError.Offline as e:
    check("crashed" in str(e), f"an undeclared exception is Offline: {e}")
check(phone.unsynced() == before[0], "nothing changed")
phone.close()

# And the transport brings the edit once the signal is back.
phone = mc.FieldStore.open_with_http(path, "王建国", UrllibTransport())
reports = asyncio.run(phone.sync_all(None, None))
check(reports[0].report.errors == [] and phone.unsynced() == mc.Unsynced(records=0, photos=0), "synced after all")
phone.close()
print("all transport checks passed")
