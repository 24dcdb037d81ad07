"""Settings for the test suite: the same as production, with a fast password hasher."""

import os

os.environ.setdefault("PEERPATH_TESTING", "1")

from peerpath.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Factories write records without change history, so a board kept between requests could
# hide them; tests of the kept board turn it on (tests/staff/test_board_cache.py).
PEERPATH_BOARD_CACHE_SECONDS = 0.0

# The demo's last day of service is yesterday outside the tests; the tests keep one fixed
# demo (peerpath.demo.generator.default_end).
PEERPATH_DEMO_END = "2026-09-30"

# Tests never read or write the machine's access-log anchors.
import tempfile  # noqa: E402

PEERPATH_ACCESSLOG_ANCHORS = os.path.join(tempfile.gettempdir(), "peerpath-test-no-anchors.jsonl")

# Audit runs in the tests keep their compiled statements in a temporary folder, not in the
# user's cache folder (peerpath.integrity.run.compiled_folder).
os.environ.setdefault(
    "PEERPATH_AUDIT_COMPILED", os.path.join(tempfile.gettempdir(), "peerpath-test-compiled")
)

# Transactional tests are emptied with TRUNCATE, which the access log and disclosures refuse
# on PostgreSQL unless the connection says so (peerpath/access/migrations/0003).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (  # noqa: F405
        "-c peerpath.allow_truncate=on"
    )
