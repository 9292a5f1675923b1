"""A phone pairs with a code and syncs two projects, from Python (the phone core's UniFFI bindings).

Run by tests/tests/python_pairing.rs, which starts the server and passes FIELDLEDGER_URL, admin tokens of P1 and
P2 (FIELDLEDGER_ADMIN_P1, FIELDLEDGER_ADMIN_P2), the server binary and its data (FIELDLEDGER_SERVER_BIN,
FIELDLEDGER_DATA_DIR, DATABASE_URL when PostgreSQL) and FIELDLEDGER_SCRATCH_DIR. Exits non-zero on the first
failure.

Steps: P1's admin adds 王建国 as a foreman (API) and the command line gives him P2 too; P1's admin makes a pairing
code (API). The phone: an unknown code is PairingCodeUnknown, an expired one PairingCodeExpired; the good code pairs
it for P1 and P2 (a second phone with the same code gets PairingCodeUsed); it records a sheet in each project and
sync_all puts each on its own project (each admin reads its own sheet, and the other's is 404) without a single
refused document; joining P3 reaches the phone through refresh_projects; leaving P2 makes the next sync_all drop P2
and sync the others; P1's admin revokes the phone and the next sync_all fails with CoreError.Unauthorized.
"""

import asyncio
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import mobile_core as mc
from _live import URL, call_json, check

ADMIN1 = os.environ["FIELDLEDGER_ADMIN_P1"]
ADMIN2 = os.environ["FIELDLEDGER_ADMIN_P2"]
SERVER = os.environ["FIELDLEDGER_SERVER_BIN"]
DATA = os.environ["FIELDLEDGER_DATA_DIR"]
SCRATCH = os.environ["FIELDLEDGER_SCRATCH_DIR"]
TZ = "Asia/Shanghai"
TODAY = str(datetime.now(timezone(timedelta(hours=8))).date())


