"""Smoke test: the Python bindings load the core library and call into it."""

import os
import unittest

import mobile_core


class CoreVersion(unittest.TestCase):
    def test_core_version_is_the_crate_version(self):
        self.assertEqual(mobile_core.core_version(), os.environ["FIELDLEDGER_CORE_VERSION"])


class DailyReport(unittest.TestCase):
    """The daily report calls cross: nothing kept before a fetch, and offline with nothing kept is Offline."""

    def test_offline_without_a_kept_report(self):
        import asyncio
        import socket

        store = mobile_core.FieldStore.open(os.path.join(os.environ["FIELDLEDGER_SCRATCH_DIR"], "p.db"), "li")
        self.assertIsNone(store.cached_daily_report("P1", "S1", "2026-12-05", mobile_core.ReportLang.ZH_CN))
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        with self.assertRaises(mobile_core.CoreError.Offline):
            asyncio.run(store.fetch_daily_report_with(
                f"http://127.0.0.1:{port}", "flt_token", "P1", "S1", "2026-12-05", mobile_core.ReportLang.EN))
        with self.assertRaises(mobile_core.CoreError.NotFound):
            asyncio.run(store.fetch_daily_report("P1", "S1", "2026-12-05", mobile_core.ReportLang.EN))
        store.close()


if __name__ == "__main__":
    unittest.main()
