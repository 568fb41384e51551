"""A scripted fake of xAI's chat completions endpoint at the HTTP layer.

``POST {XAI_BASE_URL}/chat/completions`` answers the queued ``reply`` texts in order, then
``default_reply``, and records each request body in ``requests``. A request with ``stream`` is
answered as server-sent events, a few characters a chunk, ending ``data: [DONE]``; a reply queued
with ``cut_after=n`` breaks the connection after n chunks instead (a stream cut by the provider). Every body is checked against
the chat contract (``providers.contracts.xai_chat_completions``) first: one it refuses is answered
400 with xAI's ``{"code": ..., "error": ...}``. ``tests.tls_emulator`` serves ``_chat`` on a socket.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

from providers.contracts import contract_for
from tests.fal_emulator import Fault, Faults, InputCheck

INVALID_ARGUMENT = "Client specified an invalid argument"


class XaiEmulator:
    def __init__(self, base_url: str):
        self.replies: list[dict] = []
        self.default_reply = "OK"
        self.requests: list[dict] = []
        self.rejected: list[tuple[dict, list[dict]]] = []
        self.input_check: InputCheck | None = None
        self.faults = Faults({"chat"})
        self.router = respx.MockRouter(assert_all_mocked=True, assert_all_called=False)
        self.route = self.router.post(f"{base_url}/chat/completions").mock(side_effect=self._chat)

    def __enter__(self) -> XaiEmulator:
        self.router.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.router.stop()

    def reply(self, text: str, *, usage: dict | None = None, cut_after: int | None = None) -> None:
        self.replies.append({"text": text, "usage": usage, "cut_after": cut_after})

    def fail(
        self,
        *,
        status: int = 500,
        json: Any = None,
        text: str | None = None,
        exception: type[Exception] | Exception | None = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Without ``json``/``text`` the body is xAI's ``{"code": ..., "error": ...}``."""
        if json is None and text is None and exception is None:
            phrase = httpx.codes.get_reason_phrase(status)
            json = {"code": phrase, "error": phrase}
        return self.faults.add(Fault("chat", status, json, text, exception, headers or {}, times))

    def _chat(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if fault := self.faults.take("chat"):
            return fault.answer(request)
        contract = contract_for("xai", "chat/completions")
        assert contract is not None
        errors = contract.errors(body)
        if not errors and self.input_check is not None:
            errors = self.input_check.check(body)
        if errors:
            self.rejected.append((body, errors))
            words = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
            return httpx.Response(400, json={"code": INVALID_ARGUMENT, "error": words})
        reply = self.replies.pop(0) if self.replies else {"text": self.default_reply, "usage": None}
        if body.get("stream"):
            return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=_events(body, reply))
        answer = contract.sample_output(body, None, reply["text"])  # type: ignore[call-arg, arg-type]
        if reply["usage"]:
            answer["usage"] = reply["usage"]
        return httpx.Response(200, json=answer)


def _events(body: dict, reply: dict):
    """The reply as xAI's stream: ``chat.completion.chunk`` deltas, a usage chunk, ``[DONE]``."""
    text = reply["text"]
    pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
    usage = reply.get("usage") or {"prompt_tokens": 200, "completion_tokens": max(1, len(text) // 4)}
    for sent, piece in enumerate(pieces):
        if reply.get("cut_after") is not None and sent >= reply["cut_after"]:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "model": body["model"],
            "choices": [{"index": 0, "delta": {"content": piece}}],
        }
        yield f"data: {json.dumps(chunk)}\n\n".encode()
    if reply.get("cut_after") is not None:
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    yield f"data: {json.dumps({'id': 'c1', 'choices': [], 'usage': usage})}\n\n".encode()
    yield b"data: [DONE]\n\n"
