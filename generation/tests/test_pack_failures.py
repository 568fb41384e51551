"""Bad input and failures on packs (several fal calls under one hold) and on "Write prompts for me"
(one xAI call, one credit), end to end on the emulated providers: the person reads a plain reason,
pays only for what was delivered, and nothing is charged twice however often a result arrives."""

from __future__ import annotations

import httpx
import pytest
from django.urls import reverse

from assets.models import Asset
from billing.models import Hold, LedgerEntry
from billing.services import credits_available, ledger_problems
from generation import drafts, packs
from generation.models import GenerationImage, PromptDraft
from generation.packs import PackRecipe
from providers import gateway
from providers.models import ProviderCall, WebhookDelivery

pytestmark = pytest.mark.django_db

LORA = "fal-ai/flux-lora"
PER_IMAGE = 4
COUNT = 5  # a pack is 1, 5 or 10 images
FUNDS = 100


def _start(capture, character, user, **recipe):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=PackRecipe(**recipe))
    calls = [ProviderCall.objects.get(pk=i.call_id) for i in job.images.order_by("position")]
    return job, calls


def _poll(call, capture):
    with capture(execute=True):
        gateway.call_poll(call.pk)


def _images(job):
    return list(GenerationImage.objects.filter(job=job).order_by("position"))


def _captured(job) -> int:
    """The credits the pack's hold captured (the rest was released with it)."""
    hold = Hold.objects.get(pk=job.hold_id)
    assert hold.status in (Hold.Status.CAPTURED, Hold.Status.RELEASED)
    assert LedgerEntry.objects.filter(hold=hold, kind__in=("capture", "release")).count() == 1
    return hold.captured_amount or 0


def test_a_result_that_is_a_web_page_fails_that_image_only_and_it_is_not_charged(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(FUNDS)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=COUNT)
    page = fal_emulator.add_file("out/login.html", b"<html><body>Sign in to continue</body></html>", "text/html")
    fal_emulator.request(calls[0].request_id).result = {
        "images": [{"url": page, "content_type": "image/jpeg"}],
        "seed": 1,
        "has_nsfw_concepts": [False],
        "prompt": "x",
    }
    generated_before = Asset.objects.filter(org=org).count()
    for call in calls:
        fal_emulator.complete(call.request_id)
        _poll(call, django_capture_on_commit_callbacks)

    first, *others = _images(job)
    assert first.status == "failed"
    assert first.error == "The provider's result wasn't a usable image: it is a web page (HTML), not an image or video."
    assert first.asset_id is None
    assert [i.status for i in others] == ["succeeded"] * (COUNT - 1)
    assert Asset.objects.filter(org=org).count() == generated_before + COUNT - 1  # the page wasn't stored
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert _captured(job) == (COUNT - 1) * PER_IMAGE
    assert credits_available(org) == FUNDS - (COUNT - 1) * PER_IMAGE
    assert ledger_problems(org) == []


def test_a_pack_whose_every_submit_is_rejected_fails_with_the_providers_words_and_charges_nothing(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(FUNDS)
    fal_emulator.fail(
        "submit",
        status=422,
        json={"detail": [{"loc": ["body", "loras", 0, "path"], "msg": "Could not download the LoRA file"}]},
        times=None,
    )
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=COUNT)

    assert [c.status for c in ProviderCall.objects.filter(pk__in=[c.pk for c in calls])] == ["failed"] * COUNT
    words = "The provider rejected the request: loras.0.path: Could not download the LoRA file"
    assert [(i.status, i.error) for i in _images(job)] == [("failed", words)] * COUNT
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == f"None of the {COUNT} images came back. {words}"
    assert _captured(job) == 0
    assert credits_available(org) == FUNDS
    assert ledger_problems(org) == []


