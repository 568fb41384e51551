"""FalAdapter against the fal emulator: the real fal_client builds the URLs, retries and parses."""

from functools import partial

import httpx
import pytest

from providers.adapters.base import ProviderError, WebhookRejected
from providers.adapters.fal import START_WITHIN, FalAdapter, detail_text

UPSCALE = "fal-ai/seedvr/upscale/image"
INPAINT = "fal-ai/flux-lora/inpainting"
MISSING_IMAGE = [{"loc": ["body", "image_url"], "msg": "field required", "type": "value_error.missing"}]


@pytest.fixture
def fal(fal_emulator):
    return FalAdapter()


def submit(fal, endpoint_id=UPSCALE, webhook_url=None, arguments=None):
    return fal.submit(
        endpoint_id=endpoint_id, arguments=arguments or {"image_url": "https://x.test/a.png"}, webhook_url=webhook_url
    )


def test_a_request_goes_from_the_queue_to_its_result(fal, fal_emulator):
    result = {"image": {"url": fal_emulator.add_file("big.png"), "width": 128, "height": 96}, "seed": 7}
    fal_emulator.behave(UPSCALE, queue_positions=(3,), result=result)

    submitted = submit(fal, arguments={"image_url": "https://x.test/a.png", "upscale_factor": 4})

    request = fal_emulator.last
    assert submitted.request_id == request.request_id
    assert request.endpoint_id == UPSCALE
    assert request.arguments == {"image_url": "https://x.test/a.png", "upscale_factor": 4}
    assert request.headers["authorization"] == "Key fal-test-key"
    assert request.webhook_url is None

    queued = fal.status(endpoint_id=UPSCALE, request_id=submitted.request_id)
    assert (queued.state, queued.queue_position) == ("queued", 3)
    running = fal.status(endpoint_id=UPSCALE, request_id=submitted.request_id)
    assert running.state == "running"
    assert running.logs == ["Loading model", "Running inference"]
    done = fal.status(endpoint_id=UPSCALE, request_id=submitted.request_id)
    assert done.state == "succeeded"
    assert done.output == result
    assert httpx.get(result["image"]["url"]).content.startswith(b"\x89PNG")


def test_status_and_result_use_the_app_path_without_the_subpath(fal, fal_emulator):
    arguments = {"prompt": "a red scarf", "image_url": "https://x.test/a.png", "mask_url": "https://x.test/m.png"}
    submitted = submit(fal, endpoint_id=INPAINT, arguments=arguments)
    fal_emulator.complete(submitted.request_id)

    assert fal.status(endpoint_id=INPAINT, request_id=submitted.request_id).state == "succeeded"
    paths = [call.request.url.path for call in fal_emulator.router.calls]
    assert paths[0] == "/fal-ai/flux-lora/inpainting"
    assert f"/fal-ai/flux-lora/requests/{submitted.request_id}/status" in paths
    assert f"/fal-ai/flux-lora/requests/{submitted.request_id}" in paths


def test_the_webhook_url_goes_in_the_fal_webhook_query(fal, fal_emulator):
    hook = "https://app.example.com/providers/webhooks/fal/tok-123/?call=9&x=1"
    submit(fal, webhook_url=hook)

    assert fal_emulator.last.webhook_url == hook


