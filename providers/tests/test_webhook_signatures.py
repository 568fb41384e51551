"""Webhook signatures: fal's Ed25519 + JWKS and Replicate's Standard Webhooks HMAC, on raw bytes."""

import time

import httpx
import pytest
from django.core.cache import cache
from django.http.request import HttpHeaders

from providers import webhooks
from providers.adapters.base import WebhookRejected
from providers.webhooks import verify_fal, verify_replicate

PAYLOAD = {"request_id": "req-1", "status": "OK", "payload": {"image": {"url": "https://v3.fal.media/files/a.png"}}}
PREDICTION = {"id": "p1", "model": "firtoz/trellis", "version": "v", "status": "succeeded", "output": {"a": 1}}
HOUR = 60 * 60


def rejected(verify, headers, body, reason=""):
    with pytest.raises(WebhookRejected) as raised:
        verify(headers, body)
    assert reason in raised.value.reason
    return raised.value


# --- fal ------------------------------------------------------------------------------------------


def test_fal_accepts_a_genuine_delivery_and_caches_the_keys(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)

    assert verify_fal(headers, body) == "req-1"
    assert verify_fal(headers, body) == "req-1"
    assert fal_emulator.jwks_fetches == 1
    assert cache.get(webhooks.JWKS_CACHE_KEY) == [key["x"] for key in fal_emulator.jwks()["keys"]]


def test_fal_headers_are_case_insensitive(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)

    assert verify_fal({name.lower(): value for name, value in headers.items()}, body) == "req-1"
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    assert verify_fal(HttpHeaders(meta), body) == "req-1"


def test_fal_rejects_a_tampered_body(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD, tamper=True)

    rejected(verify_fal, headers, body, "signature does not match")


def test_fal_rejects_a_swapped_request_id(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    headers["X-Fal-Webhook-Request-Id"] = "req-2"

    rejected(verify_fal, headers, body, "signature does not match")


@pytest.mark.parametrize("offset", [-HOUR, HOUR, -301, 301])
def test_fal_rejects_a_timestamp_outside_the_window(fal_emulator, offset):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD, timestamp=time.time() + offset)

    rejected(verify_fal, headers, body, "timestamp")
    assert fal_emulator.jwks_fetches == 0  # the cheap checks come first


def test_fal_accepts_a_timestamp_inside_the_window(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD, timestamp=time.time() - 250)

    assert verify_fal(headers, body) == "req-1"


def test_fal_takes_the_clock_from_now(fal_emulator):
    sent_at = time.time() - 2 * HOUR
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD, timestamp=sent_at)

    assert verify_fal(headers, body, now=sent_at + 10) == "req-1"
    with pytest.raises(WebhookRejected):
        verify_fal(headers, body, now=sent_at + 1000)


@pytest.mark.parametrize(
    "header",
    ["X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp", "X-Fal-Webhook-Signature"],
)
def test_fal_rejects_a_missing_header(fal_emulator, header):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    del headers[header]

    rejected(verify_fal, headers, body, f"missing header {header}")


@pytest.mark.parametrize(
    ("header", "value"), [("X-Fal-Webhook-Signature", "zz-not-hex"), ("X-Fal-Webhook-Timestamp", "soon")]
)
def test_fal_rejects_malformed_headers(fal_emulator, header, value):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    headers[header] = value

    rejected(verify_fal, headers, body)


