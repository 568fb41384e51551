"""fal, Replicate and xAI on one real https socket, for contract tests over real HTTP and TLS.

The server is a stdlib ``ThreadingHTTPServer`` on the port ``tests.tls_setup`` reserved, with a
certificate from the test run's own CA (which ``SSL_CERT_FILE`` makes httpx trust). It turns each
request into an ``httpx.Request`` and hands it to the same handlers the ``respx`` emulators use,
by path:

    /files/...                fal's CDN (output files)
    /.well-known/jwks.json    fal's webhook keys (set FAL_JWKS_URL to it)
    /v1/...                   Replicate's API (REPLICATE_BASE_URL is the origin)
    /replicate-files/...      Replicate's output files
    /xai/v1/chat/completions  xAI (XAI_BASE_URL is ``<origin>/xai/v1``)
    anything else             fal's queue (fal_client's queue host is this socket)

On top of the emulators' contract checks it behaves like the providers in two more ways: it
**fetches every input URL** a request carries before accepting it (refusing, 422-style, a URL
that doesn't answer 200 or a ``data:`` URI over ``MAX_DATA_URI`` bytes), and it **delivers signed
webhooks** from a background thread ``webhook_delay`` seconds after a submit, finishing the
request first (fal: Ed25519 over the raw body, checked against the JWKS served here; Replicate:
Standard Webhooks HMAC). Output files are served with the sizes the request asked for.

    providers = TlsProviders.start()      # once per session: the socket stays open
    providers.reset()                     # fresh emulators (and their programming) per test
    providers.fal.behave("fal-ai/flux-lora", error="CUDA out of memory")
    providers.xai.reply("A caption.")
"""

from __future__ import annotations

import base64
import binascii
import io
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from tests import tls_setup
from tests.fal_emulator import FalEmulator, FalRequest, InputCheck
from tests.replicate_emulator import Prediction, ReplicateEmulator
from tests.xai_emulator import XaiEmulator

ORIGIN = tls_setup.ORIGIN
JWKS_URL = f"{ORIGIN}/.well-known/jwks.json"
XAI_BASE_URL = f"{ORIGIN}/xai/v1"
REPLICATE_FILES = f"{ORIGIN}/replicate-files"
MAX_DATA_URI = 1024 * 1024  # fal advises against large inline files; we refuse them
FETCH_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_URL_PREFIXES = ("http://", "https://", "data:")


