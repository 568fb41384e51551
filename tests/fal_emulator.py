"""A programmable fake of fal.ai at the HTTP layer, so the real ``fal_client`` runs in tests.

A ``respx`` router answers fal's queue protocol on the queue host fal_client was configured with
(``fal_client.client.QUEUE_URL_FORMAT``: the TLS emulator's ``127.0.0.1:<port>`` in this test run,
see ``tests.tls_setup``), serves output files on ``https://v3.fal.media/files/...`` (for code that
downloads results with plain httpx), and publishes a JWKS for an Ed25519 key it signs webhooks
with. respx patches httpx below fal_client's ``BackupDomainTransport``, so the client's own URL
building, retries, status parsing and error handling all run. Any other host raises, so a test
can't reach the internet by accident. ``tests.tls_emulator`` serves the same handlers on a real
socket.

Every submitted body is checked against the endpoint's contract (``providers.contracts``): a field
fal's schema doesn't have, a missing required one or a value outside an enum is answered 422 with
FastAPI's ``{"detail": [{"loc": ["body", field], "msg", "type"}]}``, as fal does; an endpoint with
no contract is answered 404.

    emu.behave("fal-ai/seedvr/upscale/image", queue_positions=(3,), result={...})
    emu.fail("status", status=429, times=None)          # every status call is rate limited
    body, headers = emu.completion_webhook(request_id)  # a signed delivery to POST to our view

Each status poll moves a request one step: IN_QUEUE at each of ``queue_positions``, then
IN_PROGRESS, then COMPLETED for good. ``complete(request_id)`` jumps to the end. The payloads
carry ``queue_position`` and ``logs`` the way fal's do (fal_client indexes both).

The ``fal_emulator`` fixture (``tests/provider_fixtures.py``) runs one for the test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import fal_client.client
import httpx
import respx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image

from providers.contracts import Contract, contract_for

QUEUE_URL = fal_client.client.QUEUE_URL_FORMAT.rstrip("/")  # https://queue.fal.run, unless configured
BACKUP_QUEUE_HOST = "queue.falrun.com"  # fal_client retries a failed connection here
CDN_ORIGIN = "https://v3.fal.media"
DEFAULT_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
USER_ID = "fal-user-test"

_REQUEST_PATH = re.compile(r"^/(?P<app>[^/]+/[^/]+)/requests/(?P<request_id>[^/]+)(?P<action>/status|/cancel)?/?$")


def png_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (212, 140, 96)) -> bytes:
    """A small real PNG, for output files that other code decodes."""
    return image_bytes(size, "image/png", color)


def image_bytes(size: tuple[int, int], content_type: str, color: tuple[int, int, int] = (212, 140, 96)) -> bytes:
    """A real image of that size and type (PNG, JPEG or WebP)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=content_type.removeprefix("image/").upper())
    return buffer.getvalue()


@dataclass
class InputCheck:
    """What an emulator does with a request's input before accepting it (the TLS emulator fetches
    every URL in it, as the provider would): ``check(body)`` returns error items ``{"loc", "msg",
    "type"}`` with ``loc`` inside the body, and
    ``sizes`` remembers the pixel size of each input image it fetched, by URL."""

    check: Any  # Callable[[Any], list[dict]]
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)


# --- Faults (shared with the Replicate emulator) --------------------------------------------------


@dataclass
class Fault:
    """One programmed failure: an HTTP answer (``status`` with ``json`` or raw ``text``) or an
    exception raised in the transport (``httpx.ReadTimeout``, ``httpx.ConnectError`` …)."""

    operation: str
    status: int = 500
    json: Any = None
    text: str | None = None
    exception: type[Exception] | Exception | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1  # None: every time
    endpoint_id: str | None = None  # None: any endpoint
    hits: int = 0

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.hits += 1
        if self.times is not None:
            self.times -= 1
        if isinstance(self.exception, type):
            raise self.exception(f"emulated {self.exception.__name__}", request=request)  # type: ignore[call-arg]
        if self.exception is not None:
            raise self.exception
        if self.text is not None:
            return httpx.Response(self.status, text=self.text, headers=self.headers)
        return httpx.Response(self.status, json=self.json, headers=self.headers)


