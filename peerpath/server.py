"""The production server: gunicorn serving PeerPath (static files by whitenoise), with the
job worker beside it.

`serve()` is what `peerpath serve` and `peerpath demo` run:

- gunicorn, `workers` processes (default `2 x cores + 1`, or `PEERPATH_WEB_WORKERS`), each
  with `threads` threads (default 2, `PEERPATH_WEB_THREADS`); the app and the policy rules
  are loaded once before the workers start (preload), so a new worker answers at once;
- static files collected first (outside debug), so whitenoise serves compressed copies
  under hashed names;
- one job worker (`peerpath worker`) as a child process, unless `with_worker=False` (run
  workers yourself, e.g. on another machine, with PostgreSQL). It stops with the server,
  and dies with it even if the server is killed.

Gunicorn's access log is off: request lines carry query strings, and searches carry
names. Errors are logged by Django through the PHI filter.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

MAX_WORKERS = 16


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers_for(cpu: int | None = None) -> int:
    """Gunicorn's rule of thumb, 2 x cores + 1, unless PEERPATH_WEB_WORKERS says otherwise."""
    configured = os.environ.get("PEERPATH_WEB_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return min(int(configured), MAX_WORKERS)
    return min(2 * (cpu if cpu is not None else cores()) + 1, MAX_WORKERS)


def threads_per_worker() -> int:
    configured = os.environ.get("PEERPATH_WEB_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else 2


def _static_fingerprint() -> str:
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static() -> None:
    """Collect static files when they changed since the last collection (a few seconds,
    since whitenoise compresses each file)."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.DEBUG:
        return  # served from the source folders (WHITENOISE_USE_FINDERS)
    root = Path(settings.STATIC_ROOT)
    stamp = root / ".peerpath-collected"
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the server process ends, however it ends."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start_worker() -> subprocess.Popen[bytes]:
    """The job worker, as a child process of this one."""
    return subprocess.Popen(
        [sys.executable, "-m", "peerpath.cli", "worker", "--quiet"],
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def stop_worker(worker: subprocess.Popen[bytes], wait: float = 30.0) -> None:
    """Ask the worker to stop (it finishes the job in hand), then make sure it has."""
    try:
        worker.wait(timeout=2)  # Ctrl-C reached it too: it may be stopping already
        return
    except subprocess.TimeoutExpired:
        pass
    worker.terminate()
    try:
        worker.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class PeerPathServer:
    """gunicorn's application, built on demand (gunicorn is imported only to serve)."""

    def __init__(self, options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        outer = self

        class App(BaseApplication):
            def load_config(self) -> None:
                for key, value in outer.options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return outer.load()

        self.options = options
        self.app = App()

    def load(self) -> Any:
        from django.db import connections

        from peerpath.core.dbstats import refresh_statistics
        from peerpath.wsgi import application

        refresh_statistics()
        _warm_rules()
        connections.close_all()  # never share a database connection across the fork
        return application

    def run(self) -> None:
        self.app.run()


def _warm_rules() -> None:
    """Compile the rules of today's packs before serving: the first live check is fast."""
    import datetime as dt

    from peerpath.policy.api import warm

    warm(dt.date.today())


def gunicorn_options(
    host: str, port: int, workers: int | None = None, threads: int | None = None
) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or workers_for(),
        "threads": threads or threads_per_worker(),
        "worker_class": "gthread",
        "preload_app": True,
        "timeout": 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        # A worker is replaced after this many requests (slow leaks never pile up).
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "peerpath",
        "control_socket_disable": True,
        # Behind a TLS proxy on this machine: trust its X-Forwarded-* headers.
        "forwarded_allow_ips": os.environ.get("PEERPATH_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
    }


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int | None = None,
    threads: int | None = None,
    with_worker: bool = True,
) -> int:
    """Serve PeerPath with gunicorn (and the job worker) until stopped."""
    collect_static()
    options = gunicorn_options(host, port, workers, threads)
    worker = start_worker() if with_worker else None
    try:
        PeerPathServer(options).run()
    finally:
        if worker is not None:
            stop_worker(worker)
    return 0
