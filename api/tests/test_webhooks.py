"""Outgoing webhooks: addresses checked, events signed (verified with the standardwebhooks
library), retried on failure, logged, resent; emitted when a job finishes."""

import json

import httpx
import pytest
import respx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api import webhooks
from api.models import WebhookDelivery, WebhookEndpoint
from assets.tests.factories import AssetFactory
from core.exceptions import DomainError

pytestmark = pytest.mark.django_db

RECEIVER = "https://hooks.example.com/personae"


@pytest.fixture
def public_dns(monkeypatch):
    """hooks.example.com resolves to a public address (tests never use real DNS)."""
    real = webhooks._addresses

    def fake(host):
        if host == "hooks.example.com":
            import ipaddress

            return [ipaddress.ip_address("93.184.215.14")]
        return real(host)

    monkeypatch.setattr(webhooks, "_addresses", fake)


@pytest.fixture
def endpoint(org, people, settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    return webhooks.endpoint_create(org=org, user=people.admin, url=RECEIVER, description="Zap")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("https://127.0.0.1/hook", "private or local network"),
        ("https://10.0.0.7/hook", "private or local network"),
        ("https://169.254.169.254/latest/meta-data", "private or local network"),
        ("https://[::1]/hook", "private or local network"),
        ("https://user:pw@hooks.example.com/x", "Leave user names and passwords out"),
        ("ftp://hooks.example.com/x", "starting with https://"),
        ("not a url", "starting with https://"),
    ],
)
def test_addresses_that_cant_receive_webhooks_are_refused(org, people, settings, public_dns, url, problem):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(DomainError) as refused:
        webhooks.endpoint_create(org=org, user=people.admin, url=url)
    assert problem in refused.value.message
    assert not WebhookEndpoint.objects.exists()


def test_the_setting_lets_local_receivers_in(org, people, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    endpoint = webhooks.endpoint_create(org=org, user=people.admin, url="http://127.0.0.1:9000/hook")
    assert endpoint.secret.startswith("whsec_")


@respx.mock
def test_an_event_is_signed_the_standard_webhooks_way(org, endpoint, django_capture_on_commit_callbacks):
    route = respx.post(RECEIVER).mock(return_value=httpx.Response(204))
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.event_emit(org_id=org.pk, event_type="job.succeeded", data={"kind": "edit", "id": "x"})
    request = route.calls.last.request
    body = request.content.decode()
    verified = Webhook(endpoint.secret).verify(body, dict(request.headers))
    assert verified["type"] == "job.succeeded"
    assert verified["data"] == {"kind": "edit", "id": "x"}
    assert request.headers["webhook-id"] == delivery.message_id
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks._new_secret()).verify(body, dict(request.headers))
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("edit", "xxxx"), dict(request.headers))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 204)


@respx.mock
def test_a_500_is_retried_until_it_is_delivered(org, endpoint, django_capture_on_commit_callbacks):
    route = respx.post(RECEIVER).mock(
        side_effect=[httpx.Response(500), httpx.ConnectTimeout("slow"), httpx.Response(200)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.event_emit(org_id=org.pk, event_type="job.failed", data={"kind": "video"})
    assert route.call_count == 3
    ids = {call.request.headers["webhook-id"] for call in route.calls}
    assert ids == {delivery.message_id}  # the same message on every attempt, so receivers dedupe
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("succeeded", 3, "")


def test_backoff_grows_and_it_gives_up_after_the_last_attempt(org, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    delivery = WebhookDelivery.objects.create(
        org=org, endpoint=endpoint, message_id="msg_1", event_type="job.failed", payload={"type": "job.failed"}
    )
    with respx.mock:
        respx.post(RECEIVER).mock(return_value=httpx.Response(503))
        waits = [webhooks.delivery_attempt(delivery.pk) for _ in range(3)]
    assert waits == [10, 60, None]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    assert delivery.error == "The endpoint answered 503."
    assert webhooks.delivery_attempt(delivery.pk) is None  # a failed delivery isn't sent again by itself


@respx.mock
def test_resend_sends_the_same_message_again(org, endpoint, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    route = respx.post(RECEIVER).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.event_emit(org_id=org.pk, event_type="job.succeeded", data={})
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [c.request.headers["webhook-id"] for c in route.calls] == [delivery.message_id] * 2


@respx.mock
def test_redirects_are_not_followed_and_count_as_failures(org, endpoint, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    respx.post(RECEIVER).mock(return_value=httpx.Response(302, headers={"Location": "http://127.0.0.1/"}))
    delivery = WebhookDelivery.objects.create(
        org=org, endpoint=endpoint, message_id="msg_2", event_type="job.failed", payload={}
    )
    webhooks.delivery_attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("failed", 302)


def test_an_address_that_turned_private_is_not_called(org, endpoint, settings, monkeypatch):
    """DNS re-pointed at an internal address after the endpoint was saved: refused at send time."""
    import ipaddress

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    monkeypatch.setattr(webhooks, "_addresses", lambda host: [ipaddress.ip_address("10.1.2.3")])
    delivery = WebhookDelivery.objects.create(org=org, endpoint=endpoint, message_id="m3", event_type="x", payload={})
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(RECEIVER).mock(return_value=httpx.Response(200))
        webhooks.delivery_attempt(delivery.pk)
        assert not route.called
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "private or local network" in delivery.error


@respx.mock
def test_a_finished_job_sends_an_event_to_its_org_only(
    org, people, endpoint, fund, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    other = webhooks.endpoint_create(org=people.other_org, user=people.outsider, url="https://other.example.net/h")
    route = respx.post(RECEIVER).mock(return_value=httpx.Response(200))
    respx.post(other.url).mock(return_value=httpx.Response(200))
    fund(100)
    from generation.services import edit_job_cancel, upscale_start

    asset = AssetFactory(org=org)
    job = upscale_start(org=org, user=people.member, asset=asset, factor=2)
    assert not WebhookDelivery.objects.exists()  # started, not finished
    with django_capture_on_commit_callbacks(execute=True):
        edit_job_cancel(job=job, user=people.member)
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    body = json.loads(route.calls.last.request.content)
    assert body["type"] == "job.cancelled"
    assert body["data"]["kind"] == "edit"
    assert body["data"]["id"] == str(job.public_id)
    assert body["data"]["api_url"] == f"/api/v1/jobs/{job.public_id}"
    assert "Cancelled by" in body["data"]["error"]


@respx.mock
def test_the_sweep_sends_lost_deliveries_and_prunes_the_old_log(org, endpoint, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    route = respx.post(RECEIVER).mock(return_value=httpx.Response(200))
    lost = WebhookDelivery.objects.create(org=org, endpoint=endpoint, message_id="lost", event_type="x", payload={})
    fresh = WebhookDelivery.objects.create(org=org, endpoint=endpoint, message_id="fresh", event_type="x", payload={})
    old = WebhookDelivery.objects.create(
        org=org, endpoint=endpoint, message_id="old", event_type="x", payload={}, status="succeeded"
    )
    WebhookDelivery.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        result = webhooks.deliveries_sweep()
    assert result == {"requeued": 1, "pruned": 1}
    assert [c.request.headers["webhook-id"] for c in route.calls] == ["lost"]
    assert WebhookDelivery.objects.get(pk=fresh.pk).status == "pending"
    assert not WebhookDelivery.objects.filter(pk=old.pk).exists()
