"""Settings for the test suite: the same as production, with a fast password hasher."""

import os

os.environ.setdefault("PEERPATH_TESTING", "1")

from peerpath.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The demo's last day of service is yesterday outside the tests; the tests keep one fixed
# demo (peerpath.demo.generator.default_end).
PEERPATH_DEMO_END = "2026-09-30"
