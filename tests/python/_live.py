"""What the live scripts (sync_live.py, pairing_live.py, transport_live.py) share: the server's URL, the check that
stops a script at the first failure, and the test's own requests to the server (not the phone's).

The Rust tests (tests/tests/support/python.rs, run_live) put this folder on PYTHONPATH and pass FIELDLEDGER_URL.
"""

import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ["FIELDLEDGER_URL"]


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def call(method, path, token, body=None):
    """One request with the token; every status is an answer: (status, raw body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def call_json(method, path, token, body=None):
    """call() with the body read as JSON (the API answers JSON, errors included)."""
    status, raw = call(method, path, token, body)
    return status, json.loads(raw)
