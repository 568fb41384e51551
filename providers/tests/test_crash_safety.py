"""Crash safety at the provider boundary: once a request may have reached the provider it is never
sent again; the webhook (which names the call by its token) or the sweeper finishes the call, and
webhooks nobody can match are parked for staff."""

from datetime import timedelta

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from assets.tests.factories import AssetFactory
from billing.services import credits_available, ledger_problems
from generation import services
from generation.models import EditJob
from providers import gateway, handlers
from providers.adapters.base import ProviderError
from providers.adapters.fal import FalAdapter
from providers.models import ProviderCall, WebhookDelivery
from providers.tests.factories import ProviderCallFactory

pytestmark = pytest.mark.django_db
PUBLIC = "https://app.example.com"


class WorkerKilled(BaseException):
    """What a worker's death looks like from inside the task: nothing after it runs."""


@pytest.fixture
def killed_after_sending(monkeypatch):
    """The next fal submit reaches fal (the emulator queues it), then the worker dies."""
    real_submit = FalAdapter.submit

    def submit_then_die(self, **kwargs):
        real_submit(self, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(FalAdapter, "submit", submit_then_die)


@pytest.fixture
def upscale(fal_emulator, people, org, fund, media_root):
    """An upscale whose submit is ours to run; returns the job."""
    fund(20)
    photo = AssetFactory(org=org, filename="beach.jpg", size=(160, 120))
    return services.upscale_start(org=org, user=people.member, asset=photo, factor=2)


def _crash_submit(job):
    with pytest.raises(WorkerKilled):
        gateway.call_submit(job.call_id)
    return ProviderCall.objects.get(pk=job.call_id)


def _sweep(minutes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return gateway.calls_sweep(now=timezone.now() + timedelta(minutes=minutes))


def _post_webhook(client, provider, token, body, headers):
    url = reverse("providers:webhook", args=[provider, token])
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_a_worker_killed_after_sending_never_sends_again_and_the_webhook_finishes_the_job(
    settings, fal_emulator, upscale, org, client, killed_after_sending, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    call = _crash_submit(upscale)
    assert len(fal_emulator.requests) == 1
    assert (call.status, call.request_id) == ("submitting", None)
    assert call.sent_at is not None

    gateway.call_submit(call.pk)  # the broker redelivers the task
    assert _sweep(5, django_capture_on_commit_callbacks)["resubmitted"] == 0
    assert len(fal_emulator.requests) == 1
    assert ProviderCall.objects.get(pk=call.pk).status == "submitting"  # waiting for the webhook

    request_id = fal_emulator.last.request_id
    body, headers = fal_emulator.completion_webhook(request_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_webhook(client, "fal", call.webhook_token, body, headers)

    assert response.json() == {"ok": True}
    call.refresh_from_db()
    assert (call.status, call.request_id) == ("succeeded", request_id)
    assert EditJob.objects.get(pk=upscale.pk).status == "succeeded"
    assert credits_available(org) == 12
    assert ledger_problems(org) == []


def test_without_a_webhook_a_call_lost_after_sending_fails_after_the_stale_window(
    fal_emulator, upscale, org, killed_after_sending, django_capture_on_commit_callbacks, monkeypatch
):
    # Files on a bucket (presigned links) but no public origin for webhooks: calls are polled.
    monkeypatch.setattr(gateway, "webhook_url", lambda call: None)
    call = _crash_submit(upscale)
    assert fal_emulator.requests[0].webhook_url is None

    assert _sweep(1, django_capture_on_commit_callbacks) == {
        "resubmitted": 0,
        "timed_out": 0,
        "lost": 0,
        "rehandled": 0,
    }
    assert ProviderCall.objects.get(pk=call.pk).status == "submitting"
    assert _sweep(4, django_capture_on_commit_callbacks)["lost"] == 1

    call.refresh_from_db()
    assert call.status == "failed"
    assert call.cost_usd is None
    assert "may have run it" in call.cost_note
    job = EditJob.objects.get(pk=upscale.pk)
    assert job.status == "failed"
    assert "lost track of this request" in job.error
    assert len(fal_emulator.requests) == 1
    assert credits_available(org) == 20
    assert ledger_problems(org) == []


def test_with_a_webhook_a_call_lost_after_sending_waits_until_its_deadline(
    settings, fal_emulator, upscale, org, killed_after_sending, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    call = _crash_submit(upscale)
    assert ProviderCall.objects.get(pk=call.pk).webhook_requested
    # What the request was sent with counts, not today's settings (a deploy that drops the public
    # origin doesn't make the sweeper give up on a webhook the provider will still send).
    settings.PROVIDER_PUBLIC_URL = ""

    assert _sweep(9, django_capture_on_commit_callbacks)["lost"] == 0
    assert _sweep(11, django_capture_on_commit_callbacks)["lost"] == 1  # the upscale deadline is 10 minutes

    job = EditJob.objects.get(pk=upscale.pk)
    assert job.status == "failed"
    assert "never heard back" in job.error
    assert len(fal_emulator.requests) == 1
    assert credits_available(org) == 20


@pytest.mark.parametrize("fault", [{"exception": httpx.ReadTimeout}, {"status": 200, "text": "<html>not json"}])
def test_an_unclear_answer_to_a_submit_is_never_retried(fal_emulator, upscale, org, fault, monkeypatch):
    monkeypatch.setattr(gateway, "webhook_url", lambda call: None)  # polled: nothing could tell us later
    fal_emulator.fail("submit", times=None, **fault)

    gateway.call_submit(upscale.call_id)  # no SubmitLater: it isn't sent again

    call = ProviderCall.objects.get(pk=upscale.call_id)
    assert (call.status, call.attempts) == ("failed", 1)
    assert "lost track" in call.error


def test_with_a_webhook_an_unclear_answer_leaves_the_call_waiting_for_it(settings, fal_emulator, upscale):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    fal_emulator.fail("submit", exception=httpx.ReadTimeout, times=None)

    gateway.call_submit(upscale.call_id)

    call = ProviderCall.objects.get(pk=upscale.call_id)
    assert call.status == "submitting"
    assert call.sent_at is not None
    assert "took too long" in call.error


def test_a_connection_never_made_is_retried(fal_emulator, upscale):
    fal_emulator.fail("submit", exception=httpx.ConnectError, times=None)

    with pytest.raises(gateway.SubmitLater):
        gateway.call_submit(upscale.call_id)

    call = ProviderCall.objects.get(pk=upscale.call_id)
    assert (call.status, call.sent_at) == ("pending", None)


@pytest.mark.parametrize(
    ("cause", "status_code", "may_have"),
    [
        (None, 503, False),
        (None, 429, False),
        (httpx.ConnectError("refused"), None, False),
        (httpx.ConnectTimeout("slow"), None, False),
        (httpx.ReadTimeout("slow"), None, True),
        (httpx.RemoteProtocolError("dropped"), None, True),
        (ValueError("not json"), None, True),
    ],
)
def test_which_errors_may_have_queued_the_request(cause, status_code, may_have):
    error = ProviderError("x", transient=True, status_code=status_code)
    error.__cause__ = cause
    assert gateway.may_have_queued(error) is may_have


def test_the_sweeper_resubmits_a_call_that_was_never_sent_but_not_one_that_was(monkeypatch, org):
    sent = []
    monkeypatch.setattr("providers.tasks.call_submit.apply_async", lambda args, **route: sent.append(args[0]))
    long_ago = timezone.now() - timedelta(minutes=10)
    unsent = ProviderCallFactory(org=org, status="submitting", attempts=1)
    lost = ProviderCallFactory(org=org, status="submitting", attempts=1, sent_at=long_ago)
    ProviderCall.objects.filter(pk__in=[unsent.pk, lost.pk]).update(updated_at=long_ago)

    counts = gateway.calls_sweep()

    assert sent == [unsent.pk]
    assert counts["resubmitted"] == 1
    assert ProviderCall.objects.get(pk=unsent.pk).status == "pending"
    assert ProviderCall.objects.get(pk=lost.pk).status == "failed"


# --- Webhooks nobody is waiting for ------------------------------------------------------------

NOOP = handlers.register("providers.tests.noop", lambda call, event, *, last_attempt: None)


def test_a_webhook_for_an_unknown_token_is_parked_for_staff(fal_emulator, client):
    submitted = FalAdapter().submit(endpoint_id="fal-ai/z-image/turbo", arguments={"prompt": "x"}, webhook_url=None)
    body, headers = fal_emulator.completion_webhook(submitted.request_id)

    first = _post_webhook(client, "fal", "no-such-token", body, headers)
    again = _post_webhook(client, "fal", "no-such-token", body, headers)

    assert first.status_code == again.status_code == 200
    assert first.json()["parked"] is True
    delivery = WebhookDelivery.objects.get()
    assert delivery.call is None
    assert "No call of ours" in delivery.parked
    assert delivery.payload["request_id"] == submitted.request_id


def test_a_result_after_we_gave_up_is_parked_and_its_cost_recorded(fal_emulator, client, org):
    submitted = FalAdapter().submit(
        endpoint_id="fal-ai/z-image/turbo/lora", arguments={"prompt": "x"}, webhook_url=None
    )
    call = ProviderCallFactory(
        org=org,
        operation="image_draft",
        status="failed",
        error=gateway.NO_WORD,
        handler=NOOP.name,
        sent_at=timezone.now(),
        cost_usd=0,
    )
    body, headers = fal_emulator.completion_webhook(submitted.request_id)

    response = _post_webhook(client, "fal", call.webhook_token, body, headers)

    assert response.json() == {"ok": True, "parked": True}
    call.refresh_from_db()
    assert call.status == "failed"  # the user was told; nothing changes for them
    assert call.request_id == submitted.request_id
    assert str(call.cost_usd) == "0.008500"  # one 64×48 image, a megapixel rounded up
    delivery = WebhookDelivery.objects.get()
    assert delivery.call == call
    assert "after the call had failed" in delivery.parked


def test_the_admin_lists_parked_deliveries(client, fal_emulator, org):
    from tests.more_factories import StaffUserFactory

    WebhookDelivery.objects.create(provider="fal", delivery_id="a", parked="No call of ours has this token.")
    WebhookDelivery.objects.create(provider="fal", delivery_id="b")
    client.force_login(StaffUserFactory())

    page = client.get("/admin/providers/webhookdelivery/?parked=yes").content.decode()

    assert ">a<" in page
    assert ">b<" not in page