class Faults:
    def __init__(self, operations: set[str]):
        self.operations = operations
        self.programmed: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.operation not in self.operations:
            raise ValueError(f"{fault.operation!r} is not one of {sorted(self.operations)}")
        self.programmed.append(fault)
        return fault

    def take(self, operation: str, endpoint_id: str | None = None) -> Fault | None:
        for fault in self.programmed:
            if fault.operation != operation or fault.times == 0:
                continue
            if fault.endpoint_id is None or endpoint_id is None or fault.endpoint_id == endpoint_id:
                return fault
        return None


# --- Requests ---------------------------------------------------------------------------------------


@dataclass
class FalBehaviour:
    """How requests to one endpoint go.

    ``error`` makes the request finish COMPLETED with that ``error`` (as fal reports a failed run);
    its result then answers ``error_status`` with ``{"detail": error_detail or error}``.
    ``result=None`` means an image result whose file the emulator serves."""

    queue_positions: tuple[int, ...] = (0,)
    progress_logs: tuple[str, ...] = ("Loading model", "Running inference")
    result: dict | None = None
    error: str | None = None
    error_type: str | None = None
    error_status: int = 500
    error_detail: Any = None


@dataclass
class FalRequest:
    request_id: str
    endpoint_id: str  # as submitted, with any subpath: "fal-ai/seedvr/upscale/image"
    arguments: Any
    webhook_url: str | None
    headers: dict[str, str]
    behaviour: FalBehaviour
    result: dict | None
    gateway_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    step: int = 0
    polls: int = 0
    cancelled: bool = False

    @property
    def app(self) -> str:
        """owner/alias: the part of the endpoint id fal's status, result and cancel URLs use."""
        return "/".join(self.endpoint_id.split("/")[:2])

    @property
    def urls(self) -> dict[str, str]:
        base = f"{QUEUE_URL}/{self.app}/requests/{self.request_id}"
        return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}

    @property
    def steps(self) -> int:
        return len(self.behaviour.queue_positions) + 1  # then COMPLETED

    @property
    def completed(self) -> bool:
        return self.cancelled or self.step >= self.steps

    @property
    def error(self) -> str | None:
        return "Request cancelled by the user" if self.cancelled else self.behaviour.error


