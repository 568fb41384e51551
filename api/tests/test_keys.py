"""API keys: made (shown once, stored hashed), recognised, refused when revoked, expired or of a
person who left; scopes and roles; session cookies ignored; per-key rate limits; CORS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api import keys
from api.models import ApiKey
from audit.models import AuditEntry
from core.exceptions import DomainError
from orgs.models import Membership, Role

pytestmark = pytest.mark.django_db

CREDITS = "/api/v1/credits/"
ASSETS = "/api/v1/assets/"


def make(org, user, scopes=("read",), **options):
    return keys.api_key_create(org=org, user=user, name="Zapier", scopes=list(scopes), **options)


def bearer(whole):
    return {"Authorization": f"Bearer {whole}"}


def test_a_key_is_shown_once_and_stored_only_as_a_fingerprint(org, people):
    key, whole = make(org, people.admin, scopes=["generate", "read"])
    assert whole.startswith(f"pk_live_{key.key_id}_")
    assert key.prefix == f"pk_live_{key.key_id}"
    assert key.scopes == ["read", "generate"]  # in the documented order
    row = ApiKey.objects.get()
    assert whole not in {row.secret_hash, row.key_id, row.name}
    assert whole.split("_", 3)[3][:32] not in row.secret_hash
    assert keys.api_key_authenticate(whole) == row
    entry = AuditEntry.objects.get(action="api_key.created")
    assert entry.org == org
    assert entry.actor == people.admin
    assert "Zapier" in entry.summary
    assert whole not in str(entry.data)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # checksum no longer matches
        lambda k: k.replace("pk_live_", "sk_live_"),
        lambda k: k[:20],
        lambda k: "",
    ],
)
def test_malformed_or_altered_keys_are_not_keys(org, people, mangle):
    _key, whole = make(org, people.admin)
    assert keys.api_key_authenticate(mangle(whole)) is None


def test_a_right_key_id_with_a_wrong_secret_is_refused(org, people):
    key, _whole = make(org, people.admin)
    _other, other_whole = make(org, people.admin)
    forged_body = f"{key.key_id}_{other_whole.split('_', 3)[3][:32]}"
    forged = f"pk_live_{forged_body}{keys._checksum(forged_body)}"
    assert keys.api_key_parse(forged) is not None  # well-formed …
    assert keys.api_key_authenticate(forged) is None  # … but not this key's secret


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " ", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expires_at": timezone.now() - timedelta(days=1)}, "expires_at"),
    ],
)
def test_bad_key_requests_are_refused_and_nothing_is_made(org, people, fields, field):
    with pytest.raises(DomainError) as refused:
        keys.api_key_create(org=org, user=people.admin, **fields)
    assert refused.value.field == field
    assert not ApiKey.objects.exists()


def test_the_error_shape_for_no_key(client):
    response = client.get(CREDITS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "unauthorized"
    assert "Authorization: Bearer" in body["detail"]
    assert body["field"] is None


def test_a_session_cookie_is_not_a_key(client, people):
    client.force_login(people.owner)
    assert client.get(ASSETS).status_code == 401
    assert client.get(CREDITS).status_code == 401


def test_a_key_acts_in_its_own_org_whatever_the_cookie_says(client, org, people, fund):
    """Signed in as the outsider (another org) but sending org's key: org's balance, not theirs."""
    fund(70)
    fund(5, org=people.other_org)
    _key, whole = make(org, people.owner, scopes=["billing:read"])
    client.force_login(people.outsider)
    assert client.get(CREDITS, headers=bearer(whole)).json()["available"] == 70


def test_revoked_and_expired_keys_get_401(client, org, people):
    key, whole = make(org, people.admin)
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 200
    keys.api_key_revoke(key=key, user=people.owner)
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 401
    assert AuditEntry.objects.filter(action="api_key.revoked", actor=people.owner).count() == 1
    keys.api_key_revoke(key=key, user=people.owner)  # again: nothing more recorded
    assert AuditEntry.objects.filter(action="api_key.revoked").count() == 1

    expiring, whole = make(org, people.admin, expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 200
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 401


def test_a_key_stops_when_its_maker_leaves_and_reads_only_when_they_become_a_viewer(client, org, people):
    _key, whole = make(org, people.admin, scopes=["read", "assets:write"])
    body = {"name": "Board"}
    assert (
        client.post("/api/v1/collections/", body, content_type="application/json", headers=bearer(whole)).status_code
        == 201
    )
    Membership.objects.filter(org=org, user=people.admin).update(role=Role.VIEWER)
    response = client.post(
        "/api/v1/collections/", {"name": "Two"}, content_type="application/json", headers=bearer(whole)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 200
    Membership.objects.filter(org=org, user=people.admin).delete()
    assert client.get(ASSETS, headers=bearer(whole)).status_code == 401


def test_a_missing_scope_is_403_naming_it(client, org, people):
    _key, whole = make(org, people.owner, scopes=["read"])
    response = client.get(CREDITS, headers=bearer(whole))
    assert response.status_code == 403
    assert "billing:read" in response.json()["detail"]


def test_last_use_time_and_address_are_remembered(client, org, people):
    key, whole = make(org, people.owner)
    client.get(ASSETS, headers=bearer(whole), REMOTE_ADDR="203.0.113.9")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_ip == "203.0.113.9"


def test_each_key_has_its_own_rate_limit_with_retry_after(client, org, people, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _key, first = make(org, people.owner)
    _key, second = make(org, people.owner)
    answers = [client.get(ASSETS, headers=bearer(first)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get(ASSETS, headers=bearer(first))
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert client.get(ASSETS, headers=bearer(second)).status_code == 200


def test_cors_answers_only_the_extension_origin(client, settings):
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    settings.CORS_ALLOWED_ORIGINS = [origin]
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    allowed = client.options(ASSETS, headers=preflight)
    assert allowed["Access-Control-Allow-Origin"] == origin
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "idempotency-key" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in allowed
    other = client.options(ASSETS, headers={**preflight, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other
    page = client.get("/accounts/login/", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in page  # pages never get CORS


def test_the_docs_are_served_without_a_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page
    assert "/static/ninja/" in page
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/assets/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_key_requests_need_no_csrf_token_even_with_a_session_cookie(org, people):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.owner)
    _key, whole = make(org, people.owner, scopes=["assets:write"])
    response = browser.post(
        "/api/v1/collections/", {"name": "Board"}, content_type="application/json", headers=bearer(whole)
    )
    assert response.status_code == 201
    assert browser.post("/api/v1/collections/", {"name": "Two"}, content_type="application/json").status_code == 401
