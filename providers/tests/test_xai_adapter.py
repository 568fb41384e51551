"""XaiAdapter against the scripted chat completions endpoint."""

import httpx
import pytest

from providers.adapters.base import ProviderError, WebhookRejected
from providers.adapters.xai import XaiAdapter, vision_message

MODEL = "grok-4-1-fast-non-reasoning"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}]


@pytest.fixture
def xai(xai_emulator):
    return XaiAdapter()


def test_a_chat_answers_at_once(xai, xai_emulator):
    xai_emulator.reply("Teal.", usage={"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14})

    submitted = xai.submit(
        endpoint_id=MODEL,
        arguments={"messages": MESSAGES, "temperature": 0.2, "max_tokens": 50, "response_format": {"type": "text"}},
        webhook_url="https://ignored.example.com/",
    )

    assert submitted.request_id
    assert submitted.immediate.state == "succeeded"
    assert submitted.immediate.output == {
        "text": "Teal.",
        "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
        "model": MODEL,
    }
    assert xai_emulator.requests == [
        {
            "model": MODEL,
            "messages": MESSAGES,
            "temperature": 0.2,
            "max_tokens": 50,
            "response_format": {"type": "text"},
        }
    ]
    assert xai_emulator.route.calls.last.request.headers["authorization"] == "Bearer xai-test-key"


def test_the_base_url_comes_from_settings(settings):
    settings.XAI_BASE_URL = "https://proxy.example.com/v1"
    seen = []

    def answer(request):
        seen.append(str(request.url))
        return httpx.Response(200, json=_completion("Hi"))

    submitted = XaiAdapter(http=httpx.Client(transport=httpx.MockTransport(answer))).submit(
        endpoint_id=MODEL, arguments={"messages": MESSAGES}, webhook_url=None
    )

    assert seen == ["https://proxy.example.com/v1/chat/completions"]
    assert submitted.request_id == "c-1"
    assert submitted.immediate.output["text"] == "Hi"


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 429}, "rate limited"),
        ({"status": 500}, "temporary problem (HTTP 500)"),
        ({"status": 503}, "temporary problem (HTTP 503)"),
        ({"exception": httpx.ReadTimeout}, "took too long"),
        ({"exception": httpx.ConnectError}, "couldn't reach"),
        ({"status": 200, "text": "<html>not json</html>"}, "couldn't read"),
        ({"status": 200, "json": {"id": "x", "choices": []}}, "couldn't read"),
        ({"status": 200, "json": {"id": "x"}}, "couldn't read"),
    ],
)
def test_failures_worth_retrying_are_transient(xai, xai_emulator, fault, words):
    xai_emulator.fail(**fault)

    with pytest.raises(ProviderError) as raised:
        xai.submit(endpoint_id=MODEL, arguments={"messages": MESSAGES}, webhook_url=None)

    assert raised.value.transient
    assert words in raised.value.message


def test_a_bad_key_is_permanent_with_xai_s_words(xai, xai_emulator):
    xai_emulator.fail(
        status=401,
        json={"code": "Unauthorized", "error": "Incorrect API key provided: xa***ey."},
    )

    with pytest.raises(ProviderError) as raised:
        xai.submit(endpoint_id=MODEL, arguments={"messages": MESSAGES}, webhook_url=None)

    assert not raised.value.transient
    assert raised.value.status_code == 401
    assert raised.value.message == (
        "The provider refused our credentials (HTTP 401): Incorrect API key provided: xa***ey."
    )


def test_a_bad_request_is_permanent(xai, xai_emulator):
    xai_emulator.fail(status=400, json={"error": {"message": "Image too large", "type": "invalid_request_error"}})

    with pytest.raises(ProviderError) as raised:
        xai.submit(endpoint_id=MODEL, arguments={"messages": MESSAGES}, webhook_url=None)

    assert not raised.value.transient
    assert raised.value.message == "The provider rejected the request: Image too large"


@pytest.mark.parametrize("arguments", [{}, {"messages": []}, {"messages": MESSAGES, "prompt": "x"}])
def test_malformed_arguments_never_reach_xai(xai, xai_emulator, arguments):
    with pytest.raises(ProviderError) as raised:
        xai.submit(endpoint_id=MODEL, arguments=arguments, webhook_url=None)

    assert not raised.value.transient
    assert xai_emulator.requests == []


def test_status_cancel_and_webhooks():
    xai = XaiAdapter(http=httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500))))

    assert xai.status(endpoint_id=MODEL, request_id="r").state == "failed"
    assert xai.cancel(endpoint_id=MODEL, request_id="r") is None
    with pytest.raises(WebhookRejected):
        xai.parse_webhook({"id": "r"})


def test_vision_message():
    assert vision_message("Describe her.", "data:image/png;base64,AAAA") == {
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "high"}},
            {"type": "text", "text": "Describe her."},
        ],
    }


def _completion(text):
    return {"id": "c-1", "model": MODEL, "choices": [{"message": {"role": "assistant", "content": text}}], "usage": {}}
