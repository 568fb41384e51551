"""ReplicateAdapter against the Replicate emulator, through the real replicate client."""

from functools import partial

import httpx
import pytest

from providers.adapters.base import ProviderError, WebhookRejected
from providers.adapters.replicate import ReplicateAdapter

VERSION = "e8f6c45206993f297372f5436b90350817bd9b4a0d52d2a76df50c1c8afa2b3c"
TRELLIS = f"firtoz/trellis:{VERSION}"
OFFICIAL = "firtoz/trellis"  # by name: Replicate runs its latest version


@pytest.fixture
def rep(replicate_emulator):
    return ReplicateAdapter()


def submit(rep, endpoint_id=TRELLIS, webhook_url=None):
    return rep.submit(endpoint_id=endpoint_id, arguments={"images": ["https://x.test/a.png"]}, webhook_url=webhook_url)


def test_a_prediction_goes_from_starting_to_its_output(rep, replicate_emulator):
    output = {"model_file": replicate_emulator.add_file("m.glb", b"glTF", "model/gltf-binary")}
    replicate_emulator.behave(TRELLIS, output=output)

    submitted = submit(rep, webhook_url="https://app.example.com/providers/webhooks/replicate/tok/")

    created = replicate_emulator.created[-1]
    assert created == {
        "version": VERSION,
        "input": {"images": ["https://x.test/a.png"]},
        "webhook": "https://app.example.com/providers/webhooks/replicate/tok/",
        "webhook_events_filter": ["completed"],
    }
    prediction = replicate_emulator.prediction(submitted.request_id)
    assert prediction["model"] == "firtoz/trellis"
    assert replicate_emulator.predictions[submitted.request_id].headers["authorization"] == "Bearer r8_test"

    assert rep.status(endpoint_id=TRELLIS, request_id=submitted.request_id).state == "queued"
    running = rep.status(endpoint_id=TRELLIS, request_id=submitted.request_id)
    assert running.state == "running"
    assert running.logs == ["Loading model", "Running prediction"]
    done = rep.status(endpoint_id=TRELLIS, request_id=submitted.request_id)
    assert done.state == "succeeded"
    assert done.output == {"output": output}
    assert httpx.get(output["model_file"]).content == b"glTF"


def test_without_a_webhook_url_no_webhook_is_sent(rep, replicate_emulator):
    submit(rep)

    assert "webhook" not in replicate_emulator.created[-1]
    assert "webhook_events_filter" not in replicate_emulator.created[-1]


def test_official_models_are_created_by_model_name(rep, replicate_emulator):
    submitted = submit(rep, endpoint_id=OFFICIAL)

    assert replicate_emulator.prediction(submitted.request_id)["model"] == OFFICIAL
    create = next(call for call in replicate_emulator.router.calls if call.request.method == "POST")
    assert create.request.url.path == f"/v1/models/{OFFICIAL}/predictions"


@pytest.mark.parametrize(
    ("status", "fields", "state", "error"),
    [
        ("failed", {"error": "CUDA out of memory"}, "failed", "The model failed: CUDA out of memory"),
        ("canceled", {}, "cancelled", ""),
        ("aborted", {}, "failed", "The provider gave up before the model started (its deadline passed)."),
    ],
)
def test_terminal_statuses(rep, replicate_emulator, status, fields, state, error):
    request_id = submit(rep).request_id
    replicate_emulator.set_status(request_id, status, **fields)

    result = rep.status(endpoint_id=TRELLIS, request_id=request_id)

    assert (result.state, result.error) == (state, error)


def test_the_client_library_itself_cannot_read_an_aborted_prediction(rep, replicate_emulator):
    """Why the adapter reads raw JSON: if this starts passing, replicate fixed it."""
    request_id = submit(rep).request_id
    replicate_emulator.set_status(request_id, "aborted")

    with pytest.raises(ValueError, match="status"):
        rep.client.predictions.get(request_id)