def cli(*args):
    out = subprocess.run([SERVER, "--data-dir", DATA, *args], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"fieldledger-server {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def crew(headcount):
    return mc.CrewLineInput(trade="木工", crew=None, headcount=headcount, effort_unit=mc.EffortUnit.HOURS, effort="8",
                            rate="47.50", cost_code="03-100", activity=None, note=None, workers=[])


# The admin of P1 adds the foreman; the command line puts him on P2 as well.
status, added = call_json("POST", "/v1/people", ADMIN1, {"name": "王建国", "phone": "13900001111", "role": "foreman"})
check(status == 201, f"person added: {added}")
person = added["person"]["id"]
cli("person", "grant", "--person", person, "--project", "P2", "--role", "foreman")
status, made = call_json("POST", "/v1/pairing-codes", ADMIN1, {"person_id": person})
check(status == 201, f"pairing code made: {made}")
code = made["code"]
check(made["link"].startswith("fieldledger://pair?server=") and made["link"].endswith("code=" + code), made["link"])

phone = mc.FieldStore.open(os.path.join(SCRATCH, "phone.db"), "王建国")
check(phone.projects() == [] and phone.pairing() is None, "a new store holds no project")
try:
    asyncio.run(phone.pair(URL, "ABCD-EFGH-JKMN", "王建国的手机"))
    check(False, "an unknown code is refused")
except mc.CoreError.PairingCodeUnknown as e:
    check("not known" in str(e), f"an unknown code is PairingCodeUnknown: {e}")
expired = cli("pairing", "create", "--person", person, "--minutes", "0").splitlines()[0]
try:
    asyncio.run(phone.pair(URL, expired, "王建国的手机"))
    check(False, "an expired code is refused")
except mc.CoreError.PairingCodeExpired as e:
    check(True, f"an expired code is PairingCodeExpired: {e}")
check(phone.projects() == [], "refused codes pair nothing")

paired = asyncio.run(phone.pair(URL + "/", code.lower().replace("-", " "), "王建国的手机"))
check(paired.person_name == "王建国" and paired.person_id == person, f"paired as 王建国: {paired}")
check(paired.server_url == URL, f"the server is kept: {paired.server_url}")
check([(p.project_id, p.role) for p in paired.projects] == [("P1", "foreman"), ("P2", "foreman")],
      f"two projects: {paired.projects}")
check(phone.projects() == paired.projects and phone.pairing() == paired, "the store keeps the pairing")

other = mc.FieldStore.open(os.path.join(SCRATCH, "other.db"), "someone")
try:
    asyncio.run(other.pair(URL, code, "another phone"))
    check(False, "a used code is refused")
except mc.CoreError.PairingCodeUsed as e:
    check(True, f"a used code is PairingCodeUsed: {e}")
check(other.projects() == [], "the second phone holds nothing")
other.close()

# One sheet in each project, synced each with its own token.
ids = {}
for project, heads in (("P1", 6), ("P2", 4)):
    sheet = phone.create_labour_sheet(mc.NewLabourSheet(project_id=project, site_id="S1", time_zone=TZ,
                                                        work_date=TODAY, currency=None, note=f"{project} slab"))
    phone.add_crew_line(sheet.info.id, crew(heads))
    ids[project] = sheet.info.id
reports = asyncio.run(phone.sync_all(None, None))
check([r.project_id for r in reports] == ["P1", "P2"], f"both projects synced: {reports}")
for r in reports:
    check(r.report.errors == [], f"{r.project_id}: no document refused (none of the other project's offered): "
                                 f"{r.report.errors}")
    check(r.report.documents_sent >= 1, f"{r.project_id}: its sheet went out: {r.report}")
check(phone.unsynced() == mc.Unsynced(records=0, photos=0), f"nothing left unsynced: {phone.unsynced()}")
for project, admin, other_admin in (("P1", ADMIN1, ADMIN2), ("P2", ADMIN2, ADMIN1)):
    status, record = call_json("GET", f"/v1/records/{ids[project]}", admin)
    check(status == 200, f"{project}'s admin reads {project}'s sheet: {status} {record}")
    check(json.dumps(record, ensure_ascii=False).count(f"{project} slab") >= 1, f"{project}'s sheet is the one made")
    status, _ = call_json("GET", f"/v1/records/{ids[project]}", other_admin)
    check(status == 404, f"{project}'s sheet is not on the other project: {status}")

# A project joined later reaches the phone.
cli("person", "grant", "--person", person, "--project", "P3", "--role", "foreman")
refreshed = asyncio.run(phone.refresh_projects())
check([p.project_id for p in refreshed.projects] == ["P1", "P2", "P3"], f"P3 added: {refreshed.projects}")
reports = asyncio.run(phone.sync_all(None, None))
check([r.project_id for r in reports] == ["P1", "P2", "P3"], "three projects synced")

# Leaving a project reaches the phone at once (its token there is revoked on the server): the next
# sync drops P2 and carries on with the others instead of stopping at P2.
cli("person", "revoke", "--person", person, "--project", "P2")
reports = asyncio.run(phone.sync_all(None, None))
check([r.project_id for r in reports] == ["P1", "P3"], f"P2 dropped, P1 and P3 synced: {reports}")
check([p.project_id for p in phone.projects()] == ["P1", "P3"], f"the phone holds P1 and P3: {phone.projects()}")

# P1's admin revokes the phone (its handset, on every project): the next sync is refused.
status, listed = call_json("GET", "/v1/devices", ADMIN1)
mine = [d for d in listed["devices"] if d["handset_id"] == paired.handset_id]
check(status == 200 and len(mine) == 1, f"P1 lists the phone once: {mine}")
check(mine[0]["person_name"] == "王建国" and mine[0]["name"] == "王建国的手机", f"named and tied: {mine[0]}")
status, revoked = call_json("POST", f"/v1/devices/{mine[0]['id']}/revoke", ADMIN1)
check(status == 200 and len(revoked["revoked"]) == 2, f"revoked on both projects it still held: {revoked}")
try:
    asyncio.run(phone.sync_all(None, None))
    check(False, "a revoked phone's sync fails")
except mc.CoreError.Unauthorized as e:
    check("P1" in str(e), f"a revoked phone's sync is Unauthorized, naming the project: {e}")
phone.close()
print("all pairing checks passed")
