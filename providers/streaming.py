"""Streamed chat answers (the project assistant), through the same registry, safety screen and
call records as every other provider call, but read as they are written.

A ``ChatStream`` is made and read inside a worker task: it records a ``ProviderCall``, screens
the request (a refused one never goes out), and yields the answer's text pieces; afterwards
``usage``, ``cut`` (the provider's stream broke off) and ``error`` say how it ended, and the call
row holds the whole answer, its status and its cost. Nothing is retried: a second request would
be a second bill and a second, different answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from providers import handlers, prices, registry
from providers.adapters import demo_script
from providers.adapters.base import ProviderError
from providers.adapters.xai import StreamCut, XaiAdapter
from providers.models import ProviderCall
from safety.requests import request_screen

log = logging.getLogger(__name__)

# Streamed calls are settled by the caller as they're read; nothing is dispatched afterwards.
HANDLER = handlers.register("providers.stream", lambda call, event, *, last_attempt: None)


class ChatStream:
    def __init__(self, *, org, user, operation: str, request: dict, subject: Model | None = None, where: str):
        provider, endpoint_id = registry.resolve(operation)
        self.org, self.user, self.where, self.request = org, user, where, request
        self.usage: dict[str, Any] = {}
        self.cut = False
        self.error = ""
        self.text = ""
        self.call = ProviderCall.objects.create(
            org=org,
            operation=operation,
            provider=provider,
            endpoint_id=endpoint_id,
            input=request,
            handler=HANDLER.name,
            status=ProviderCall.Status.RUNNING,
            sent_at=timezone.now(),
            started_at=timezone.now(),
            subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
            subject_id=str(subject.pk) if subject is not None else "",
        )

    @property
    def demo(self) -> bool:
        return self.call.provider == "demo"

    def __iter__(self) -> Iterator[str]:
        refusal = request_screen(self.request, org=self.org, user=self.user, where=self.where)
        if refusal:
            self._end(ProviderCall.Status.FAILED, refusal)
            return
        try:
            for piece in self._pieces():
                self.text += piece
                yield piece
        except StreamCut as exc:
            self.cut = True
            self._end(ProviderCall.Status.FAILED, exc.message)
        except ProviderError as exc:
            self._end(ProviderCall.Status.FAILED, exc.message)
        except GeneratorExit:  # the reader stopped (the person pressed Stop)
            self._end(ProviderCall.Status.CANCELLED, "Stopped mid-answer.")
            raise
        else:
            self._end(ProviderCall.Status.SUCCEEDED, "")

    def _pieces(self) -> Iterator[str]:
        if self.demo:
            words = list(demo_script.answer_words(self.request))
            pause = settings.DEMO_PROVIDER_LATENCY / max(1, len(words))  # paced like a model's stream
            for word in words:
                yield word
                if pause:
                    time.sleep(pause)
            prompt = sum(len(str(m.get("content", ""))) for m in self.request.get("messages", [])) // 4
            self.usage = {"prompt_tokens": prompt, "completion_tokens": max(1, len("".join(words)) // 4)}
            return
        for kind, value in XaiAdapter().stream(endpoint_id=self.call.endpoint_id, arguments=self.request):
            if kind == "text":
                yield value
            else:
                self.usage = value or {}

    def _end(self, status: str, error: str) -> None:
        self.error = error
        output = {"text": self.text, "usage": self.usage, "model": self.call.endpoint_id}
        cost = prices.call_cost(
            provider=self.call.provider,
            endpoint_id=self.call.endpoint_id,
            input=self.request,
            state=status,
            output=output,
        )
        ProviderCall.objects.filter(pk=self.call.pk).update(
            status=status,
            error=error,
            output=output,
            finished_at=timezone.now(),
            handled_at=timezone.now(),
            **cost.fields(),
        )