def test_the_default_result_is_an_image_the_emulator_serves(fal, fal_emulator):
    submitted = submit(fal)
    fal_emulator.complete(submitted.request_id)

    output = fal.status(endpoint_id=UPSCALE, request_id=submitted.request_id).output
    response = httpx.get(output["image"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"

    fal_emulator.expire_file(output["image"]["url"], status=403)
    assert httpx.get(output["image"]["url"]).status_code == 403


@pytest.mark.parametrize(
    ("operation", "fault", "words"),
    [
        ("submit", {"status": 500}, "temporary problem (HTTP 500)"),
        ("submit", {"status": 503}, "temporary problem (HTTP 503)"),
        ("submit", {"status": 429, "times": None}, "rate limited"),
        ("submit", {"exception": httpx.ReadTimeout, "times": None}, "took too long"),
        ("submit", {"exception": httpx.ConnectError, "times": None}, "couldn't reach"),
        ("submit", {"status": 200, "text": "<html>gateway</html>"}, "couldn't read"),
        ("submit", {"status": 200, "json": {"queue_position": 0}}, "couldn't read"),
        ("status", {"status": 500}, "temporary problem"),
        ("status", {"status": 429, "times": None}, "rate limited"),
        ("status", {"exception": httpx.ReadTimeout, "times": None}, "took too long"),
        ("status", {"status": 200, "text": "not json"}, "couldn't read"),
        ("status", {"status": 200, "json": {"status": "IN_QUEUE"}}, "couldn't read"),
        ("status", {"status": 200, "json": {"status": "EXPLODED"}}, "couldn't read"),
        ("result", {"status": 502}, "temporary problem"),
        ("result", {"status": 200, "text": "{truncated"}, "couldn't read"),
        ("result", {"status": 200, "json": ["not", "an", "object"]}, "couldn't read"),
    ],
)
def test_failures_worth_retrying_are_transient(fal, fal_emulator, operation, fault, words):
    call = partial(submit, fal)
    if operation != "submit":
        request_id = submit(fal).request_id
        fal_emulator.complete(request_id)
        call = partial(fal.status, endpoint_id=UPSCALE, request_id=request_id)
    fal_emulator.fail(operation, **fault)

    with pytest.raises(ProviderError) as raised:
        call()

    assert raised.value.transient
    assert words in raised.value.message
    assert "We'll retry" in raised.value.message


def test_fal_client_retries_a_single_rate_limit_itself(fal, fal_emulator):
    request_id = submit(fal).request_id
    fault = fal_emulator.fail("status", status=429, times=1)

    assert fal.status(endpoint_id=UPSCALE, request_id=request_id).state == "queued"
    assert fault.hits == 1


def test_a_422_on_submit_is_permanent_and_says_which_field(fal, fal_emulator):
    fal_emulator.fail("submit", status=422, json={"detail": MISSING_IMAGE})

    with pytest.raises(ProviderError) as raised:
        submit(fal)

    assert not raised.value.transient
    assert raised.value.status_code == 422
    assert raised.value.message == "The provider rejected the request: image_url: field required"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"detail": "Unsupported image format"}, "The provider rejected the request: Unsupported image format"),
        (
            404,
            {"detail": "Application 'nope' not found"},
            "The provider rejected the request: Application 'nope' not found",
        ),
        (401, {"detail": "No user found for Key ID and Secret"}, "The provider refused our credentials (HTTP 401)"),
        (403, {"detail": "Forbidden"}, "The provider refused our credentials (HTTP 403)"),
        (400, {}, "The provider rejected the request (HTTP 400)."),
    ],
)
def test_other_client_errors_are_permanent(fal, fal_emulator, status, body, message):
    fal_emulator.fail("submit", status=status, json=body)

    with pytest.raises(ProviderError) as raised:
        submit(fal)

    assert not raised.value.transient
    assert raised.value.message.startswith(message)


def test_completed_with_an_error_is_a_failure_with_the_result_detail(fal, fal_emulator):
    fal_emulator.behave(
        UPSCALE, error="Invalid status code: 422", error_status=422, error_detail=MISSING_IMAGE, queue_positions=()
    )
    request_id = submit(fal).request_id
    fal_emulator.complete(request_id)

    status = fal.status(endpoint_id=UPSCALE, request_id=request_id)

    assert status.state == "failed"
    assert status.error == "The provider rejected the request: image_url: field required"


def test_completed_with_an_error_and_no_detail_uses_fal_s_words(fal, fal_emulator):
    fal_emulator.behave(UPSCALE, error="Runner ran out of memory", error_type="runner_oom", error_status=500)
    request_id = submit(fal).request_id
    fal_emulator.complete(request_id)

    status = fal.status(endpoint_id=UPSCALE, request_id=request_id)

    assert status.state == "failed"
    assert status.error == "The provider couldn't finish the request: Runner ran out of memory"


def test_a_422_on_the_result_fails_the_request(fal, fal_emulator):
    request_id = submit(fal).request_id
    fal_emulator.complete(request_id)
    fal_emulator.fail("result", status=422, json={"detail": MISSING_IMAGE})

    status = fal.status(endpoint_id=UPSCALE, request_id=request_id)

    assert status.state == "failed"
    assert "image_url: field required" in status.error


def test_cancel_while_queued_asks_fal_to_stop(fal, fal_emulator):
    request_id = submit(fal).request_id

    fal.cancel(endpoint_id=UPSCALE, request_id=request_id)

    assert fal_emulator.request(request_id).cancelled
    cancel = fal_emulator.router.calls[-1]
    assert cancel.request.method == "PUT"
    assert cancel.response.status_code == 202