def test_success_webhooks_delivered_again_and_polled_charge_each_image_once(
    settings, client, fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    settings.PROVIDER_PUBLIC_URL = "https://app.example.com"
    fund(FUNDS)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=COUNT)
    deliveries = []
    for call in calls:
        body, headers = fal_emulator.completion_webhook(call.request_id)
        url = reverse("providers:webhook", args=["fal", call.webhook_token])
        deliveries.append((url, body, headers))
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, data=body, content_type="application/json", headers=headers).json() == {"ok": True}
    assert credits_available(org) == FUNDS - COUNT * PER_IMAGE

    for url, body, headers in deliveries * 2:  # fal's redeliveries, in any order
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = client.post(url, data=body, content_type="application/json", headers=headers)
        assert again.json() == {"ok": True, "duplicate": True}
        assert callbacks == []
    for call in calls:  # and the poller, which hadn't heard
        _poll(call, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            gateway.call_finish(call.pk, attempt=1)  # a redelivered finish task

    assert WebhookDelivery.objects.count() == COUNT
    assert [i.status for i in _images(job)] == ["succeeded"] * COUNT
    assert GenerationImage.objects.filter(job=job, asset__isnull=False).values("asset").distinct().count() == COUNT
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert _captured(job) == COUNT * PER_IMAGE
    assert credits_available(org) == FUNDS - COUNT * PER_IMAGE
    assert ledger_problems(org) == []


def test_a_status_timeout_on_one_image_only_delays_it(
    fal_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(FUNDS)
    job, calls = _start(django_capture_on_commit_callbacks, hd_character, people.member, count=COUNT)
    for call in calls:
        fal_emulator.complete(call.request_id)
    fault = fal_emulator.fail("status", exception=httpx.ReadTimeout, times=None, endpoint_id=LORA)
    _poll(calls[0], django_capture_on_commit_callbacks)
    assert [i.status for i in _images(job)] == ["queued"] * COUNT
    assert credits_available(org) == FUNDS - COUNT * PER_IMAGE  # held, not charged, not returned

    fault.times = 0
    for call in calls:
        _poll(call, django_capture_on_commit_callbacks)
    assert [i.status for i in _images(job)] == ["succeeded"] * COUNT
    assert _captured(job) == COUNT * PER_IMAGE
    assert ledger_problems(org) == []


# --- "Write prompts for me" on xAI -------------------------------------------------------------------


def _draft(character, user, count=COUNT):
    """A draft whose submit the test runs (as the Celery task would, retries included)."""
    return drafts.draft_start(character=character, user=user, recipe=PackRecipe(count=count))


def _submit_until_done(call_id, capture) -> list[float]:
    pauses = []
    for _ in range(gateway.MAX_SUBMIT_ATTEMPTS):
        try:
            with capture(execute=True):
                gateway.call_submit(call_id)
        except gateway.SubmitLater as later:
            pauses.append(later.countdown)
    return pauses


def _assert_refunded(draft, org, funds):
    draft = PromptDraft.objects.get(pk=draft.pk)
    assert draft.status == "failed"
    assert draft.prompts in ([], None)
    hold = Hold.objects.get(pk=draft.hold_id)
    assert hold.status == Hold.Status.RELEASED
    assert not LedgerEntry.objects.filter(hold=hold, kind="capture").exists()
    assert LedgerEntry.objects.filter(hold=hold, kind="release").count() == 1
    assert credits_available(org) == funds
    assert ledger_problems(org) == []
    return draft


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            {"status": 400, "json": {"code": "Client specified an invalid argument", "error": "Model not found"}},
            "The provider rejected the request: Model not found",
        ),
        (
            {"status": 400, "json": {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}},
            "The provider rejected the request: max_tokens is too large",
        ),
        (
            {"status": 422, "text": "Unprocessable: messages[0].content"},
            "The provider rejected the request: Unprocessable",
        ),
    ],
    ids=["xai-shape", "openai-shape", "plain-text"],
)
def test_xai_rejecting_the_draft_says_why_at_once_and_returns_the_credit(
    xai_emulator, hd_character, people, org, fund, fault, error, django_capture_on_commit_callbacks
):
    fund(10)
    programmed = xai_emulator.fail(times=None, **fault)
    draft = _draft(hd_character, people.member)

    assert _submit_until_done(draft.call_id, django_capture_on_commit_callbacks) == []

    assert programmed.hits == 1  # a rejected request isn't sent again
    draft = _assert_refunded(draft, org, 10)
    assert draft.error.startswith(error)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 429, "headers": {"Retry-After": "20"}}, "The provider is busy (rate limited). We'll retry."),
        ({"status": 500}, "The provider had a temporary problem (HTTP 500). We'll retry."),
        ({"status": 503, "text": "<html>upstream connect error</html>"}, "temporary problem (HTTP 503)"),
    ],
    ids=["429", "500", "503-html"],
)
def test_xai_failing_the_draft_for_good_is_retried_then_says_so_plainly_and_returns_the_credit_once(
    xai_emulator, hd_character, people, org, fund, monkeypatch, fault, words, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(gateway, "backoff", lambda attempt, **_: 1.0)
    fund(10)
    programmed = xai_emulator.fail(times=None, **fault)
    draft = _draft(hd_character, people.member)
    assert credits_available(org) == 9  # held while we try

    pauses = _submit_until_done(draft.call_id, django_capture_on_commit_callbacks)

    assert programmed.hits == gateway.MAX_SUBMIT_ATTEMPTS
    expected_pause = 20.0 if fault.get("headers") else 1.0
    assert pauses == [expected_pause] * (gateway.MAX_SUBMIT_ATTEMPTS - 1)
    draft = _assert_refunded(draft, org, 10)
    assert words in draft.error
    assert "<html" not in draft.error
    # A redelivered submit task changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(draft.call_id)
    _assert_refunded(draft, org, 10)


@pytest.mark.parametrize(
    "fault",
    [
        {"exception": httpx.ReadTimeout},
        {"status": 200, "text": '{"id": "x", "choices": [{"mess'},
        {"status": 200, "json": {"id": "x", "choices": []}},
    ],
    ids=["timeout", "truncated-json", "no-choices"],
)
def test_xai_answering_unclearly_is_not_asked_again_and_returns_the_credit_once(
    xai_emulator, hd_character, people, org, fund, fault, django_capture_on_commit_callbacks
):
    """xAI may have answered (and billed the tokens): the request is not sent a second time."""
    fund(10)
    programmed = xai_emulator.fail(times=None, **fault)
    draft = _draft(hd_character, people.member)

    assert _submit_until_done(draft.call_id, django_capture_on_commit_callbacks) == []

    assert programmed.hits == 1
    draft = _assert_refunded(draft, org, 10)
    assert draft.error == gateway.LOST_TRACK
    with django_capture_on_commit_callbacks(execute=True):
        gateway.call_submit(draft.call_id)
    assert programmed.hits == 1
    _assert_refunded(draft, org, 10)


def test_xai_failing_once_then_answering_charges_the_credit_once(
    xai_emulator, hd_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(10)
    xai_emulator.fail(status=502)
    xai_emulator.reply('["a", "b", "c", "d", "e"]')
    draft = _draft(hd_character, people.member)

    assert len(_submit_until_done(draft.call_id, django_capture_on_commit_callbacks)) == 1

    draft = PromptDraft.objects.get(pk=draft.pk)
    assert draft.status == "succeeded"
    assert draft.prompts == ["a", "b", "c", "d", "e"]
    assert Hold.objects.get(pk=draft.hold_id).status == Hold.Status.CAPTURED
    assert credits_available(org) == 9
    assert ledger_problems(org) == []