def test_fal_rejects_a_short_signature(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    headers["X-Fal-Webhook-Signature"] = headers["X-Fal-Webhook-Signature"][:64]

    rejected(verify_fal, headers, body, "signature does not match")


def test_fal_rejects_another_account_when_ours_is_configured(settings, fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD, user_id="someone-else")

    assert fal_emulator.user_id == settings.FAL_WEBHOOK_USER_ID
    rejected(verify_fal, headers, body, "another fal account")

    settings.FAL_WEBHOOK_USER_ID = ""
    assert verify_fal(headers, body) == "req-1"


def test_fal_refetches_the_keys_once_when_fal_rotated_them(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    verify_fal(headers, body)  # caches the JWKS with the first key only

    fal_emulator.rotate_key()
    body, headers = fal_emulator.signed_webhook("req-2", {**PAYLOAD, "request_id": "req-2"})

    assert verify_fal(headers, body) == "req-2"
    assert fal_emulator.jwks_fetches == 2
    assert verify_fal(headers, body) == "req-2"
    assert fal_emulator.jwks_fetches == 2


def test_fal_refetches_at_most_once_per_interval(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    verify_fal(headers, body)
    forger = fal_emulator.rotate_key(publish=False)

    for attempt in range(5):
        body, headers = fal_emulator.signed_webhook(f"forged-{attempt}", PAYLOAD, key=forger)
        rejected(verify_fal, headers, body, "signature does not match")

    assert fal_emulator.jwks_fetches == 2  # the first fetch and one refetch, not one per forgery

    # Even fal's real new key waits for the interval to pass …
    fal_emulator.published_keys.append(forger)
    rejected(verify_fal, headers, body)
    assert fal_emulator.jwks_fetches == 2

    cache.delete(webhooks.JWKS_REFETCHED_KEY)  # … as if five minutes went by.
    assert verify_fal(headers, body) == "forged-4"
    assert fal_emulator.jwks_fetches == 3


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ReadTimeout, 503])
def test_fal_rejects_when_its_keys_cannot_be_fetched(fal_emulator, failure):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    fal_emulator.jwks_failure = failure

    rejected(verify_fal, headers, body, "could not fetch fal's keys")
    assert cache.get(webhooks.JWKS_CACHE_KEY) is None

    fal_emulator.jwks_failure = None
    rejected(verify_fal, headers, body, "a recent fetch failed")  # no new fetch for a minute
    assert fal_emulator.jwks_fetches == 1

    cache.delete(webhooks.JWKS_FAILED_KEY)  # as if a minute went by
    assert verify_fal(headers, body) == "req-1"


@pytest.mark.parametrize("failure", [httpx.ConnectError, 503])
def test_fal_keeps_verifying_with_the_last_good_keys_while_the_jwks_is_down(fal_emulator, failure):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    assert verify_fal(headers, body) == "req-1"
    cache.delete(webhooks.JWKS_CACHE_KEY)  # as if the day's cache expired
    fal_emulator.jwks_failure = failure

    for _ in range(3):
        assert verify_fal(headers, body) == "req-1"

    assert fal_emulator.jwks_fetches == 2  # the first fetch, and one failed try for the next minute


def test_forged_deliveries_do_not_refetch_while_the_jwks_is_down(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    verify_fal(headers, body)
    cache.delete(webhooks.JWKS_CACHE_KEY)
    fal_emulator.jwks_failure = 503
    forger = fal_emulator.rotate_key(publish=False)

    for attempt in range(5):
        body, headers = fal_emulator.signed_webhook(f"forged-{attempt}", PAYLOAD, key=forger)
        rejected(verify_fal, headers, body, "signature does not match")

    assert fal_emulator.jwks_fetches == 2


def test_a_successful_fetch_clears_a_remembered_failure(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    cache.set(webhooks.JWKS_FAILED_KEY, True, 60)
    cache.set(webhooks.JWKS_LAST_GOOD_KEY, ["not-a-key"], 60)
    rejected(verify_fal, headers, body, "signature does not match")  # the old keys, and no refetch
    assert fal_emulator.jwks_fetches == 0

    cache.delete(webhooks.JWKS_FAILED_KEY)
    assert verify_fal(headers, body) == "req-1"
    assert cache.get(webhooks.JWKS_FAILED_KEY) is None
    assert cache.get(webhooks.JWKS_LAST_GOOD_KEY) == [key["x"] for key in fal_emulator.jwks()["keys"]]


@pytest.mark.parametrize("jwks", [{"keys": "nope"}, {"no": "keys"}, ["a", "list"]])
def test_fal_rejects_when_the_jwks_is_malformed(fal_emulator, jwks):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    fal_emulator.jwks = lambda: jwks

    rejected(verify_fal, headers, body, "could not fetch fal's keys")


def test_fal_skips_keys_it_cannot_use(fal_emulator):
    body, headers = fal_emulator.signed_webhook("req-1", PAYLOAD)
    good = fal_emulator.jwks()["keys"]
    fal_emulator.jwks = lambda: {
        "keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}, {"kty": "OKP", "crv": "Ed25519", "x": "!!"}, *good]
    }

    assert verify_fal(headers, body) == "req-1"


# --- Replicate ------------------------------------------------------------------------------------


def test_replicate_accepts_a_genuine_delivery(replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION, webhook_id="msg_abc")

    assert verify_replicate(headers, body) == "msg_abc"
    title_case = {name.title(): value for name, value in headers.items()}
    assert verify_replicate(title_case, body) == "msg_abc"


def test_replicate_rejects_a_tampered_body(replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)

    rejected(verify_replicate, headers, body.replace(b'"succeeded"', b'"failed"'), "signature does not match")


def test_replicate_rejects_another_secret(replicate_emulator):
    other = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0xMjM0NTY="
    body, headers = replicate_emulator.signed_webhook(PREDICTION, secret=other)

    rejected(verify_replicate, headers, body, "signature does not match")


@pytest.mark.parametrize("offset", [-24 * HOUR, -301, 301])
def test_replicate_rejects_a_correctly_signed_stale_or_future_delivery(replicate_emulator, offset):
    body, headers = replicate_emulator.signed_webhook(PREDICTION, timestamp=time.time() + offset)

    rejected(verify_replicate, headers, body, "timestamp")


def test_replicate_takes_the_clock_from_now(replicate_emulator):
    sent_at = time.time() - 24 * HOUR
    body, headers = replicate_emulator.signed_webhook(PREDICTION, timestamp=sent_at)

    assert verify_replicate(headers, body, now=sent_at + 5)


@pytest.mark.parametrize("signature", ["v1,@@@not-base64@@@", "v1,", "v1", "garbage", "v2,AAAA"])
def test_replicate_rejects_malformed_signatures(replicate_emulator, signature):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    headers["webhook-signature"] = signature

    rejected(verify_replicate, headers, body, "signature does not match")


def test_replicate_ignores_signature_schemes_other_than_v1(replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v1a,")

    rejected(verify_replicate, headers, body, "signature does not match")


def test_replicate_accepts_a_valid_signature_among_several(replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    headers["webhook-signature"] = f"v1,@@@ v1,AAAA {headers['webhook-signature']}"

    assert verify_replicate(headers, body)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_replicate_rejects_a_missing_header(replicate_emulator, header):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    del headers[header]

    rejected(verify_replicate, headers, body, f"missing header {header}")


def test_replicate_rejects_everything_without_a_secret(settings, replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    settings.REPLICATE_WEBHOOK_SECRET = ""

    rejected(verify_replicate, headers, body, "Replicate webhook secret not configured")


def test_replicate_rejects_with_a_malformed_secret(settings, replicate_emulator):
    body, headers = replicate_emulator.signed_webhook(PREDICTION)
    settings.REPLICATE_WEBHOOK_SECRET = "whsec_%%%"

    rejected(verify_replicate, headers, body, "secret is malformed")
