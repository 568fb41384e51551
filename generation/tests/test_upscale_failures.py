"""Bad input and failures on a paid single-call job (an upscale), end to end on the emulated
providers behind the real client libraries: whatever goes wrong, the person reads a plain reason,
gets the credits back (the hold released, nothing captured), and nothing is charged twice.

Each test checks both sides: the job (status and ``error`` in words) and the money
(``credits_available`` back to what it was, the hold's status, ``ledger_problems`` empty)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset
from billing.models import Hold, LedgerEntry
from billing.services import credits_available, ledger_problems
from generation import services
from generation.models import EditJob
from providers import gateway, outputs, registry
from providers.adapters.base import ProviderError
from providers.contracts import Contract, contracts
from providers.contracts import fal_seedvr_upscale_image as seedvr_contract
from providers.models import ProviderCall, WebhookDelivery

pytestmark = pytest.mark.django_db

ENDPOINT = "fal-ai/seedvr/upscale/image"
FUNDS = 20
PRICE = 8  # a 2× upscale
PUBLIC = "https://app.example.com"


@pytest.fixture
def start(people, org, fund, photo, django_capture_on_commit_callbacks):
    """Start a 2× upscale of ``photo`` with 20 credits and run its submit; returns (job, call)."""

    def go():
        fund(FUNDS)
        with django_capture_on_commit_callbacks(execute=True):
            job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
        job.refresh_from_db()
        return job, ProviderCall.objects.get(pk=job.call_id)

    return go


def poll(call, capture):
    with capture(execute=True):
        gateway.call_poll(call.pk)
    call.refresh_from_db()
    return call


def submit_until_done(call_id, capture) -> list[float]:
    """Run the submit task as Celery would: again after each ``SubmitLater``; returns the pauses."""
    pauses = []
    for _ in range(gateway.MAX_SUBMIT_ATTEMPTS):
        try:
            with capture(execute=True):
                gateway.call_submit(call_id)
        except gateway.SubmitLater as later:
            pauses.append(later.countdown)
    return pauses


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def assert_refunded(job: EditJob, org) -> None:
    """Failed, its hold released and nothing captured, the credits all back, the ledger consistent."""
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.result is None
    hold = Hold.objects.get(pk=job.hold_id)
    assert hold.status == Hold.Status.RELEASED
    assert not hold.captured_amount
    assert not LedgerEntry.objects.filter(hold=hold, kind="capture").exists()
    assert credits_available(org) == FUNDS
    assert not Asset.objects.filter(source=Asset.Source.EDITED).exists()
    assert ledger_problems(org) == []


def assert_charged_once(job: EditJob, org) -> None:
    job.refresh_from_db()
    assert job.status == "succeeded"
    hold = Hold.objects.get(pk=job.hold_id)
    assert hold.status == Hold.Status.CAPTURED
    assert LedgerEntry.objects.filter(hold=hold, kind="capture").count() == 1
    assert credits_available(org) == FUNDS - PRICE
    assert Asset.objects.filter(source=Asset.Source.EDITED).count() == 1
    assert ledger_problems(org) == []


def assert_untouched(job: EditJob, call: ProviderCall, org) -> None:
    """Still waiting at the provider, its credits held (not charged, not returned)."""
    job.refresh_from_db()
    assert job.status == "queued"
    assert ProviderCall.objects.get(pk=call.pk).status == "queued"
    assert Hold.objects.get(pk=job.hold_id).status == Hold.Status.ACTIVE
    assert credits_available(org) == FUNDS - PRICE
    assert ledger_problems(org) == []


# --- Submit --------------------------------------------------------------------------------------


def test_a_422_validation_body_is_told_field_by_field_not_retried_and_refunded(fal_emulator, start, org):
    fault = fal_emulator.fail(
        "submit",
        status=422,
        json={
            "detail": [
                {"loc": ["body", "image_url"], "msg": "field required", "type": "missing"},
                {"loc": ["body", "upscale_factor"], "msg": "ensure this value is less than or equal to 10"},
            ]
        },
    )
    job, call = start()
    assert fault.hits == 1  # a rejected request is not sent again
    assert call.status == "failed"
    assert call.attempts == 1
    job.refresh_from_db()
    assert job.error == (
        "The provider rejected the request: image_url: field required; "
        "upscale_factor: ensure this value is less than or equal to 10"
    )
    assert_refunded(job, org)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 502, "text": "<html><body>Bad gateway</body></html>"}, "temporary problem (HTTP 502)"),
        ({"status": 503}, "temporary problem (HTTP 503)"),
        ({"status": 429, "headers": {"Retry-After": "30"}}, "rate limited"),
    ],
    ids=["502-html", "503", "429-retry-after"],
)
def test_transient_submit_failures_are_retried_then_fail_plainly_and_refund_once(
    fal_emulator, people, org, fund, photo, fault, words, django_capture_on_commit_callbacks
):
    fund(FUNDS)
    programmed = fal_emulator.fail("submit", times=None, **fault)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    assert credits_available(org) == FUNDS - PRICE  # held while we try

    pauses = submit_until_done(job.call_id, django_capture_on_commit_callbacks)

    assert len(pauses) == gateway.MAX_SUBMIT_ATTEMPTS - 1
    assert programmed.hits >= gateway.MAX_SUBMIT_ATTEMPTS  # fal_client's own retries come on top
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.status == "failed"
    assert call.attempts == gateway.MAX_SUBMIT_ATTEMPTS
    job.refresh_from_db()
    assert words in job.error
    assert "<html" not in job.error
    assert_refunded(job, org)
    # A stray extra run of the task (a redelivered message) changes nothing and refunds nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(job.call_id)
    assert LedgerEntry.objects.filter(hold_id=job.hold_id, kind="release").count() == 1
    assert credits_available(org) == FUNDS


@pytest.mark.parametrize(
    "fault",
    [{"exception": httpx.ReadTimeout}, {"status": 200, "json": {"queue_position": 0}}],
    ids=["read-timeout", "json-without-request-id"],
)
def test_an_unclear_answer_after_sending_is_never_sent_again_and_refunds_once(
    fal_emulator, people, org, fund, photo, fault, django_capture_on_commit_callbacks, monkeypatch
):
    """The request may have been queued (and would be paid for): no second submit of ours. Polled
    (files on a bucket, no public origin for webhooks), nothing could tell us the outcome later, so
    the call fails in plain words at once and the credits come back."""
    monkeypatch.setattr(gateway, "webhook_url", lambda call: None)
    fund(FUNDS)
    programmed = fal_emulator.fail("submit", times=None, **fault)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)

    pauses = submit_until_done(job.call_id, django_capture_on_commit_callbacks)

    assert pauses == []
    hits = programmed.hits
    assert hits >= 1
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.status == "failed"
    assert call.attempts == 1
    assert call.sent_at is not None
    job.refresh_from_db()
    assert job.error == gateway.LOST_TRACK
    assert_refunded(job, org)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(job.call_id)  # a redelivered task sends nothing and refunds nothing twice
        gateway.calls_sweep()
    assert programmed.hits == hits
    assert LedgerEntry.objects.filter(hold_id=job.hold_id, kind="release").count() == 1
    assert credits_available(org) == FUNDS


def test_a_429_waits_at_least_as_long_as_retry_after_asks(
    fal_emulator, people, org, fund, photo, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(gateway, "backoff", lambda attempt, **_: 1.5)  # our own jitter would wait 1.5 s
    fund(FUNDS)
    fal_emulator.fail("submit", status=429, headers={"Retry-After": "45"}, times=2)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)

    pauses = submit_until_done(job.call_id, django_capture_on_commit_callbacks)

    assert pauses == [45.0]  # the provider's wait, not our shorter one; then the retry went through
    assert ProviderCall.objects.get(pk=job.call_id).status == "queued"
    job.refresh_from_db()
    assert job.status == "queued"
    assert credits_available(org) == FUNDS - PRICE


def test_a_retry_after_beyond_the_cap_is_capped(
    fal_emulator, people, org, fund, photo, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(gateway, "backoff", lambda attempt, **_: 1.5)
    fund(FUNDS)
    fal_emulator.fail("submit", status=503, headers={"Retry-After": "86400"}, times=None)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)

    pauses = submit_until_done(job.call_id, django_capture_on_commit_callbacks)

    assert pauses == [300.0, 300.0]
    assert_refunded(job, org)


# --- Status and result while waiting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "fault"),
    [
        ("status", {"exception": httpx.ReadTimeout}),
        ("status", {"status": 200, "text": "<html>upstream error</html>"}),
        ("status", {"status": 200, "json": {"status": "EXPLODED"}}),
        ("status", {"status": 503}),
        ("result", {"status": 200, "text": '{"image": {"url": "https://v3.fal.media/fi'}),
        ("result", {"status": 200, "json": ["not", "an", "object"]}),
        ("result", {"exception": httpx.ReadTimeout}),
    ],
    ids=[
        "status-timeout",
        "status-html",
        "status-unknown",
        "status-503",
        "result-truncated",
        "result-list",
        "result-timeout",
    ],
)
def test_a_bad_answer_while_polling_changes_nothing_and_the_next_poll_finishes_it_once(
    fal_emulator, start, org, operation, fault, django_capture_on_commit_callbacks
):
    job, call = start()
    fal_emulator.complete(call.request_id)
    programmed = fal_emulator.fail(operation, times=None, **fault)

    poll(call, django_capture_on_commit_callbacks)
    poll(call, django_capture_on_commit_callbacks)

    assert programmed.hits >= 2
    assert_untouched(job, call, org)
    assert ProviderCall.objects.get(pk=call.pk).error == ""
    programmed.times = 0  # fal answers properly again

    poll(call, django_capture_on_commit_callbacks)
    assert_charged_once(job, org)
    # And a late poll of the finished call (or a straggler task) charges nothing again.
    poll(call, django_capture_on_commit_callbacks)
    assert_charged_once(job, org)


def test_status_that_never_reads_fails_at_the_deadline_with_the_credits_back(
    fal_emulator, start, org, django_capture_on_commit_callbacks
):
    job, call = start()
    fal_emulator.fail("status", times=None, exception=httpx.ReadTimeout)
    for _ in range(3):
        poll(call, django_capture_on_commit_callbacks)
    assert_untouched(job, call, org)

    later = timezone.now() + registry.deadline("upscale") + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        counts = gateway.calls_sweep(now=later)

    assert counts["timed_out"] == 1
    job.refresh_from_db()
    assert job.error == "The provider took longer than 10 minutes, so we stopped waiting."
    assert_refunded(job, org)
    assert fal_emulator.request(call.request_id).cancelled


# --- The result file -----------------------------------------------------------------------------


def _result_at(fal_emulator, name: str, content: bytes, content_type: str, status: int = 200) -> None:
    url = fal_emulator.add_file(name, content, content_type)
    if status != 200:
        fal_emulator.expire_file(url, status)
    fal_emulator.behave(ENDPOINT, result={"image": {"url": url, "content_type": "image/png"}, "seed": 3})


@pytest.mark.parametrize(
    ("content", "content_type", "status", "error"),
    [
        (None, "image/png", 404, "The provider's result link had expired before we could copy it."),
        (None, "image/png", 403, "The provider's result link had expired before we could copy it."),
        (
            b"<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>",
            "text/html; charset=utf-8",
            200,
            "The provider's result wasn't a usable image: it is a web page (HTML), not an image or video.",
        ),
        (
            b'{"error": "not found"}',
            "application/json",
            200,
            "The provider's result wasn't a usable image: it is a text file, not an image or video.",
        ),
        (b"", "image/png", 200, "The provider's result wasn't a usable image: it is empty (0 bytes)."),
    ],
    ids=["404", "403", "html", "json", "empty"],
)
def test_a_result_file_that_is_gone_or_not_an_image_fails_plainly_stores_nothing_and_refunds(
    fal_emulator, start, org, media_root, content, content_type, status, error, django_capture_on_commit_callbacks
):
    _result_at(fal_emulator, "out/result.png", content if content is not None else b"\x89PNG", content_type, status)
    job, call = start()
    stored_before = files_under(media_root)
    fal_emulator.complete(call.request_id)

    poll(call, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.error == error
    assert "We accept" not in job.error  # uploaders' advice, not for a provider's result
    assert ProviderCall.objects.get(pk=call.pk).status == "succeeded"  # the provider did its part
    assert files_under(media_root) == stored_before  # nothing of the body was kept
    assert_refunded(job, org)


def test_an_oversize_result_is_not_copied_and_refunds(
    fal_emulator, start, org, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(outputs, "OUTPUT_MAX_BYTES", 64)
    job, call = start()
    stored_before = files_under(media_root)
    fal_emulator.complete(call.request_id)

    poll(call, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert job.error == "The provider's result is larger than we accept."
    assert files_under(media_root) == stored_before
    assert_refunded(job, org)


def _finished_at_fal(fal_emulator, call, capture):
    """The call succeeded at fal; its finish task not yet run (returns the result's file URL)."""
    fal_emulator.complete(call.request_id)
    with capture(execute=False):
        gateway.call_poll(call.pk)
    assert ProviderCall.objects.get(pk=call.pk).status == "succeeded"
    return fal_emulator.request(call.request_id).result["image"]["url"]


def test_a_result_file_server_error_is_retried_and_a_later_copy_charges_once(
    fal_emulator, start, org, django_capture_on_commit_callbacks
):
    job, call = start()
    url = _finished_at_fal(fal_emulator, call, django_capture_on_commit_callbacks)
    fal_emulator.expire_file(url, 503)

    with pytest.raises(ProviderError) as raised:  # the finish task is retried later
        gateway.call_finish(call.pk, attempt=0)
    assert raised.value.transient
    job.refresh_from_db()
    assert job.status == "queued"
    assert credits_available(org) == FUNDS - PRICE

    fal_emulator.add_file(url.rsplit("/files/", 1)[1])  # the CDN is back
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_finish(call.pk, attempt=1)
    assert_charged_once(job, org)
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_finish(call.pk, attempt=2)  # a redelivered finish task
    assert_charged_once(job, org)


def test_a_result_file_server_error_on_every_attempt_fails_plainly_and_refunds(
    fal_emulator, start, org, django_capture_on_commit_callbacks
):
    job, call = start()
    fal_emulator.expire_file(_finished_at_fal(fal_emulator, call, django_capture_on_commit_callbacks), 500)
    for attempt in range(gateway.MAX_FINISH_ATTEMPTS - 1):
        with pytest.raises(ProviderError):
            gateway.call_finish(call.pk, attempt=attempt)
    assert credits_available(org) == FUNDS - PRICE

    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_finish(call.pk, attempt=gateway.MAX_FINISH_ATTEMPTS - 1)

    job.refresh_from_db()
    assert job.error == "The provider's file server answered 500."
    assert_refunded(job, org)


# --- Webhooks ------------------------------------------------------------------------------------


def _post(client, provider, token, body, headers):
    return client.post(
        reverse("providers:webhook", args=[provider, token]),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_a_webhook_for_an_unknown_token_is_acknowledged_and_changes_nothing(
    settings, fal_emulator, start, client, org, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    job, call = start()
    body, headers = fal_emulator.completion_webhook(call.request_id)  # genuine, but to a URL we never gave out

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, "fal", "not-a-token-of-ours", body, headers)

    assert response.status_code == 200  # fal stops retrying
    assert response.json() == {"ok": True, "ignored": "unknown request", "parked": True}
    assert callbacks == []
    parked = WebhookDelivery.objects.get()  # kept for staff, tied to no call
    assert parked.call_id is None
    assert parked.parked
    assert_untouched(job, call, org)


def test_a_webhook_for_another_request_on_our_url_is_acknowledged_and_changes_nothing(
    settings, fal_emulator, start, client, org, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    job, call = start()
    # A second request of ours on the same URL (as a repeated submit makes), finished first.
    webhook = fal_emulator.last.webhook_url
    stray = gateway.get_adapter("fal").submit(endpoint_id=ENDPOINT, arguments={"image_url": "x"}, webhook_url=webhook)
    assert stray.request_id != call.request_id
    body, headers = fal_emulator.completion_webhook(stray.request_id)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, "fal", call.webhook_token, body, headers)

    assert response.status_code == 200  # genuine (signed): fal must not retry it for hours
    assert response.json() == {"ok": True, "ignored": "request id mismatch"}
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert_untouched(job, call, org)


def test_a_failure_webhook_delivered_again_and_then_polled_refunds_once(
    settings, fal_emulator, start, client, org, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    fal_emulator.behave(
        ENDPOINT,
        error="Invalid status code: 422",
        error_status=422,
        error_detail=[{"loc": ["body", "image_url"], "msg": "Image is too small to upscale"}],
    )
    job, call = start()
    body, headers = fal_emulator.completion_webhook(call.request_id)

    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, "fal", call.webhook_token, body, headers)
    assert first.json() == {"ok": True}
    job.refresh_from_db()
    assert job.error == "The provider rejected the request: image_url: Image is too small to upscale"
    assert_refunded(job, org)

    for _ in range(2):  # fal retries deliveries it thinks we missed
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = _post(client, "fal", call.webhook_token, body, headers)
        assert again.json() == {"ok": True, "duplicate": True}
        assert callbacks == []
    poll(call, django_capture_on_commit_callbacks)  # and the poller asks about it too

    assert WebhookDelivery.objects.count() == 1
    assert LedgerEntry.objects.filter(hold_id=job.hold_id, kind="release").count() == 1
    assert_refunded(job, org)


@pytest.mark.parametrize(
    "forgery",
    ["tamper", "foreign-key", "not-hex", "stale"],
)
def test_a_forged_fal_webhook_is_refused_changes_nothing_and_the_genuine_one_still_charges_once(
    settings, fal_emulator, start, client, org, forgery, django_capture_on_commit_callbacks
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    settings.PROVIDER_PUBLIC_URL = PUBLIC
    job, call = start()
    fal_emulator.complete(call.request_id)
    payload = {"request_id": call.request_id, "status": "ERROR", "error": "forged", "payload": {"detail": "forged"}}
    options = {
        "tamper": {"tamper": True},
        "foreign-key": {"key": Ed25519PrivateKey.generate()},
        "not-hex": {},
        "stale": {"timestamp": timezone.now().timestamp() - 3600},
    }[forgery]
    body, headers = fal_emulator.signed_webhook(call.request_id, payload, **options)
    if forgery == "not-hex":
        headers["X-Fal-Webhook-Signature"] = "zz" * 64

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, "fal", call.webhook_token, body, headers)

    assert response.status_code == 400
    assert response.json()["error"] == "rejected"
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert_untouched(job, call, org)

    body, headers = fal_emulator.completion_webhook(call.request_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "fal", call.webhook_token, body, headers).json() == {"ok": True}
    assert_charged_once(job, org)


# --- Replicate webhooks, on an upscale routed to Replicate -----------------------------------------

REPLICATE_UPSCALE = "acme/upscaler:" + "0" * 64


@pytest.fixture
def on_replicate(settings, monkeypatch, replicate_emulator):
    settings.PROVIDER_PUBLIC_URL = PUBLIC
    monkeypatch.setitem(
        registry.ENDPOINTS,
        "upscale",
        registry.Endpoint("upscale", "replicate", REPLICATE_UPSCALE, timedelta(minutes=10), "Upscaler"),
    )
    # This made-up upscaler takes SeedVR's input; the emulator refuses models without a contract.
    monkeypatch.setitem(
        contracts(),
        ("replicate", REPLICATE_UPSCALE),
        Contract("replicate", REPLICATE_UPSCALE, seedvr_contract.Input, seedvr_contract.sample_output),
    )
    replicate_emulator.behave(REPLICATE_UPSCALE, statuses=("starting",), error="CUDA out of memory")
    return replicate_emulator


@pytest.mark.parametrize("forgery", ["wrong-secret", "stale", "future", "tampered", "no-v1"])
def test_a_forged_replicate_webhook_is_refused_and_changes_nothing(
    on_replicate, start, client, org, forgery, django_capture_on_commit_callbacks
):
    import base64
    import time

    job, call = start()
    assert call.provider == "replicate"
    assert on_replicate.last["webhook"] == f"{PUBLIC}/webhooks/replicate/{call.webhook_token}/"
    prediction = on_replicate.set_status(call.request_id, "failed")
    options = {
        "wrong-secret": {"secret": "whsec_" + base64.b64encode(b"somebody-else-s-secret-32-bytes!").decode()},
        "stale": {"timestamp": time.time() - 3600},
        "future": {"timestamp": time.time() + 3600},
        "tampered": {},
        "no-v1": {},
    }[forgery]
    body, headers = on_replicate.signed_webhook(prediction, **options)
    if forgery == "tampered":
        body = body.replace(b'"failed"', b'"succeeded"')
    if forgery == "no-v1":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, "replicate", call.webhook_token, body, headers)

    assert response.status_code == 400
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert_untouched(job, call, org)


def test_a_replicate_failure_webhook_refunds_once_however_often_it_comes(
    on_replicate, start, client, org, django_capture_on_commit_callbacks
):
    job, call = start()
    prediction = on_replicate.set_status(call.request_id, "failed")
    body, headers = on_replicate.signed_webhook(prediction, webhook_id="msg_first")

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, "replicate", call.webhook_token, body, headers).json() == {"ok": True}
    job.refresh_from_db()
    assert job.error == "The model failed: CUDA out of memory"
    assert_refunded(job, org)

    # The same delivery retried, and the same outcome sent again under a new delivery id.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _post(client, "replicate", call.webhook_token, body, headers).json()["duplicate"] is True
    assert callbacks == []
    body, headers = on_replicate.signed_webhook(prediction, webhook_id="msg_second")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _post(client, "replicate", call.webhook_token, body, headers).json() == {"ok": True}
    assert callbacks == []  # the call had finished: nothing to hand on

    assert WebhookDelivery.objects.count() == 2
    assert LedgerEntry.objects.filter(hold_id=job.hold_id, kind="release").count() == 1
    assert_refunded(job, org)
