"""A provider's ``Retry-After``: read from the response (seconds or an HTTP-date, capped), carried on
the ``ProviderError`` by the fal and xAI adapters, and honoured by the gateway's submit retry, which
waits the longer of its own backoff and the provider's ask. Replicate's client keeps no headers on
its ``ReplicateError``, so its errors carry none (its client honours Retry-After on GETs itself)."""

from __future__ import annotations

import email.utils
import time

import pytest

from providers import gateway, tasks
from providers.adapters.base import RETRY_AFTER_CAP, ProviderError, http_error, retry_after_seconds
from providers.adapters.fal import FalAdapter
from providers.adapters.replicate import ReplicateAdapter
from providers.adapters.xai import XaiAdapter
from providers.models import ProviderCall
from providers.tests.factories import ProviderCallFactory

NOW = 1_800_000_000.0
UPSCALE = "fal-ai/seedvr/upscale/image"
CHAT = [{"role": "user", "content": "Name a colour."}]


def http_date(at: float) -> str:
    return email.utils.formatdate(at, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": " 12 "}, 12.0),
        ({"RETRY-AFTER": "0"}, 0.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": "86400"}, RETRY_AFTER_CAP),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": http_date(NOW + 90)}, 90.0),
        ({"Retry-After": http_date(NOW - 90)}, 0.0),
        ({"Retry-After": http_date(NOW + 7 * 86400)}, RETRY_AFTER_CAP),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00"}, 0.0),  # no zone: read as GMT, long past
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": ""}, None),
        ({"Content-Type": "application/json"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_seconds(headers, seconds):
    assert retry_after_seconds(headers, now=NOW) == seconds


def test_only_transient_errors_carry_the_wait():
    assert http_error(429, retry_after=9).retry_after == 9
    assert http_error(503, retry_after=9).retry_after == 9
    assert http_error(429).retry_after is None
    assert http_error(422, "bad", retry_after=9).retry_after is None  # nothing to wait for: it won't succeed
    assert http_error(401, retry_after=9).retry_after is None


# --- Adapters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [(429, "17", 17.0), (503, "4", 4.0), (502, None, None), (429, "a while", None)],
)
def test_fal_errors_carry_retry_after(fal_emulator, status, retry_after, seconds):
    headers = {"Retry-After": retry_after} if retry_after else {}
    fal_emulator.fail("submit", status=status, headers=headers, times=None)
    with pytest.raises(ProviderError) as raised:
        FalAdapter().submit(endpoint_id=UPSCALE, arguments={"image_url": "https://x.test/a.png"}, webhook_url=None)
    assert raised.value.transient
    assert raised.value.retry_after == seconds


def test_fal_status_errors_carry_an_http_date_retry_after(fal_emulator):
    fal = FalAdapter()
    request_id = fal.submit(endpoint_id=UPSCALE, arguments={"image_url": "x"}, webhook_url=None).request_id
    fal_emulator.fail("status", status=429, headers={"Retry-After": http_date(time.time() + 60)}, times=None)
    with pytest.raises(ProviderError) as raised:
        fal.status(endpoint_id=UPSCALE, request_id=request_id)
    assert 55 <= raised.value.retry_after <= 60


@pytest.mark.parametrize(("status", "seconds"), [(429, 9.0), (500, 3.0), (503, 120.0)])
def test_xai_errors_carry_retry_after(xai_emulator, status, seconds):
    xai_emulator.fail(status=status, headers={"Retry-After": str(int(seconds))})
    with pytest.raises(ProviderError) as raised:
        XaiAdapter().submit(endpoint_id="grok", arguments={"messages": CHAT})
    assert raised.value.transient
    assert raised.value.retry_after == seconds


def test_xai_400_with_retry_after_is_permanent_and_carries_none(xai_emulator):
    xai_emulator.fail(status=400, json={"error": "Image too large"}, headers={"Retry-After": "5"})
    with pytest.raises(ProviderError) as raised:
        XaiAdapter().submit(endpoint_id="grok", arguments={"messages": CHAT})
    assert not raised.value.transient
    assert raised.value.retry_after is None
    assert raised.value.message == "The provider rejected the request: Image too large"


def test_replicate_errors_carry_no_retry_after_because_its_client_drops_the_headers(replicate_emulator):
    replicate_emulator.fail("create", status=429, headers={"Retry-After": "0"}, times=None)
    with pytest.raises(ProviderError) as raised:
        ReplicateAdapter().submit(endpoint_id="acme/model:" + "0" * 64, arguments={}, webhook_url=None)
    assert raised.value.transient
    assert raised.value.retry_after is None


# --- The gateway and the task --------------------------------------------------------------------


@pytest.fixture
def pending_call(db, fal_emulator):
    return ProviderCallFactory(input={"image_url": "https://x.test/a.png"})


@pytest.mark.parametrize(
    ("ours", "theirs", "countdown"),
    [(1.5, "40", 40.0), (90.0, "40", 90.0), (2.0, None, 2.0), (2.0, "100000", RETRY_AFTER_CAP)],
    ids=["theirs-longer", "ours-longer", "no-header", "capped"],
)
def test_the_submit_retry_waits_the_longer_of_backoff_and_retry_after(
    fal_emulator, pending_call, monkeypatch, ours, theirs, countdown
):
    monkeypatch.setattr(gateway, "backoff", lambda attempt, **_: ours)
    fal_emulator.fail("submit", status=429, headers={"Retry-After": theirs} if theirs else {}, times=None)

    with pytest.raises(gateway.SubmitLater) as later:
        gateway.call_submit(pending_call.pk)

    assert later.value.countdown == countdown
    call = ProviderCall.objects.get(pk=pending_call.pk)
    assert call.status == "pending"
    assert call.error == "The provider is busy (rate limited). We'll retry."


def test_the_submit_task_hands_the_countdown_to_celery(fal_emulator, pending_call, monkeypatch):
    monkeypatch.setattr(gateway, "backoff", lambda attempt, **_: 1.0)
    fal_emulator.fail("submit", status=503, headers={"Retry-After": "25"}, times=None)
    asked = []

    class Stop(Exception):
        pass

    def retry(*, countdown, **_):
        asked.append(countdown)
        return Stop()

    monkeypatch.setattr(tasks.call_submit, "retry", retry)
    with pytest.raises(Stop):
        tasks.call_submit.run(pending_call.pk)
    assert asked == [25.0]
