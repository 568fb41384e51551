"""A programmable fake of Replicate's predictions API at the HTTP layer, so the real ``replicate``
client runs in tests.

A ``respx`` router answers ``https://api.replicate.com/v1/predictions`` (create, get, cancel) and
``/v1/models/{owner}/{name}/predictions`` (official models), and serves output files on
``https://replicate.delivery/...``. Every prediction carries ``id``, ``model``, ``version``,
``status`` and ``urls``, which the client's model requires.

    emu.behave("firtoz/trellis:e8f6…", statuses=("starting", "processing", "succeeded"), output={...})
    emu.set_status(prediction_id, "aborted")            # what the client library can't parse
    body, headers = emu.signed_webhook(emu.prediction(prediction_id))

Each GET moves a prediction one step along its ``statuses``; the last one sticks.

Every create is checked against the model version's contract (``providers.contracts``): an input
the model's schema refuses is answered 422 with problem details listing ``invalid_fields``, as
Replicate does; a version with no contract is answered 422 "Invalid version or not permitted".
``api_origin`` and ``files_origin`` let ``tests.tls_emulator`` serve the same handlers on a socket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

import httpx
import respx

from providers.contracts import replicate_contract
from tests.fal_emulator import Fault, Faults, InputCheck, png_bytes

API_HOST = "api.replicate.com"
FILES_HOST = "replicate.delivery"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"personae-test-replicate-secret!!").decode()
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}

_PREDICTION_PATH = re.compile(r"^/v1/predictions/(?P<id>[a-z0-9]+)(?P<cancel>/cancel)?/?$")
_MODEL_PREDICTIONS_PATH = re.compile(r"^/v1/models/(?P<model>[^/]+/[^/]+)/predictions/?$")


@dataclass
class ReplicateBehaviour:
    """How predictions of one model go: one status per GET; ``output`` once succeeded
    (``None``: the URL of a PNG the emulator serves), ``error`` once failed."""

    statuses: tuple[str, ...] = ("starting", "processing", "succeeded")
    output: Any = None
    error: str | None = None
    logs: str = "Loading model\nRunning prediction\n"


@dataclass
class Prediction:
    data: dict  # the JSON the API answers
    behaviour: ReplicateBehaviour
    step: int = 0
    polls: int = 0
    headers: dict[str, str] | None = None


class ReplicateEmulator:
    """``sample_outputs``: a prediction's output is its contract's sample output; ``input_check``
    and ``on_create`` (called with each accepted prediction) are the TLS emulator's hooks."""

    def __init__(
        self,
        *,
        webhook_secret: str = WEBHOOK_SECRET,
        api_origin: str = f"https://{API_HOST}",
        files_origin: str = f"https://{FILES_HOST}",
        sample_outputs: bool = False,
    ):
        self.webhook_secret = webhook_secret
        self.api_origin = api_origin
        self.files_origin = files_origin
        self.sample_outputs = sample_outputs
        self.input_check: InputCheck | None = None
        self.on_create: Any = None  # Callable[[Prediction], None]
        self.behaviours: dict[str, ReplicateBehaviour] = {}
        self.models: dict[str, str] = {}  # version hash -> owner/name
        self.predictions: dict[str, Prediction] = {}
        self.created: list[dict] = []  # every create request body, failed ones too
        self.files: dict[str, tuple[int, bytes, str]] = {}
        self.faults = Faults({"create", "get", "cancel", "account"})
        self.router = respx.MockRouter(assert_all_mocked=True, assert_all_called=False)
        self.router.route(host=API_HOST).mock(side_effect=self._api)
        self.router.route(host=FILES_HOST).mock(side_effect=self._file)

    def __enter__(self) -> ReplicateEmulator:
        self.router.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.router.stop()

    # --- Programming ------------------------------------------------------------------------------

    def behave(self, endpoint_id: str, **behaviour: Any) -> ReplicateBehaviour:
        """How predictions of ``owner/name[:version]`` go (see ``ReplicateBehaviour``)."""
        model, _, version = endpoint_id.partition(":")
        self.behaviours[model] = ReplicateBehaviour(**behaviour)
        if version:
            self.models[version] = model
        return self.behaviours[model]

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
    ) -> Fault:
        """Make the next ``times`` calls of ``operation`` (create, get, cancel, account) fail. Without
        ``json``/``text`` the body is Replicate's problem details. 429 and 503 answers carry
        ``Retry-After: 0``, so the client's own retries of GETs don't sleep."""
        if json is None and text is None and exception is None:
            phrase = httpx.codes.get_reason_phrase(status)
            json = {"title": phrase, "detail": phrase, "status": status}
        headers = dict(headers or {})
        if status in (429, 503, 504):
            headers.setdefault("Retry-After", "0")
        return self.faults.add(Fault(operation, status, json, text, exception, headers, times))

    def set_status(self, prediction_id: str, status: str, **fields: Any) -> dict:
        """Put a prediction in ``status`` now (``aborted`` too), with any other fields."""
        prediction = self.predictions[prediction_id]
        prediction.step = len(prediction.behaviour.statuses)
        self._apply(prediction, status)
        prediction.data.update(fields)
        return prediction.data

    def add_file(self, name: str, content: bytes | None = None, content_type: str = "image/png") -> str:
        self.files[name] = (200, png_bytes() if content is None else content, content_type)
        return f"{self.files_origin}/{name}"

    def expire_file(self, url_or_name: str, status: int = 404) -> None:
        name = url_or_name.removeprefix(f"{self.files_origin}/")
        _, content, content_type = self.files.get(name, (200, b"", "application/octet-stream"))
        self.files[name] = (status, content, content_type)

    # --- Looking ----------------------------------------------------------------------------------

    def prediction(self, prediction_id: str) -> dict:
        return self.predictions[prediction_id].data

    @property
    def last(self) -> dict:
        return next(reversed(self.predictions.values())).data

    # --- Webhooks ---------------------------------------------------------------------------------

    def signed_webhook(
        self,
        prediction: dict,
        *,
        secret: str | None = None,
        timestamp: float | None = None,
        webhook_id: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """``prediction`` signed the Standard Webhooks way Replicate does: ``(body, headers)``."""
        secret = self.webhook_secret if secret is None else secret
        webhook_id = webhook_id or f"msg_{secrets.token_hex(12)}"
        sent_at = str(int(time.time() if timestamp is None else timestamp))
        body = json.dumps(prediction).encode()
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{webhook_id}.{sent_at}.".encode() + body, hashlib.sha256).digest()
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": sent_at,
            "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
            "Content-Type": "application/json",
        }
        return body, headers

    # --- HTTP -------------------------------------------------------------------------------------

    def _api(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.rstrip("/") == "/v1/predictions":
            return self._create(request, None)
        if request.method == "POST" and (match := _MODEL_PREDICTIONS_PATH.match(path)):
            return self._create(request, match["model"])
        if request.method == "GET" and path.rstrip("/") == "/v1/account":
            return self._account(request)
        match = _PREDICTION_PATH.match(path)
        if match is None:
            return _problem(404, "Not found")
        prediction = self.predictions.get(match["id"])
        if match["cancel"] and request.method == "POST":
            return self._cancel(request, prediction)
        if not match["cancel"] and request.method == "GET":
            return self._get(request, prediction)
        return _problem(405, "Method not allowed")

    def _create(self, request: httpx.Request, model: str | None) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.created.append(body)
        if fault := self.faults.take("create"):
            return fault.answer(request)
        if model is None:
            requested = str(body.get("version") or "")
            model, version = self._model_and_version(requested)
            by_name = "/" in requested and ":" not in requested  # "owner/name": its latest version
            contract = replicate_contract(model=model) if by_name else replicate_contract(version=version)
        else:
            version = hashlib.sha256(model.encode()).hexdigest()
            contract = replicate_contract(model=model)
        if not model or contract is None:
            return _problem(422, "Invalid version or not permitted")
        model = contract.endpoint_id.partition(":")[0]
        if refused := self._refusal(contract.errors(body.get("input")), body.get("input")):
            return refused
        behaviour = self.behaviours.get(model) or ReplicateBehaviour()
        prediction_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(26))
        base = f"{self.api_origin}/v1/predictions/{prediction_id}"
        data = {
            "id": prediction_id,
            "model": model,
            "version": version,
            "input": body.get("input") or {},
            "output": None,
            "logs": "",
            "error": None,
            "status": "starting",
            "created_at": _now(),
            "started_at": None,
            "completed_at": None,
            "data_removed": False,
            "source": "api",
            "metrics": {},
            "urls": {
                "get": base,
                "cancel": f"{base}/cancel",
                "stream": f"https://stream.replicate.com/v1/files/{prediction_id}",
                "web": f"https://replicate.com/p/{prediction_id}",
            },
        }
        for key in ("webhook", "webhook_events_filter"):
            if key in body:
                data[key] = body[key]
        prediction = Prediction(data=data, behaviour=behaviour, headers=dict(request.headers))
        if behaviour.output is None and self.sample_outputs:
            behaviour = prediction.behaviour = ReplicateBehaviour(**{**behaviour.__dict__})
            behaviour.output = contract.sample_output(data["input"], _Files(self, prediction_id))
        self.predictions[prediction_id] = prediction
        self._apply(prediction, behaviour.statuses[0])
        if self.on_create is not None:
            self.on_create(prediction)
        return httpx.Response(201, json=data)

    def _refusal(self, errors: list[dict], arguments: Any) -> httpx.Response | None:
        """Replicate's 422 for an input its schema refuses, or with an input URL it couldn't fetch."""
        if not errors and self.input_check is not None:
            errors = self.input_check.check(arguments)
        if not errors:
            return None
        fields = [
            {"type": e["type"], "field": ".".join(str(p) for p in e["loc"]) or "input", "description": e["msg"]}
            for e in errors
        ]
        detail = "\n".join(f"- {f['field']}: {f['description']}" for f in fields)
        return httpx.Response(
            422,
            json={"title": "Input validation failed", "detail": detail, "status": 422, "invalid_fields": fields},
        )

    def _model_and_version(self, version: str) -> tuple[str, str]:
        if ":" in version:
            model, _, version = version.partition(":")
            return model, version
        if "/" in version:
            return version, hashlib.sha256(version.encode()).hexdigest()
        return self.models.get(version, "replicate/unknown-model"), version

    def _account(self, request: httpx.Request) -> httpx.Response:
        if fault := self.faults.take("account"):
            return fault.answer(request)
        return httpx.Response(200, json={"type": "organization", "username": "personae-test", "name": "Personae test"})

    def _get(self, request: httpx.Request, prediction: Prediction | None) -> httpx.Response:
        if fault := self.faults.take("get"):
            return fault.answer(request)
        if prediction is None:
            return _problem(404, "Not found")
        prediction.polls += 1
        statuses = prediction.behaviour.statuses
        if prediction.step < len(statuses):
            self._apply(prediction, statuses[prediction.step])
            prediction.step += 1
        return httpx.Response(200, json=prediction.data)

    def _cancel(self, request: httpx.Request, prediction: Prediction | None) -> httpx.Response:
        if fault := self.faults.take("cancel"):
            return fault.answer(request)
        if prediction is None:
            return _problem(404, "Not found")
        if prediction.data["status"] not in TERMINAL:
            prediction.step = len(prediction.behaviour.statuses)
            self._apply(prediction, "canceled")
        return httpx.Response(200, json=prediction.data)

    def _apply(self, prediction: Prediction, status: str) -> None:
        data = prediction.data
        behaviour = prediction.behaviour
        data["status"] = status
        if status != "starting":
            data["started_at"] = data["started_at"] or _now()
            data["logs"] = behaviour.logs
        if status in TERMINAL:
            data["completed_at"] = data["completed_at"] or _now()
        if status == "succeeded" and data["output"] is None:
            output = behaviour.output
            data["output"] = self.add_file(f"{data['id']}/output.png") if output is None else output
            data["metrics"] = {"predict_time": 2.5}
        if status == "failed":
            data["error"] = behaviour.error or "Prediction failed"

    def _file(self, request: httpx.Request) -> httpx.Response:
        name = str(request.url).removeprefix(f"{self.files_origin}/")
        status, content, content_type = self.files.get(name, (404, b"", "text/plain"))
        if status != 200:
            return httpx.Response(status, text="Not found" if status == 404 else "Forbidden")
        return httpx.Response(200, content=content, headers={"Content-Type": content_type})


class _Files:
    """Files a contract's sample output makes, served by the emulator under the prediction's folder."""

    def __init__(self, emulator: ReplicateEmulator, prediction_id: str):
        self.emulator = emulator
        self.prediction_id = prediction_id

    def image(self, *, width: int, height: int, content_type: str = "image/jpeg") -> dict:
        described = self.file(f"output.{content_type.split('/')[-1]}", png_bytes((width, height)), "image/png")
        return {**described, "width": width, "height": height}

    def file(self, name: str, content: bytes, content_type: str) -> dict:
        url = self.emulator.add_file(f"{self.prediction_id}/{name}", content, content_type)
        return {"url": url, "content_type": content_type, "file_name": name, "file_size": len(content)}

    def source_size(self, url: str) -> tuple[int, int] | None:
        check = self.emulator.input_check
        return check.sizes.get(url) if check else None


def _problem(status: int, detail: str) -> httpx.Response:
    return httpx.Response(
        status, json={"title": httpx.codes.get_reason_phrase(status), "detail": detail, "status": status}
    )


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
