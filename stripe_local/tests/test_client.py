"""The in-process transport the stripe library uses to reach the local Stripe."""

import json

import pytest
from django.conf import settings

from stripe_local.client import LocalStripeHTTPClient

pytestmark = pytest.mark.django_db


def _headers(key):
    return {"Authorization": f"Bearer {key}"}


def test_a_streamed_answer_carries_the_same_body_and_status_as_a_plain_one():
    client = LocalStripeHTTPClient()
    url = settings.STRIPE_API_HOST + "/v1/account"

    body, status, _headers_back = client.request("get", url, _headers(settings.STRIPE_SECRET_KEY))
    stream, stream_status, _ = client.request_stream("get", url, _headers(settings.STRIPE_SECRET_KEY))

    assert stream_status == status == 200
    assert json.loads(stream.read()) == json.loads(body)


def test_a_wrong_key_is_refused_when_streamed_too():
    _stream, status, _ = LocalStripeHTTPClient().request_stream(
        "get", settings.STRIPE_API_HOST + "/v1/account", _headers("sk_test_" + "x" * 24)
    )

    assert status == 401
