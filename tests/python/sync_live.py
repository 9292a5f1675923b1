"""Two phones sync through the real server, from Python (the phone core's UniFFI bindings).

Run by tests/tests/python_sync.rs, which starts the server and passes FIELDLEDGER_URL, FIELDLEDGER_TOKEN_A,
FIELDLEDGER_TOKEN_B (two devices of project P1) and FIELDLEDGER_SCRATCH_DIR. Exits non-zero on the first failure.

Steps: A records a labour sheet and a progress report with a real JPEG; A's sync is cancelled from another thread
while a server that never answers holds it (CancelToken: CoreError.Cancelled, nothing changed); A syncs (documents,
then the photo over tus); B syncs and sees the sheet; both edit offline and converge, though A's sync is stopped by
a listener that throws after round 1 (CoreError.ListenerFailed; round 1 stays done); the server serves the photo and its thumbnail to
B's token; nothing is left unsynced; A signs out (wipe(false)).
"""

import asyncio
import hashlib
import json
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import mobile_core as mc
from _images import jpeg_bytes, site_picture
from _live import URL, call, call_json, check

TOKEN_A = os.environ["FIELDLEDGER_TOKEN_A"]
TOKEN_B = os.environ["FIELDLEDGER_TOKEN_B"]
TOKEN_SUP = os.environ["FIELDLEDGER_TOKEN_SUP"]
SCRATCH = os.environ["FIELDLEDGER_SCRATCH_DIR"]
TZ = "Asia/Shanghai"
TODAY = str(datetime.now(timezone(timedelta(hours=8))).date())


def sync(store, token):
    report = asyncio.run(store.sync(URL, token, None, None))
    check(report.errors == [], f"sync without errors: {report.errors}")
    return report


def crew(headcount):
    return mc.CrewLineInput(trade="木工", crew=None, headcount=headcount, effort_unit=mc.EffortUnit.HOURS, effort="8",
                            rate="47.50", cost_code="03-100", activity=None, note=None, workers=[])


class StopAfterRound1(mc.ProgressListener):
    """The app's listener fails (e.g. its screen is gone): the sync stops with ListenerFailed."""

    def __init__(self):
        self.heard = []

    def on_progress(self, done, total, item):
        self.heard.append(item)
        raise mc.ProgressError.Failed("the sync screen was closed")


a = mc.FieldStore.open(os.path.join(SCRATCH, "a.db"), "王工长")
b = mc.FieldStore.open(os.path.join(SCRATCH, "b.db"), "李工长")

sheet = a.create_labour_sheet(mc.NewLabourSheet(project_id="P1", site_id="S1", time_zone=TZ, work_date=TODAY,
                                                currency=None, note="L3 slab"))
sid = sheet.info.id
l1 = a.add_crew_line(sid, crew(6))
l2 = a.add_crew_line(sid, crew(3))
report = a.create_progress_report(mc.RecordPlace(project_id="P1", site_id="S1", time_zone=TZ), mc.ProgressInput(
    date=TODAY, activity="A-POUR-L3", measure=mc.ProgressMeasure.PERCENT(percent="45"), caption="pour half done"))
photo_path = os.path.join(SCRATCH, "IMG_0001.jpg")
with open(photo_path, "wb") as f:
    f.write(jpeg_bytes(640, 480, site_picture(2), quality=90))
photo = asyncio.run(a.attach_photo(report.info.id, photo_path, mc.PhotoContext(captured_at_ms=None, location=None)))
check(a.unsynced() == mc.Unsynced(records=2, photos=1), f"before sync: {a.unsynced()}")
try:
    a.wipe(False)
    check(False, "wipe with unsynced work is refused")
except mc.CoreError.UnsyncedData:
    check(True, "wipe with unsynced work is refused")

# A server that accepts the connection and never answers: the app cancels from another thread, and the sync
# answers Cancelled at once (not after the request timeout), changing nothing.
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)
held = []
threading.Thread(target=lambda: held.extend(silent.accept() for _ in range(1)), daemon=True).start()
token = mc.CancelToken()
check(not token.is_cancelled(), "a new token is not cancelled")
threading.Timer(0.5, token.cancel).start()
started = time.monotonic()
try:
    asyncio.run(a.sync(f"http://127.0.0.1:{silent.getsockname()[1]}", TOKEN_A, None, token))
    check(False, "a cancelled sync fails")
