"""pytest plugin (loaded with ``-p tests.embedded``): a private PostgreSQL and Redis for the test
run, started before Django reads its settings.

The servers live under ``.data/test/`` (kept between runs, so a second run starts in a second);
pytest-django creates and drops the ``test_personae`` database on them. Set DATABASE_URL /
REDIS_URL to test against servers of your own instead.
"""

import os
import tempfile
from pathlib import Path

from config import embedded
from tests import tls_setup  # noqa: F401  (sets FAL_*_HOST and SSL_CERT_FILE at import)

_root = embedded.DEFAULT_DATA_DIR / "test"
_root.mkdir(parents=True, exist_ok=True)
if not os.environ.get("TEST_DATABASE_URL") and not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = embedded.ensure_postgres(_root / "pg")
elif os.environ.get("TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
if not os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = embedded.ensure_redis(_root / "redis")

_mail_dir = Path(tempfile.mkdtemp(prefix="personae-test-mail-"))
os.environ.update(
    {
        "DEBUG": "false",
        "SECRET_KEY": "test-secret-key-not-for-production-use-0123456789",
        "STATIC_MANIFEST": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "SITE_URL": "http://testserver",
        "EMAIL_FILE_PATH": str(_mail_dir),
        "EMAIL_PROVIDER": "",
        "CACHE_KEY_PREFIX": f"test-{os.getpid()}",
        "ACCOUNT_RATE_LIMITS_ENABLED": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        # Live-server threads must not keep connections open past a test, or the test
        # database cannot be dropped.
        "DB_CONN_MAX_AGE": "0",
        "CELERY_DB_REUSE_MAX": "0",  # the same for in-process test workers
        "CELERY_BEAT_SCHEDULE_FILENAME": str(_root / "celerybeat-schedule"),
    }
)
