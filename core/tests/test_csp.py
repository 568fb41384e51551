"""The security headers on responses: the site's strict policy with this request's nonce, the
admins' looser one, Permissions-Policy, the violation report endpoint, and a production-settings
`check --deploy` with nothing to report."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.more_factories import StaffUserFactory

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_a_page_gets_the_strict_policy_and_its_scripts_carry_the_nonce(client, db):
    response = client.get("/")

    policy = _directives(response["Content-Security-Policy"])
    [nonce] = re.findall(r"'nonce-([^']+)'", " ".join(policy["script-src"]))
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src-elem"] == ["'self'", f"'nonce-{nonce}'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["report-uri"] == ["/csp-report/"]
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    assert all("src=" in tag for tag in scripts)  # no inline script at all
    assert f'nonce="{nonce}"' in html
    assert '"allowEval":false' in html
    assert '"includeIndicatorStyles":false' in html
    # A new nonce for every response.
    assert nonce not in client.get("/")["Content-Security-Policy"]


def test_templates_have_no_inline_handlers_or_javascript_urls():
    offenders = []
    for template in ROOT.glob("*/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        text = template.read_text()
        if re.search(r"\son[a-z]+\s*=|hx-on|javascript:|<script(?![^>]*\bsrc=)(?![^>]*application/json)", text):
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


def test_the_admins_get_their_own_looser_policy(client, db):
    client.force_login(StaffUserFactory())

    for path in ("/admin/", "/cms/"):
        policy = _directives(client.get(path)["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'", "'unsafe-inline'"], path
        assert policy["frame-ancestors"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path


def test_permissions_policy_switches_powerful_features_off(client, db):
    header = client.get("/")["Permissions-Policy"]

    features = dict(part.split("=", 1) for part in header.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert features[feature] == "()", feature
    assert features["fullscreen"] == "(self)"


def test_media_origins_follow_the_bucket(monkeypatch):
    monkeypatch.setenv("MEDIA_BUCKET", "personae-media")
    monkeypatch.setenv("MEDIA_ENDPOINT_URL", "https://acct.r2.cloudflarestorage.com")
    code = "from config import settings as s; print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "https://acct.r2.cloudflarestorage.com/personae-media/" in out
    assert "https://personae-media.acct.r2.cloudflarestorage.com" in out


def test_violation_reports_are_logged(client, db, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://app.example.com/o/northstar/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
            "source-file": "https://app.example.com/o/northstar/",
            "line-number": 12,
        }
    }
    with caplog.at_level(logging.WARNING, logger="personae.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")

    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "personae.csp"]
    logged = json.loads(record.getMessage().split(": ", 1)[1])
    assert logged["violated-directive"] == "script-src-elem"
    assert logged["document-uri"] == "https://app.example.com/o/northstar/"


def test_the_reporting_api_shape_is_understood_too(client, db, caplog):
    reports = [{"type": "csp-violation", "body": {"documentURL": "https://x/", "effectiveDirective": "img-src"}}]
    with caplog.at_level(logging.WARNING, logger="personae.csp"):
        client.post("/csp-report/", json.dumps(reports), content_type="application/reports+json")

    assert '"effective-directive": "img-src"' in caplog.text


@pytest.mark.parametrize(("body", "status"), [(b"not json", 400), (b"{" + b" " * 20_000 + b"}", 413)])
def test_bad_or_huge_reports_are_refused(client, db, body, status):
    assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == status


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "DEBUG": "false",
        "SECRET_KEY": "k" * 20 + "-production-like-and-long-enough-" + "z" * 20,
        "ALLOWED_HOSTS": "app.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://app.example.com",
        "SITE_URL": "https://app.example.com",
        "EMAIL_PROVIDER": "postmark",
        "EMAIL_PROVIDER_API_KEY": "server-token",
        "TRUSTED_PROXY_COUNT": "1",
        # The check connects to neither; placeholders keep manage.py from starting embedded servers.
        "DATABASE_URL": "postgres://build@localhost/build",
        "REDIS_URL": "redis://localhost:6379/0",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout + done.stderr