except mc.CoreError.Cancelled:
    took = time.monotonic() - started
    check(took < 10, f"the cancelled sync answered in {took:.1f} s")
check(token.is_cancelled(), "the token stays cancelled")
check(len(held) == 1, "the sync had reached the silent server")
check(a.unsynced() == mc.Unsynced(records=2, photos=1), f"a cancelled sync changed nothing: {a.unsynced()}")


r = sync(a, TOKEN_A)
check(r.documents_sent >= 2, f"A sent its documents: {r}")
check(r.photos_uploaded == 1, f"A uploaded its photo: {r}")
check(a.unsynced() == mc.Unsynced(records=0, photos=0), f"A has nothing unsynced: {a.unsynced()}")
check(a.pending_uploads() == [], "no pending uploads")

sync(b, TOKEN_B)
check(b.get_labour_sheet(sid) == a.get_labour_sheet(sid), "B has A's sheet")
check([p.sha256 for p in b.get_progress_report(report.info.id).photos] == [photo.sha256], "B has the photo reference")

# Offline edits on both phones converge.
a.update_crew_line(sid, l1.id, crew(7))
b.update_crew_line(sid, l2.id, crew(4))
stop = StopAfterRound1()
try:
    asyncio.run(a.sync(URL, TOKEN_A, stop, None))
    check(False, "a failing listener stops the sync")
except mc.CoreError.ListenerFailed as e:
    check("the sync screen was closed" in str(e), f"the listener's reason is kept: {e}")
check(len(stop.heard) == 1 and stop.heard[0].startswith("round 1:"), f"stopped after round 1: {stop.heard}")

# B gets A's edit although A's sync stopped: round 1 (A's edit to the server) stays done.
for store, token in [(b, TOKEN_B), (a, TOKEN_A)]:
    sync(store, token)
sa, sb = a.get_labour_sheet(sid), b.get_labour_sheet(sid)
check(sa == sb, "the phones converged")
check(sorted(l.headcount for l in sa.lines) == [4, 7], f"both edits kept: {[l.headcount for l in sa.lines]}")

# The server serves the original and the thumbnail to the project.
status, body = call("GET", f"/v1/blobs/{photo.sha256}", TOKEN_B)
check(status == 200 and hashlib.sha256(body).hexdigest() == photo.sha256, f"original served ({status})")
status, thumb = call("GET", f"/v1/blobs/{photo.sha256}/thumbnail", TOKEN_B)
check(status == 200 and thumb[:2] == b"\xff\xd8" and len(thumb) < len(body), f"thumbnail served ({status})")
status, _ = call("GET", f"/v1/blobs/{photo.sha256}", "flt_wrong")
check(status == 401, "a wrong token reads nothing")

# A supervisor approves the converged sheet; the phone learns it by sync.
check(b.approval_status(sid).state == mc.ApprovalState.PENDING, "pending before any decision")
status, rec = call("GET", f"/v1/records/{sid}", TOKEN_SUP)
check(status == 200, f"supervisor reads the sheet ({status})")
approval = {"heads": json.loads(rec)["heads"], "comment": "好"}
status, out = call_json("POST", f"/v1/records/{sid}/approve", TOKEN_SUP, approval)
check(status == 200 and out["postings"] == 2, f"approved ({status}): {out}")
sync(b, TOKEN_B)
st = b.approval_status(sid)
check(st.state == mc.ApprovalState.APPROVED and st.comment == "好" and st.decisions == 1, f"B sees the approval: {st}")

check(a.unsynced() == mc.Unsynced(records=0, photos=0), "nothing unsynced before sign-out")
a.wipe(False)
check(not os.path.exists(os.path.join(SCRATCH, "a.db")), "A signed out: store removed")
b.close()
print("sync_live: all good")
