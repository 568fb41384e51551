"""Settings → Developers: owners and admins make keys (shown once), see and revoke them, and
manage webhook endpoints with their delivery log."""

import httpx
import pytest
import respx

from api.models import ApiKey, WebhookDelivery, WebhookEndpoint
from audit.models import AuditEntry
from core.tests.pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(org):
    return f"/o/{org.slug}/settings/developers/"


def test_members_and_viewers_cant_open_it(login, url):
    assert login("member").get(url).status_code == 403
    assert login("viewer").get(url).status_code == 403


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(login, people, org, url):
    client = login("admin")
    page = text_of(client.get(url))
    assert "No API keys yet" in page
    response = client.post(url + "keys/", {"name": "Build server", "scopes": ["read", "generate"], "expires_in": "30"})
    assert response.status_code == 302
    key = ApiKey.objects.get()
    shown = client.get(url).content.decode()
    whole = shown.split('id="api-key-value">')[1].split("<")[0]
    assert whole.startswith(key.prefix + "_")
    assert "only time it is shown" in shown
    again = client.get(url).content.decode()
    assert whole not in again  # shown once
    assert key.prefix in again
    assert "Read, Generate" in text_of(client.get(url))
    api = client.get("/api/v1/assets/", headers={"Authorization": f"Bearer {whole}"})
    assert api.status_code == 200
    assert client.post(f"{url}keys/{key.public_id}/revoke/").status_code == 302
    assert client.get("/api/v1/assets/", headers={"Authorization": f"Bearer {whole}"}).status_code == 401
    assert "Revoked" in text_of(client.get(url))
    assert list(AuditEntry.objects.filter(org=org).values_list("action", flat=True).order_by("id")) == [
        "api_key.created",
        "api_key.revoked",
    ]


def test_a_key_without_scopes_or_name_is_refused_with_the_form_kept(login, url):
    client = login("owner")
    response = client.post(url + "keys/", {"name": "", "scopes": []})
    assert response.status_code == 400
    page = text_of(response)
    assert "This field is required." in page
    assert "Choose at least one thing the key may do." in page
    assert not ApiKey.objects.exists()


def test_webhook_endpoints_test_events_and_resend(login, org, url, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client = login("admin")
    refused = client.post(url + "webhooks/", {"url": "http://127.0.0.1:8000/hook"})
    assert refused.status_code == 400
    assert "must use https" in text_of(refused)
    assert not WebhookEndpoint.objects.exists()
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert (
        client.post(url + "webhooks/", {"url": "http://127.0.0.1:8000/hook", "description": "Local"}).status_code == 302
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in client.get(url).content.decode()
    with respx.mock:
        respx.post(endpoint.url).mock(side_effect=[httpx.Response(500)] * 6 + [httpx.Response(200)])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"{url}webhooks/{endpoint.public_id}/test/")
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "failed"
        page = text_of(client.get(url))
        assert "webhook.test" in page
        assert "The endpoint answered 500." in page
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"{url}deliveries/{delivery.public_id}/resend/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert client.post(f"{url}webhooks/{endpoint.public_id}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()
