"""Settings of the JSON API, the browser extension, import from URL and outgoing webhooks
(docs/api.md, docs/extension.md), read from the environment like the rest of ``config.settings``,
which star-imports the names in ``__all__``."""

from __future__ import annotations

from config.environment import DEBUG, SECRET_KEY, env

__all__ = [
    "API_KEY_PEPPER",
    "API_KEY_PREFIX",
    "API_RATE_LIMIT_PER_MINUTE",
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOW_HEADERS",
    "CORS_EXPOSE_HEADERS",
    "CORS_URLS_REGEX",
    "EXTENSION_ID",
    "EXTENSION_ORIGINS",
    "MEDIA_IMPORT_ALLOWED_HOSTS",
    "MEDIA_IMPORT_FIXTURE_HOSTS",
    "MEDIA_IMPORT_MAX_BYTES",
    "WEBHOOK_ALLOW_PRIVATE_URLS",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_TIMEOUT_SECONDS",
]

# The JSON API (/api/v1/, docs/api.md): keys, rate limit, CORS for the browser extension, webhooks.
API_KEY_PREFIX = env("API_KEY_PREFIX", default="pk_live_")
# Keys are stored as HMAC-SHA256(pepper, secret); changing the pepper invalidates every key.
API_KEY_PEPPER = env("API_KEY_PEPPER", default=SECRET_KEY)
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# The extension's origin(s), e.g. chrome-extension://abcdefghijklmnopabcdefghijklmnop; nothing else gets CORS.
EXTENSION_ORIGINS = env.list("EXTENSION_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = EXTENSION_ORIGINS
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_CREDENTIALS = False  # keys, never cookies
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key")
CORS_EXPOSE_HEADERS = ("retry-after", "idempotent-replayed")
# Import from URL (the browser extension's Save buttons, POST /api/v1/assets/import): media is
# fetched only from these host suffixes, on public addresses, over https (assets/fetching.py).
MEDIA_IMPORT_ALLOWED_HOSTS = env.list(
    "MEDIA_IMPORT_ALLOWED_HOSTS", default=["pinimg.com", "cdninstagram.com", "fbcdn.net"]
)
# Test/dev only: hosts (host or host:port) allowed over http and on loopback, e.g. "127.0.0.1:8765".
MEDIA_IMPORT_FIXTURE_HOSTS = env.list("MEDIA_IMPORT_FIXTURE_HOSTS", default=[])
MEDIA_IMPORT_MAX_BYTES = env.int("MEDIA_IMPORT_MAX_BYTES", default=1024 * 1024 * 1024)
# The published extension's id, for the connect page's chrome.runtime.sendMessage hand-over.
EXTENSION_ID = env("EXTENSION_ID", default="")
# Outgoing webhooks: https and public addresses only, unless this is set (tests, local receivers).
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
