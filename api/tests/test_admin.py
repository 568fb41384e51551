import pytest

from api import webhooks
from api.keys import api_key_create
from api.models import WebhookDelivery
from tests.more_factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_support_sees_keys_endpoints_and_deliveries_but_no_secrets(client, org, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    key, whole = api_key_create(org=org, user=people.owner, name="CI", scopes=["read"])
    endpoint = webhooks.endpoint_create(org=org, user=people.owner, url="https://hooks.example.com/x")
    delivery = WebhookDelivery.objects.create(org=org, endpoint=endpoint, message_id="m", event_type="x", payload={})
    client.force_login(StaffUserFactory())
    pages = [
        "/admin/api/apikey/",
        f"/admin/api/apikey/{key.pk}/change/",
        "/admin/api/webhookendpoint/",
        f"/admin/api/webhookendpoint/{endpoint.pk}/change/",
        "/admin/api/webhookdelivery/",
        f"/admin/api/webhookdelivery/{delivery.pk}/change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert key.secret_hash not in body
        assert endpoint.secret not in body
        assert whole not in body
    assert client.get("/admin/api/apikey/add/").status_code == 403