def test_cancel_after_completion_is_quiet(fal, fal_emulator):
    request_id = submit(fal).request_id
    fal_emulator.complete(request_id)

    fal.cancel(endpoint_id=UPSCALE, request_id=request_id)

    assert fal_emulator.router.calls[-1].response.status_code == 400
    assert not fal_emulator.request(request_id).cancelled


def test_cancel_errors_are_translated(fal, fal_emulator):
    request_id = submit(fal).request_id
    fal_emulator.fail("cancel", status=400, json={"detail": "Something else"})

    with pytest.raises(ProviderError, match="Something else"):
        fal.cancel(endpoint_id=UPSCALE, request_id=request_id)

    fal_emulator.fail("cancel", status=500)
    with pytest.raises(ProviderError) as raised:
        fal.cancel(endpoint_id=UPSCALE, request_id=request_id)
    assert raised.value.transient


def test_parse_webhook_ok():
    event = FalAdapter(client=object()).parse_webhook(
        {"request_id": "r-1", "gateway_request_id": "g-1", "status": "OK", "payload": {"image": {"url": "u"}}}
    )

    assert event.request_id == "r-1"
    assert event.status.state == "succeeded"
    assert event.status.output == {"image": {"url": "u"}}


def test_parse_webhook_error_with_validation_detail():
    event = FalAdapter(client=object()).parse_webhook(
        {
            "request_id": "r-1",
            "status": "ERROR",
            "error": "Invalid status code: 422",
            "payload": {"detail": MISSING_IMAGE},
        }
    )

    assert event.status.state == "failed"
    assert event.status.error == "The provider rejected the request: image_url: field required"


def test_parse_webhook_error_without_detail():
    event = FalAdapter(client=object()).parse_webhook(
        {"request_id": "r-1", "status": "ERROR", "error": "Request timed out", "payload": None}
    )

    assert event.status.state == "failed"
    assert event.status.error == "The provider couldn't finish the request: Request timed out"


def test_parse_webhook_with_an_unreadable_payload():
    event = FalAdapter(client=object()).parse_webhook(
        {"request_id": "r-1", "status": "OK", "payload": None, "payload_error": "Response payload is not JSON"}
    )

    assert event.status.state == "failed"
    assert event.status.error == "The provider's result could not be read: Response payload is not JSON"


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "OK", "payload": {}},
        {"request_id": "", "status": "OK", "payload": {}},
        {"request_id": 12, "status": "OK", "payload": {}},
        {"request_id": "r-1", "status": "MAYBE"},
        ["not", "an", "object"],
    ],
)
def test_parse_webhook_rejects_malformed_bodies(payload):
    with pytest.raises(WebhookRejected):
        FalAdapter(client=object()).parse_webhook(payload)


def test_the_webhook_the_emulator_sends_parses(fal, fal_emulator):
    request_id = submit(fal).request_id
    fal_emulator.complete(request_id)

    event = fal.parse_webhook(fal_emulator.webhook_body(request_id))

    assert event.request_id == request_id
    assert event.status.output == fal_emulator.request(request_id).result


@pytest.mark.parametrize(
    ("detail", "text"),
    [
        ("Plain words ", "Plain words"),
        (MISSING_IMAGE, "image_url: field required"),
        (
            [
                {"loc": ["body", "loras", 0, "path"], "msg": "invalid url", "type": "x"},
                {"loc": ["query", "seed"], "msg": "not an int"},
            ],
            "loras.0.path: invalid url; seed: not an int",
        ),
        ({"msg": "one thing"}, "one thing"),
        (None, ""),
    ],
)
def test_detail_text(detail, text):
    assert detail_text(detail) == text


def test_a_submit_carries_a_start_deadline_and_fal_client_never_resends_it_after_a_timeout(fal, fal_emulator):
    """With a start deadline set, fal_client doesn't retry a submit whose answer timed out: the
    request may be queued at fal already, and a second one would run (and be billed) too."""
    fault = fal_emulator.fail("submit", exception=httpx.ReadTimeout, times=None)

    with pytest.raises(ProviderError):
        submit(fal)

    assert fault.hits == 1
    fault.times = 0
    submit(fal)
    assert float(fal_emulator.last.headers["x-fal-request-timeout"]) == START_WITHIN.total_seconds()