@pytest.mark.parametrize(
    ("operation", "fault", "words"),
    [
        ("create", {"status": 500}, "temporary problem (HTTP 500)"),
        ("create", {"status": 429}, "rate limited"),
        ("create", {"exception": httpx.ReadTimeout}, "took too long"),
        ("create", {"exception": httpx.ConnectError}, "couldn't reach"),
        ("create", {"status": 201, "text": "<html>"}, "couldn't read"),
        ("create", {"status": 201, "json": {"id": "x", "status": "starting"}}, "couldn't read"),
        ("get", {"status": 500}, "temporary problem (HTTP 500)"),
        ("get", {"status": 503, "times": None}, "temporary problem (HTTP 503)"),
        ("get", {"status": 429, "times": None}, "rate limited"),
        ("get", {"exception": httpx.ReadTimeout}, "took too long"),
        ("get", {"status": 200, "text": "not json"}, "couldn't read"),
        ("get", {"status": 200, "json": {"id": "x", "status": "exploded"}}, "couldn't read"),
        ("get", {"status": 200, "json": ["a list"]}, "couldn't read"),
    ],
)
def test_failures_worth_retrying_are_transient(rep, replicate_emulator, operation, fault, words):
    call = partial(submit, rep)
    if operation == "get":
        request_id = submit(rep).request_id
        call = partial(rep.status, endpoint_id=TRELLIS, request_id=request_id)
    replicate_emulator.fail(operation, **fault)

    with pytest.raises(ProviderError) as raised:
        call()

    assert raised.value.transient
    assert words in raised.value.message


def test_the_client_retries_a_rate_limited_get_itself(rep, replicate_emulator):
    request_id = submit(rep).request_id
    fault = replicate_emulator.fail("get", status=429, times=2)

    assert rep.status(endpoint_id=TRELLIS, request_id=request_id).state == "queued"
    assert fault.hits == 2


def test_invalid_input_is_permanent_with_replicate_s_words(rep, replicate_emulator):
    replicate_emulator.fail(
        "create",
        status=422,
        json={
            "title": "Input validation failed",
            "detail": "- input.images: Invalid type. Expected: array",
            "status": 422,
        },
    )

    with pytest.raises(ProviderError) as raised:
        submit(rep)

    assert not raised.value.transient
    assert raised.value.status_code == 422
    assert raised.value.message == "The provider rejected the request: - input.images: Invalid type. Expected: array"


def test_a_bad_token_is_permanent(rep, replicate_emulator):
    replicate_emulator.fail(
        "create", status=401, json={"title": "Unauthenticated", "detail": "You did not pass a valid token"}
    )

    with pytest.raises(ProviderError) as raised:
        submit(rep)

    assert not raised.value.transient
    assert "refused our credentials (HTTP 401)" in raised.value.message


def test_cancel_a_running_prediction(rep, replicate_emulator):
    request_id = submit(rep).request_id

    rep.cancel(endpoint_id=TRELLIS, request_id=request_id)

    assert replicate_emulator.prediction(request_id)["status"] == "canceled"
    assert rep.status(endpoint_id=TRELLIS, request_id=request_id).state == "cancelled"


def test_cancel_after_it_finished_is_quiet(rep, replicate_emulator):
    request_id = submit(rep).request_id
    replicate_emulator.set_status(request_id, "succeeded")

    rep.cancel(endpoint_id=TRELLIS, request_id=request_id)
    replicate_emulator.fail("cancel", status=409, json={"detail": "Prediction is already complete"})
    rep.cancel(endpoint_id=TRELLIS, request_id=request_id)

    assert replicate_emulator.prediction(request_id)["status"] == "succeeded"


def test_cancel_errors_on_an_unfinished_prediction_are_raised(rep, replicate_emulator):
    request_id = submit(rep).request_id
    replicate_emulator.fail("cancel", status=500)

    with pytest.raises(ProviderError) as raised:
        rep.cancel(endpoint_id=TRELLIS, request_id=request_id)

    assert raised.value.transient


def test_parse_webhook_reads_the_prediction(rep, replicate_emulator):
    request_id = submit(rep).request_id
    prediction = replicate_emulator.set_status(request_id, "succeeded", output=["https://replicate.delivery/a.mp4"])

    event = rep.parse_webhook(prediction)

    assert event.request_id == request_id
    assert event.status.state == "succeeded"
    assert event.status.output == {"output": ["https://replicate.delivery/a.mp4"]}


def test_parse_webhook_of_an_aborted_prediction():
    event = ReplicateAdapter(client=object()).parse_webhook({"id": "p1", "status": "aborted", "model": "a/b"})

    assert event.status.state == "failed"


@pytest.mark.parametrize(
    "payload",
    [{"status": "succeeded"}, {"id": "", "status": "succeeded"}, {"id": "p1"}, {"id": "p1", "status": "exploded"}, []],
)
def test_parse_webhook_rejects_malformed_bodies(payload):
    with pytest.raises(WebhookRejected):
        ReplicateAdapter(client=object()).parse_webhook(payload)
