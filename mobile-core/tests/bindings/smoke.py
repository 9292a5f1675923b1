"""Smoke test: the Python bindings load the core library and call into it."""

import os
import unittest

import mobile_core


class CoreVersion(unittest.TestCase):
    def test_core_version_is_the_crate_version(self):
        self.assertEqual(mobile_core.core_version(), os.environ["FIELDLEDGER_CORE_VERSION"])


if __name__ == "__main__":
    unittest.main()
