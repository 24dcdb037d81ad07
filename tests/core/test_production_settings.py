"""Production settings: `manage.py check --deploy` is clean, debug is refused, a weak secret
key is refused, and plain HTTP is redirected with HSTS."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEERPATH_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    base.update(
        PEERPATH_DATA_DIR=str(tmp_path),
        PEERPATH_ENV="production",
        PEERPATH_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_SETTINGS_MODULE="peerpath.settings",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"PEERPATH_DEBUG": "1"}, "PEERPATH_DEBUG=1 is refused"),
        ({"PEERPATH_SECRET_KEY": "short"}, "at least 50 random characters"),
    ],
)
def test_production_refuses_debug_and_a_weak_key(tmp_path, env, says):
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0 and says in result.stderr


def test_production_redirects_plain_http_and_sends_hsts(tmp_path):
    probe = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "r = c.get('/signin/'); print(r.status_code, r['Location']);"
        "r = c.get('/signin/', secure=True);"
        "print(r.status_code, r.get('Strict-Transport-Security'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PEERPATH_")},
            "PEERPATH_DATA_DIR": str(tmp_path),
            "PEERPATH_ENV": "production",
            "PEERPATH_SECRET_KEY": secrets.token_urlsafe(64),
            "PEERPATH_ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "peerpath.settings",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "301 https://testserver/signin/", result.stderr
    assert lines[1].startswith("200 max-age=31536000; includeSubDomains")
