"""Check each configured AI provider with one cheap real call, and say how it went.

    manage.py provider_smoke [--provider fal] [--timeout 120]

- fal: one 512×512 image from ``fal-ai/z-image/turbo`` (4 steps), submitted to the queue and
  polled until done: about half a cent.
- Replicate: ``GET /v1/account``, which is free; it proves the token works, not that a model runs.
- xAI: a one-line chat answer of a few tokens.

Each provider gets a line: endpoint, ok or failed (with the error in plain words), latency and
cost (``providers.prices``). Nothing is written to the database. The exit status is 1 when any
checked provider failed, or when ``--provider`` names one whose key isn't set. With no provider
configured at all it says which settings turn them on and exits 0: the app then runs on the demo
provider, which is a valid setup, not a failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from providers import prices, registry
from providers.adapters.base import ProviderError, Status, http_error, transport_error

PROVIDERS = ("fal", "replicate", "xai")
KEYS = {"fal": "FAL_KEY", "replicate": "REPLICATE_API_TOKEN", "xai": "XAI_API_KEY"}
FAL_ENDPOINT = "fal-ai/z-image/turbo"
FAL_ARGUMENTS = {
    "prompt": "A red apple on a white table, soft studio light",
    "image_size": {"width": 512, "height": 512},
    "num_images": 1,
    "num_inference_steps": 4,
}
XAI_MESSAGES = [{"role": "user", "content": "Reply with the single word OK."}]


@dataclass
class Outcome:
    provider: str
    endpoint: str
    error: str = ""
    seconds: float = 0.0
    cost: prices.Cost | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class Command(BaseCommand):
    help = "Make one cheap real call to each configured AI provider and report endpoint, result, latency and cost."

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=PROVIDERS, action="append", help="Check only this one (repeatable).")
        parser.add_argument("--timeout", type=float, default=120.0, help="Seconds to wait for fal's image.")
        parser.add_argument("--poll-interval", type=float, default=1.0, help="Seconds between fal status checks.")

    def handle(self, *args, provider=None, timeout=120.0, poll_interval=1.0, **options):
        named = provider or []
        wanted = named or [p for p in PROVIDERS if registry.provider_configured(p)]
        if not wanted:
            self.stdout.write(
                "No AI provider is configured, so there is nothing to check; the app answers with the demo "
                "provider. Set FAL_KEY, REPLICATE_API_TOKEN or XAI_API_KEY to use the real ones."
            )
            return
        outcomes = []
        for name in wanted:
            if not registry.provider_configured(name):
                outcomes.append(Outcome(name, "", error=f"not configured: set {KEYS[name]}"))
                continue
            check = {"fal": self._fal, "replicate": self._replicate, "xai": self._xai}[name]
            outcomes.append(self._timed(name, check, timeout=timeout, poll_interval=poll_interval))
        for outcome in outcomes:
            self.stdout.write(self._line(outcome))
        failed = [o.provider for o in outcomes if not o.ok]
        if failed:
            raise CommandError(f"{len(failed)} provider(s) failed: {', '.join(failed)}")

    def _timed(self, name: str, check, **options) -> Outcome:
        started = time.monotonic()
        try:
            outcome = check(**options)
        except ProviderError as exc:
            outcome = Outcome(name, _ENDPOINTS[name](), error=exc.message)
        outcome.seconds = time.monotonic() - started
        return outcome

    def _fal(self, *, timeout: float, poll_interval: float) -> Outcome:
        from providers.adapters.fal import FalAdapter

        fal = FalAdapter()
        submitted = fal.submit(endpoint_id=FAL_ENDPOINT, arguments=FAL_ARGUMENTS, webhook_url=None)
        deadline = time.monotonic() + timeout
        status = Status("queued")
        while status.state in ("queued", "running"):
            if time.monotonic() > deadline:
                fal.cancel(endpoint_id=FAL_ENDPOINT, request_id=submitted.request_id)
                return Outcome("fal", FAL_ENDPOINT, error=f"no result within {timeout:g} s (cancelled)")
            time.sleep(poll_interval)
            status = fal.status(endpoint_id=FAL_ENDPOINT, request_id=submitted.request_id)
        cost = _cost("fal", FAL_ENDPOINT, status)
        if status.state != "succeeded":
            return Outcome("fal", FAL_ENDPOINT, error=status.error or status.state, cost=cost)
        return Outcome("fal", FAL_ENDPOINT, cost=cost, note=f"request {submitted.request_id}")

    def _replicate(self, **options) -> Outcome:
        from providers.adapters.replicate import ReplicateAdapter

        try:
            account = ReplicateAdapter().client.accounts.current()
        except Exception as exc:
            raise _replicate_error(exc) from exc
        note = f"token works for {account.username}; the account check is free and runs no model"
        return Outcome("replicate", "GET /v1/account", cost=prices.Cost(Decimal(0)), note=note)

    def _xai(self, **options) -> Outcome:
        from providers.adapters.xai import XaiAdapter

        submitted = XaiAdapter().submit(
            endpoint_id=settings.XAI_MODEL, arguments={"messages": XAI_MESSAGES, "max_tokens": 5}, webhook_url=None
        )
        status = submitted.immediate or Status("failed", error="no answer")
        cost = _cost("xai", settings.XAI_MODEL, status)
        if status.state != "succeeded":
            return Outcome("xai", settings.XAI_MODEL, error=status.error, cost=cost)
        answer = str((status.output or {}).get("text", "")).strip()[:40]
        return Outcome("xai", settings.XAI_MODEL, cost=cost, note=f"answered {answer!r}")

    def _line(self, outcome: Outcome) -> str:
        result = self.style.SUCCESS("ok") if outcome.ok else self.style.ERROR(f"failed: {outcome.error}")
        cost = outcome.cost
        if cost is None:
            price = "—"
        elif cost.usd is None:
            price = f"unknown ({cost.note})" if cost.note else "unknown"
        else:
            price = f"${cost.usd:.6f}"
            if cost.units:
                price += f" for {cost.units.normalize():f} {cost.unit}" + ("" if cost.units == 1 else "s")
        parts = [f"{outcome.provider:<10}", outcome.endpoint or "—", result, f"{outcome.seconds:.1f} s", price]
        if outcome.note:
            parts.append(outcome.note)
        return "  ".join(parts)


_ENDPOINTS = {
    "fal": lambda: FAL_ENDPOINT,
    "replicate": lambda: "GET /v1/account",
    "xai": lambda: settings.XAI_MODEL,
}


def _cost(provider: str, endpoint_id: str, status: Status) -> prices.Cost:
    return prices.call_cost(
        provider=provider,
        endpoint_id=endpoint_id,
        input=FAL_ARGUMENTS if provider == "fal" else {},
        state=status.state,
        output=status.output,
        metrics=status.metrics,
    )


def _replicate_error(exc: Exception) -> ProviderError:
    from replicate.exceptions import ReplicateError

    if isinstance(exc, ReplicateError):
        return http_error(exc.status or 0, str(exc.detail or exc.title or ""), credential="Replicate token")
    return transport_error(exc) or ProviderError(f"Replicate's answer couldn't be read ({exc.__class__.__name__}).")