class TlsProviders:
    def __init__(self, *, webhook_delay: float = 0.15):
        self.webhook_delay = webhook_delay
        self.lock = threading.RLock()  # the emulators' state is changed one request at a time
        self.server: _Server | None = None
        self.reset()

    @classmethod
    def start(cls, **options: Any) -> TlsProviders:
        providers = cls(**options)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_setup.SERVER_CERT, tls_setup.SERVER_KEY)
        providers.server = _Server(tls_setup.LISTENER, context, providers.handle)
        threading.Thread(target=providers.server.serve_forever, name="tls-emulator", daemon=True).start()
        return providers

    def stop(self) -> None:
        """Stop serving; the reserved socket stays open, so the port stays ours."""
        if self.server is not None:
            self.server.shutdown()
            self.server = None

    def reset(self) -> None:
        """New emulators, with nothing programmed, recorded or pending."""
        with self.lock:
            self.fal = FalEmulator(jwks_url=JWKS_URL, files_origin=ORIGIN, sample_outputs=True)
            self.replicate = ReplicateEmulator(api_origin=ORIGIN, files_origin=REPLICATE_FILES, sample_outputs=True)
            self.xai = XaiEmulator(XAI_BASE_URL)
            self.inputs = InputCheck(self._fetch_inputs)
            self.fal.input_check = self.replicate.input_check = self.xai.input_check = self.inputs
            self.fal.on_submit = self._fal_submitted
            self.replicate.on_create = self._replicate_created
            self.fetched: list[str] = []  # every input URL fetched (data URIs as "data:<type>")
            self.received: dict[str, bytes] = {}  # what each fetched URL answered
            self.deliveries: list[tuple[str, int]] = []  # (webhook URL, our answer's status)
            self.delivery_errors: list[str] = []
            self.delivering: list[threading.Thread] = []
            # A test that kills a worker mid-submit closes ``gate``: fal submits are recorded (the
            # request is queued, as at fal) and ``submitted`` is set, but the answer and the
            # webhook wait until the gate opens again.
            self.gate = threading.Event()
            self.gate.set()
            self.submitted = threading.Event()

    # --- Serving ------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._handle(request)
        if request.method == "POST" and self._is_fal_queue(request.url.path):
            self.submitted.set()
            self.gate.wait(60)
        return response

    @staticmethod
    def _is_fal_queue(path: str) -> bool:
        return not path.startswith(("/files/", "/.well-known/", "/replicate-files/", "/v1/", "/xai/"))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self.lock:
            if path.startswith("/files/"):
                return self.fal._file(request)
            if path == "/.well-known/jwks.json":
                return self.fal._jwks(request)
            if path.startswith("/replicate-files/"):
                return self.replicate._file(request)
            if path.startswith("/v1/"):
                return self.replicate._api(request)
            if path == "/xai/v1/chat/completions" and request.method == "POST":
                return self.xai._chat(request)
            return self.fal._queue(request)

    # --- Inputs, fetched as the provider would ----------------------------------------------------

    def _fetch_inputs(self, body: Any) -> list[dict]:
        errors = []
        for loc, url in _urls(body):
            if problem := self._fetch(url):
                errors.append({"loc": loc, "msg": problem, "type": "file_download_error"})
        return errors

    def _fetch(self, url: str) -> str | None:
        """Why ``url`` can't be read, or None; remembers the size of an image it read."""
        if url.startswith("data:"):
            head, _, encoded = url.partition(",")
            self.fetched.append(head.split(";")[0])
            if len(encoded) * 3 // 4 > MAX_DATA_URI:
                return f"The inline file is larger than {MAX_DATA_URI // 1024} KB; send a URL instead"
            try:
                content = base64.b64decode(encoded, validate=True) if head.endswith(";base64") else encoded.encode()
            except (binascii.Error, ValueError):
                return "The inline file is not valid base64"
        else:
            self.fetched.append(url)
            try:
                response = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=True)
            except httpx.HTTPError as exc:
                return f"Failed to download the file at {url}: {exc!r}"
            if response.status_code != 200:
                return f"Failed to download the file at {url}: HTTP {response.status_code}"
            content = response.content
            self.received[url] = content
        try:
            with Image.open(io.BytesIO(content)) as image:
                self.inputs.sizes[url] = image.size
        except (UnidentifiedImageError, OSError, ValueError):
            pass  # not an image (a zip, a LoRA, a video): fetched is enough
        return None

    # --- Webhooks, delivered as the provider would --------------------------------------------

    def _fal_submitted(self, request: FalRequest) -> None:
        if request.webhook_url:
            self._later(request.webhook_url, lambda: self.fal.completion_webhook(request.request_id))

    def _replicate_created(self, prediction: Prediction) -> None:
        url = prediction.data.get("webhook")
        if url:

            def signed() -> tuple[bytes, dict[str, str]]:
                final = prediction.behaviour.statuses[-1]
                return self.replicate.signed_webhook(self.replicate.set_status(prediction.data["id"], final))

            self._later(url, signed)

    def _later(self, url: str, signed: Any) -> None:
        """Finish the request and POST its signed webhook after ``webhook_delay``, from a thread
        (so the submit's answer reaches the client first); retried a few times, as providers do."""

        def deliver() -> None:
            time.sleep(self.webhook_delay)
            self.gate.wait(60)
            with self.lock:
                body, headers = signed()
            for attempt in range(3):
                try:
                    status = httpx.post(url, content=body, headers=headers, timeout=30).status_code
                except httpx.HTTPError as exc:
                    status, error = 0, repr(exc)
                else:
                    error = "" if status < 300 else f"{url} answered {status}"
                self.deliveries.append((url, status))
                if not error:
                    return
                time.sleep(0.2 * (attempt + 1))
            self.delivery_errors.append(error)

        thread = threading.Thread(target=deliver, name="tls-emulator-webhook", daemon=True)
        self.delivering.append(thread)
        thread.start()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for the webhooks still being delivered."""
        for thread in list(self.delivering):
            thread.join(timeout)


def _urls(value: Any, loc: tuple = ()) -> list[tuple[list, str]]:
    """Every ``(loc, url)`` in a request body: strings that are http(s) URLs or data URIs."""
    if isinstance(value, str):
        return [(list(loc), value)] if value.startswith(_URL_PREFIXES) else []
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _urls(item, (*loc, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _urls(item, (*loc, index))]
    return []


# --- The socket server ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """Serves on an already listening socket; each connection's TLS handshake runs in its own thread."""

    daemon_threads = True

    def __init__(self, listener, context: ssl.SSLContext, handle):
        super().__init__(listener.getsockname(), _Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.context = context
        self.handle = handle

    def finish_request(self, request, client_address) -> None:
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        content = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or tls_setup.HOST
        request = httpx.Request(
            self.command, f"https://{host}{self.path}", headers=self.headers.items(), content=content
        )
        try:
            response = self.server.handle(request)
            response.read()
        except Exception:  # an emulated transport fault (or a bug): drop the connection, like a dead server
            self.close_connection = True
            return
        try:
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)
        except OSError:  # the client went away while we answered (a killed worker)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what was requested, not on a log."""