class FalEmulator:
    """``files_origin`` is where output files are served; ``sample_outputs`` answers each request
    with its contract's sample output (realistic sizes and shapes) instead of one small PNG;
    ``input_check`` (see ``InputCheck``) and ``on_submit`` (called with each accepted request) let
    the TLS emulator fetch inputs and deliver webhooks."""

    def __init__(
        self,
        *,
        jwks_url: str = DEFAULT_JWKS_URL,
        user_id: str = USER_ID,
        files_origin: str = CDN_ORIGIN,
        sample_outputs: bool = False,
    ):
        self.jwks_url = jwks_url
        self.files_origin = files_origin
        self.sample_outputs = sample_outputs
        self.input_check: InputCheck | None = None
        self.on_submit: Any = None  # Callable[[FalRequest], None]
        self.rejected: list[tuple[str, Any, list[dict]]] = []  # (endpoint id, body, errors) of refused submits
        self.user_id = user_id
        self.behaviours: dict[str, FalBehaviour] = {}
        self.requests: list[FalRequest] = []
        self.files: dict[str, tuple[int, bytes, str]] = {}
        self.faults = Faults({"submit", "status", "result", "cancel"})
        self.signing_key = Ed25519PrivateKey.generate()
        self.published_keys: list[Ed25519PrivateKey] = [self.signing_key]
        self.jwks_failure: int | type[Exception] | None = None  # an HTTP status or an exception to raise
        self.router = respx.MockRouter(assert_all_mocked=True, assert_all_called=False)
        self.router.route(url__startswith=f"{QUEUE_URL}/").mock(side_effect=self._queue)
        self.router.route(host=BACKUP_QUEUE_HOST).mock(side_effect=self._queue)
        self.router.route(url__startswith=f"{CDN_ORIGIN}/files/").mock(side_effect=self._file)
        self.jwks_route = self.router.get(jwks_url).mock(side_effect=self._jwks)

    def __enter__(self) -> FalEmulator:
        self.router.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.router.stop()

    # --- Programming ------------------------------------------------------------------------------

    def behave(self, endpoint_id: str, **behaviour: Any) -> FalBehaviour:
        """How the next requests to ``endpoint_id`` go (see ``FalBehaviour``)."""
        self.behaviours[endpoint_id] = FalBehaviour(**behaviour)
        return self.behaviours[endpoint_id]

    def fail(
        self,
        operation: str,
        *,
        status: int = 500,
        json: Any = None,
        text: str | None = None,
        exception: type[Exception] | Exception | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        endpoint_id: str | None = None,
    ) -> Fault:
        """Make the next ``times`` calls of ``operation`` (submit, status, result, cancel) fail.
        Without ``json``/``text`` the body is fal's ``{"detail": "<reason phrase>"}``. Note that
        fal_client itself retries 408/409/429 and timeouts (the fixture allows two attempts)."""
        if json is None and text is None and exception is None:
            json = {"detail": httpx.codes.get_reason_phrase(status)}
        fault = Fault(operation, status, json, text, exception, headers or {}, times, endpoint_id)
        return self.faults.add(fault)

    def complete(self, request_id: str) -> FalRequest:
        request = self.request(request_id)
        request.step = request.steps
        return request

    def advance(self, request_id: str, steps: int = 1) -> FalRequest:
        request = self.request(request_id)
        request.step = min(request.step + steps, request.steps)
        return request

    def add_file(self, name: str, content: bytes | None = None, content_type: str = "image/png") -> str:
        """Serve ``content`` (a PNG by default) at ``<files_origin>/files/<name>``; returns that URL."""
        self.files[name] = (200, png_bytes() if content is None else content, content_type)
        return self.file_url(name)

    def expire_file(self, url_or_name: str, status: int = 404) -> None:
        """The file now answers ``status`` (404 or 403), as fal's CDN does once media has expired."""
        name = url_or_name.rsplit("/files/", 1)[-1]
        _, content, content_type = self.files.get(name, (200, b"", "application/octet-stream"))
        self.files[name] = (status, content, content_type)

    def file_url(self, name: str) -> str:
        return f"{self.files_origin}/files/{name}"

    # --- Looking ----------------------------------------------------------------------------------

    def request(self, request_id: str) -> FalRequest:
        for request in self.requests:
            if request.request_id == request_id:
                return request
        raise KeyError(request_id)

    @property
    def last(self) -> FalRequest:
        return self.requests[-1]

    @property
    def jwks_fetches(self) -> int:
        return self.jwks_route.call_count

    # --- Webhooks ---------------------------------------------------------------------------------

    def webhook_body(self, request_id: str) -> dict:
        """The JSON fal POSTs to the webhook URL when the request finishes."""
        request = self.request(request_id)
        body: dict[str, Any] = {"request_id": request_id, "gateway_request_id": request.gateway_request_id}
        if request.error:
            detail = request.behaviour.error_detail or request.error
            return {**body, "status": "ERROR", "error": request.error, "payload": {"detail": detail}}
        return {**body, "status": "OK", "payload": request.result}

    def signed_webhook(
        self,
        request_id: str,
        payload: dict,
        *,
        user_id: str | None = None,
        timestamp: float | None = None,
        tamper: bool = False,
        key: Ed25519PrivateKey | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """``payload`` (the whole webhook JSON) signed the way fal signs it: ``(body, headers)``.
        ``tamper`` changes the body after signing; ``key`` signs with another key."""
        user_id = self.user_id if user_id is None else user_id
        sent_at = str(int(time.time() if timestamp is None else timestamp))
        body = json.dumps(payload).encode()
        message = "\n".join([request_id, user_id, sent_at, hashlib.sha256(body).hexdigest()]).encode()
        signature = (key or self.signing_key).sign(message).hex()
        if tamper:
            body = json.dumps({**payload, "status": "OK", "payload": {"tampered": True}}).encode()
        headers = {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": user_id,
            "X-Fal-Webhook-Timestamp": sent_at,
            "X-Fal-Webhook-Signature": signature,
            "Content-Type": "application/json",
        }
        return body, headers

    def completion_webhook(self, request_id: str, **options: Any) -> tuple[bytes, dict[str, str]]:
        """The signed webhook for a request's outcome (marks it completed)."""
        self.complete(request_id)
        return self.signed_webhook(request_id, self.webhook_body(request_id), **options)

    def rotate_key(self, *, publish: bool = True) -> Ed25519PrivateKey:
        """Sign with a new key from now on; ``publish`` adds it to the JWKS (next to the old one)."""
        self.signing_key = Ed25519PrivateKey.generate()
        if publish:
            self.published_keys.append(self.signing_key)
        return self.signing_key

    def jwks(self) -> dict:
        return {"keys": [_jwk(key, index) for index, key in enumerate(self.published_keys)]}

    # --- HTTP -------------------------------------------------------------------------------------

    def _queue(self, request: httpx.Request) -> httpx.Response:
        match = _REQUEST_PATH.match(request.url.path)
        if match is None and request.method == "POST":
            return self._submit(request)
        if match is None:
            return httpx.Response(404, json={"detail": "Not found"})
        try:
            fal_request = self.request(match["request_id"])
        except KeyError:
            return httpx.Response(404, json={"detail": "Request not found"})
        if fal_request.app != match["app"]:
            return httpx.Response(404, json={"detail": "Request not found"})
        if match["action"] == "/status" and request.method == "GET":
            return self._status(request, fal_request)
        if match["action"] == "/cancel" and request.method == "PUT":
            return self._cancel(request, fal_request)
        if match["action"] is None and request.method == "GET":
            return self._result(request, fal_request)
        return httpx.Response(405, json={"detail": "Method not allowed"})

    def _submit(self, request: httpx.Request) -> httpx.Response:
        endpoint_id = request.url.path.strip("/")
        if fault := self.faults.take("submit", endpoint_id):
            return fault.answer(request)
        arguments = json.loads(request.content or b"null")
        contract = contract_for("fal", endpoint_id)
        if contract is None:
            return httpx.Response(404, json={"detail": f"No contract for {endpoint_id!r}: add providers/contracts/"})
        if refused := self._refusal(endpoint_id, contract, arguments):
            return refused
        behaviour = self.behaviours.get(endpoint_id) or FalBehaviour()
        request_id = str(uuid.uuid4())
        result = behaviour.result
        if result is None and not behaviour.error:
            if self.sample_outputs:
                result = contract.sample_output(arguments, _Files(self, request_id))
            else:
                result = self._image_result(request_id)
        webhook = parse_qs(request.url.query.decode()).get("fal_webhook", [None])[0]
        fal_request = FalRequest(
            request_id=request_id,
            endpoint_id=endpoint_id,
            arguments=arguments,
            webhook_url=webhook,
            headers=dict(request.headers),
            behaviour=behaviour,
            result=result,
        )
        self.requests.append(fal_request)
        body = {"request_id": request_id, **fal_request.urls}
        if behaviour.queue_positions:
            body["queue_position"] = behaviour.queue_positions[0]
        if webhook:
            body["gateway_request_id"] = fal_request.gateway_request_id
        if self.on_submit is not None:
            self.on_submit(fal_request)
        return httpx.Response(200, json=body)

    def _refusal(self, endpoint_id: str, contract: Contract, arguments: Any) -> httpx.Response | None:
        """fal's 422 for a body its schema refuses, or for an input URL it couldn't fetch."""
        errors = contract.errors(arguments)
        if not errors and self.input_check is not None:
            errors = self.input_check.check(arguments)
        if not errors:
            return None
        errors = [{**error, "loc": ["body", *error["loc"]]} for error in errors]
        self.rejected.append((endpoint_id, arguments, errors))
        return httpx.Response(422, json={"detail": errors})

    def _status(self, request: httpx.Request, fal_request: FalRequest) -> httpx.Response:
        if fault := self.faults.take("status", fal_request.endpoint_id):
            return fault.answer(request)
        fal_request.polls += 1
        with_logs = request.url.params.get("logs") in ("1", "true", "True")
        body = self._status_body(fal_request, with_logs)
        if not fal_request.completed:
            fal_request.step += 1
        return httpx.Response(200, json=body)

    def _status_body(self, fal_request: FalRequest, with_logs: bool) -> dict:
        behaviour = fal_request.behaviour
        urls = fal_request.urls
        if not fal_request.completed and fal_request.step < len(behaviour.queue_positions):
            position = behaviour.queue_positions[fal_request.step]
            return {"status": "IN_QUEUE", "queue_position": position, "logs": None, **urls}
        logs = [_log(message) for message in behaviour.progress_logs] if with_logs else None
        if not fal_request.completed:
            return {"status": "IN_PROGRESS", "logs": logs, **urls}
        body: dict[str, Any] = {"status": "COMPLETED", "logs": logs, "metrics": {"inference_time": 1.25}, **urls}
        if fal_request.error:
            body.update(error=fal_request.error, error_type=behaviour.error_type)
        return body

    def _result(self, request: httpx.Request, fal_request: FalRequest) -> httpx.Response:
        if fault := self.faults.take("result", fal_request.endpoint_id):
            return fault.answer(request)
        if not fal_request.completed:
            return httpx.Response(400, json={"detail": "Request is still in progress"})
        if fal_request.cancelled:
            return httpx.Response(400, json={"detail": fal_request.error})
        if fal_request.error:
            detail = fal_request.behaviour.error_detail or fal_request.error
            return httpx.Response(fal_request.behaviour.error_status, json={"detail": detail})
        return httpx.Response(200, json=fal_request.result, headers={"x-fal-request-id": fal_request.request_id})

    def _cancel(self, request: httpx.Request, fal_request: FalRequest) -> httpx.Response:
        if fault := self.faults.take("cancel", fal_request.endpoint_id):
            return fault.answer(request)
        if fal_request.completed:
            return httpx.Response(400, json={"status": "ALREADY_COMPLETED"})
        fal_request.cancelled = True
        return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})

    def _file(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.split("/files/", 1)[-1]
        status, content, content_type = self.files.get(name, (404, b"", "text/plain"))
        if status != 200:
            return httpx.Response(status, text="File not found" if status == 404 else "Access denied")
        return httpx.Response(200, content=content, headers={"Content-Type": content_type})

    def _jwks(self, request: httpx.Request) -> httpx.Response:
        if isinstance(self.jwks_failure, type):
            raise self.jwks_failure("emulated JWKS failure", request=request)  # type: ignore[call-arg]
        if self.jwks_failure is not None:
            return httpx.Response(self.jwks_failure, text="unavailable")
        return httpx.Response(200, json=self.jwks())

    def _image_result(self, request_id: str) -> dict:
        content = png_bytes()
        name = f"{request_id[:8]}/output.png"
        url = self.add_file(name, content)
        return {
            "image": {
                "url": url,
                "content_type": "image/png",
                "file_name": "output.png",
                "file_size": len(content),
                "width": 64,
                "height": 48,
            },
            "seed": 42,
        }


class _Files:
    """Files a contract's sample output makes, served by the emulator under the request's folder."""

    def __init__(self, emulator: FalEmulator, request_id: str):
        self.emulator = emulator
        self.folder = request_id[:8]
        self.count = 0

    def image(self, *, width: int, height: int, content_type: str = "image/jpeg") -> dict:
        self.count += 1
        extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[content_type]
        described = self.file(
            f"output-{self.count}.{extension}", image_bytes((width, height), content_type), content_type
        )
        return {**described, "width": width, "height": height}

    def file(self, name: str, content: bytes, content_type: str) -> dict:
        url = self.emulator.add_file(f"{self.folder}/{name}", content, content_type)
        return {"url": url, "content_type": content_type, "file_name": name, "file_size": len(content)}

    def source_size(self, url: str) -> tuple[int, int] | None:
        check = self.emulator.input_check
        return check.sizes.get(url) if check else None


def _log(message: str) -> dict:
    return {"message": message, "level": "INFO", "source": "user", "timestamp": "2026-01-01T00:00:00.000000"}


def _jwk(key: Ed25519PrivateKey, index: int) -> dict:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": f"test-key-{index}", "use": "sig", "alg": "EdDSA"}
