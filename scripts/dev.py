#!/usr/bin/env python3
"""One entry point for running Personae on a machine that has only Python 3.11+.

    python3 scripts/dev.py run     # set up, migrate, seed demo data and the blog, run web + worker + beat
    python3 scripts/dev.py test    # set up and run the whole test suite
    python3 scripts/dev.py lint    # ruff + djlint + import-linter (apps import only the layers below them) + mypy
    python3 scripts/dev.py bench   # benchmarks (prints figures)
    python3 scripts/dev.py stop    # stop the embedded PostgreSQL and Redis

The Makefile wraps these (`make run`, `make test`, ...). Everything lives in `.venv/` and `.data/`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def say(message: str) -> None:
    print(f"\033[1;35m==>\033[0m {message}", flush=True)


def setup() -> None:
    """Create .venv and install the pinned requirements when they changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 -- this script runs under whatever python3 is on PATH
        sys.exit(f"Personae needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not VENV_PY.exists():
        say("Creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        say("Installing pinned dependencies (first run takes a minute)")
        subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([VENV_PY, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS], check=True)
        STAMP.write_text(digest)
    env_file = ROOT / ".env"
    if not env_file.exists():
        say("Writing .env for local development (DEBUG on, a fresh SECRET_KEY)")
        env_file.write_text(
            "# Local development settings; see .env.example for every variable.\n"
            "DEBUG=true\n"
            f"SECRET_KEY=dev-{secrets.token_urlsafe(40)}\n"
        )


def in_venv(args: Sequence[str | Path], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(args, cwd=ROOT, env=env, **kwargs)


def _in_dotenv(name: str) -> bool:
    dotenv = ROOT / ".env"
    if not dotenv.exists():
        return False
    return any(line.strip().startswith(f"{name}=") for line in dotenv.read_text().splitlines())


def run() -> int:
    setup()
    say("Starting embedded PostgreSQL and Redis (data in .data/) unless DATABASE_URL / REDIS_URL are set")
    services = in_venv(
        [
            VENV_PY,
            "-c",
            "from config.embedded import ensure_services as e; import os; e();"
            "print(os.environ['DATABASE_URL']); print(os.environ['REDIS_URL'])",
        ],
        capture_output=True,
        text=True,
    )
    if services.returncode:
        sys.stderr.write(services.stderr)
        return services.returncode
    database_url, redis_url = services.stdout.split()
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    port = os.environ.get("PORT", "8000")
    if "SITE_URL" not in os.environ and not _in_dotenv("SITE_URL"):
        # Links the app builds for itself (the local test-mode checkout, emails) use the port it runs on.
        env["SITE_URL"] = f"http://127.0.0.1:{port}"
    # sync_plans puts the plans and top-ups in the active Stripe (the local test-mode one without keys).
    for step in (["migrate", "--no-input"], ["seed_demo"], ["seed_site"], ["sync_plans"]):
        say(f"manage.py {' '.join(step)}")
        result = in_venv([VENV_PY, "manage.py", *step], env=env)
        if result.returncode:
            return result.returncode
    say(f"Personae is starting on http://127.0.0.1:{port}  (Ctrl-C stops web, worker and beat)")
    say(f"Emails land in the development inbox: http://127.0.0.1:{port}/dev/mail/")
    try:
        return in_venv([VENV / "bin" / "honcho", "start", "-f", "Procfile.dev"], env={**env, "PORT": port}).returncode
    except KeyboardInterrupt:
        return 0


def test(extra: list[str]) -> int:
    setup()
    return in_venv([VENV_PY, "-m", "pytest", *extra]).returncode


def lint() -> int:
    setup()
    code = 0
    for cmd in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        [
            "djlint",
            "--lint",
            "templates",
            "accounts",
            "analytics",
            "audit",
            "orgs",
            "core",
            "marketing",
            "billing",
            "assets",
            "blog",
            "generation",
            "jobs",
            "styles",
            "projects",
            "datasets",
            "video",
            "licensing",
            "tools",
            "characters",
            "notifications",
            "onboarding",
            "usage",
            "privacy",
            "identity",
            "api",
            "stripe_local",
        ],
        # The app layers in pyproject.toml: imports point down only.
        ["lint-imports"],
    ):
        say(" ".join(cmd))
        code |= in_venv([VENV / "bin" / cmd[0], *cmd[1:]]).returncode
    # Types ([tool.mypy] in pyproject.toml). The django-stubs plugin loads the settings, which need
    # both URLs; set, they also keep config.embedded from starting PostgreSQL and Redis. Nothing
    # connects to them.
    say("mypy")
    code |= in_venv(
        [VENV / "bin" / "mypy"],
        env={"DATABASE_URL": "postgres://x@localhost/x", "REDIS_URL": "redis://localhost:1/0"},
    ).returncode
    return code


def bench(extra: list[str]) -> int:
    setup()
    return in_venv([VENV_PY, "-m", "benchmarks", *extra]).returncode


def stop() -> int:
    setup()
    return in_venv(
        [VENV_PY, "-c", "from config.embedded import data_dir, stop; stop(); stop(data_dir() / 'test')"]
    ).returncode


def setup_only() -> int:
    setup()
    return 0


def main(argv: list[str]) -> int:
    command, extra = (argv[0], argv[1:]) if argv else ("run", [])
    commands = {
        "setup": setup_only,
        "run": run,
        "test": lambda: test(extra),
        "lint": lint,
        "bench": lambda: bench(extra),
        "stop": stop,
    }
    if command not in commands:
        sys.exit(f"Unknown command {command!r}; use one of: {', '.join(commands)}")
    return commands[command]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
