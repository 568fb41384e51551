"""The project assistant's page: the conversation, suggested questions, asking (2 credits), the
answer streamed as server-sent events while a worker writes it, and Stop."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from django.contrib import messages
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from billing.prices import operation_credits
from billing.services import credits_available
from core.exceptions import DomainError
from core.http import OrgHttpRequest, one_time_key
from orgs.decorators import org_view
from orgs.models import Role
from projects import chat, selectors
from projects.models import ChatMessage

POLL_SECONDS = 0.05
# Under gunicorn's 60 s request timeout: a longer answer ends this stream, and the page's
# EventSource reconnects and is sent the answer so far, then the rest.
STREAM_LIMIT_SECONDS = 45


def _context(request: OrgHttpRequest, project) -> dict:
    return {
        "project": project,
        "history": selectors.chat_history(project),
        "suggestions": chat.SUGGESTIONS,
        "price": operation_credits(chat.OPERATION),
        "available": credits_available(request.org),
        "can_create": request.membership.can_create,
        "max_chars": chat.MAX_QUESTION_CHARS,
    }


@require_GET
@org_view()
def chat_page(request: OrgHttpRequest, public_id):
    project = selectors.project_or_404(request.org, public_id)
    return render(request, "projects/chat.html", _context(request, project))


def _message_html(request: OrgHttpRequest, message: ChatMessage) -> str:
    return render_to_string("projects/_message.html", {"m": message, "project": message.project}, request=request)


@require_POST
@org_view(Role.MEMBER)
def chat_ask(request: OrgHttpRequest, public_id):
    """Ask a question. From the page's script: JSON with the new message's HTML (its answer then
    streams in); without script, back to the page."""
    project = selectors.project_or_404(request.org, public_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        message = chat.chat_ask(
            project=project, user=request.user, question=request.POST.get("question", ""), key=one_time_key(request)
        )
    except DomainError as exc:
        if wants_json:
            return JsonResponse({"error": f"{exc.message} Nothing was charged."}, status=400)
        messages.error(request, f"{exc.message} Nothing was charged.")
        return redirect("projects:chat", request.org.slug, project.public_id)
    if wants_json:
        message.refresh_from_db()
        return JsonResponse({"id": str(message.public_id), "html": _message_html(request, message)})
    return redirect(message)


def _event(name: str, data) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@require_GET
@org_view()
def chat_stream(request: OrgHttpRequest, public_id, message_id):
    """The answer as server-sent events: ``token`` events with new text as the worker writes it,
    then one ``done`` event with the finished message's HTML (tokens, cost, sources, marks)."""
    project = selectors.project_or_404(request.org, public_id)
    message = selectors.message_or_404(project, message_id)

    def events() -> Iterator[str]:
        sent = 0
        started = time.monotonic()
        yield "retry: 1000\n\n"
        while True:
            row = ChatMessage.objects.filter(pk=message.pk).values("answer", "status").first()
            if row is None:
                yield _event("done", {"html": ""})
                return
            if len(row["answer"]) > sent:
                yield _event("token", {"text": row["answer"][sent:]})
                sent = len(row["answer"])
            if row["status"] not in ("queued", "running"):
                fresh = selectors.message_or_404(project, message.public_id)
                yield _event("done", {"html": _message_html(request, fresh)})
                return
            if time.monotonic() - started > STREAM_LIMIT_SECONDS:
                return
            time.sleep(POLL_SECONDS)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@require_POST
@org_view(Role.MEMBER)
def chat_stop(request: OrgHttpRequest, public_id, message_id):
    project = selectors.project_or_404(request.org, public_id)
    message = selectors.message_or_404(project, message_id)
    chat.chat_stop(message=message)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"stopping": True})
    return redirect(message)
