"""The project assistant: a question (screened like every prompt) starts a paid job (``chat``, 2
credits) with the passages retrieval found for it; a worker streams the answer into the row as
it is written (``chat_answer``), and the page reads it from there as server-sent events.

How an answer ends:
- whole: charged, tokens recorded;
- stopped by the person: what came is kept and charged (the model wrote it);
- cut by the provider part-way: what came is kept and marked, nothing is charged;
- refused or failed before anything came: nothing is charged, the reason is shown.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from billing.prices import operation_credits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus, transition
from jobs import engine
from projects import retrieval
from projects.models import ChatMessage, Project
from providers.adapters.demo_script import ASSISTANT_MARK
from providers.streaming import ChatStream
from safety.services import text_screen

log = logging.getLogger(__name__)

OPERATION = "chat"  # its price (billing.prices)
PROVIDER_OPERATION = "project_chat"  # who answers (providers.registry)
MAX_QUESTION_CHARS = 2000
HISTORY = 6  # earlier questions and answers sent along
FLUSH_SECONDS = 0.05
SCREEN_WHERE = "project_chat"

SYSTEM = (
    f"You are the {ASSISTANT_MARK} of a film and video production. Answer the question from the numbered "
    "passages of the project (its scripts, breakdowns and library) given with it. Cite the passages you use "
    "as [S1], [S2] after the sentence they support. If the passages don't contain the answer, say so plainly "
    "and suggest what to add to the project. Be concise. Never describe minors in a sexual way."
)

# Citations are written [S1]: a bare "[1]" or "(1)" reads to the minors screen as an age, and every
# request is screened, the conversation's earlier answers included (so those are rewritten too).
CITATION = re.compile(r"[\[(](\d{1,2})[\])]")

SUGGESTIONS = (
    "Which characters appear in the most scenes?",
    "List the props we need for the night scenes.",
    "Summarise the story in five sentences.",
    "Which locations need a night shoot?",
)


def chat_ask(*, project: Project, user: User | None, question: str, key: str = "") -> ChatMessage:
    """Ask the project's assistant ``question`` (2 credits, held now; charged when it answers).
    Raises ``DomainError`` (empty or too long, refused by the screen, archived, not enough credits)."""
    if existing := engine.job_by_key(ChatMessage, project.org, key):
        return existing
    question = (question or "").strip()
    if not question:
        raise DomainError("Type a question first.", field="question")
    if len(question) > MAX_QUESTION_CHARS:
        raise DomainError(f"Keep questions to {MAX_QUESTION_CHARS} characters.", field="question")
    if project.is_archived:
        raise DomainError("This project is archived. Restore it to ask the assistant.")
    text_screen(question, org=project.org, user=user, where=SCREEN_WHERE, field="question", subject="Questions")
    sources = retrieval.retrieve(project, question)
    message = engine.job_start(
        ChatMessage,
        org=project.org,
        user=user,
        key=key,
        credits=operation_credits(OPERATION),
        operation=OPERATION,
        hold_description=f"Assistant: “{question[:60]}”",
        refusal=lambda exc: DomainError(exc.refusal("Asking the assistant")),
        project=project,
        question=question,
        sources=sources,
    )
    from projects import tasks

    transaction.on_commit(lambda: tasks.chat_answer.delay(message.pk), robust=True)
    track("project_chat_asked", org=project.org, user=user, project_id=str(project.public_id), sources=len(sources))
    return message


def chat_request(message: ChatMessage) -> dict:
    """The model's request: instructions, the recent conversation, and the question with its passages."""
    earlier = list(
        ChatMessage.objects.filter(project_id=message.project_id, created_at__lt=message.created_at)
        .exclude(answer="")
        .order_by("-created_at")[:HISTORY]
    )
    messages: list[dict] = [{"role": "system", "content": SYSTEM}]
    for old in reversed(earlier):
        answer = CITATION.sub(r"[S\1]", old.answer)
        messages += [{"role": "user", "content": old.question}, {"role": "assistant", "content": answer}]
    passages = "\n".join(f"[S{s['n']}] {s['title']}: {' '.join(s['text'].split())}" for s in message.sources)
    content = f"Passages:\n{passages or '(none matched)'}\n\nQuestion: {message.question}"
    messages.append({"role": "user", "content": content})
    return {"messages": messages, "temperature": 0.3, "max_tokens": 1200}


def chat_answer(message_id: int) -> None:
    """Stream the answer to a queued question into its row (a worker task); see the module's notes."""
    if not transition(
        ChatMessage, message_id, from_=(JobStatus.QUEUED,), to=JobStatus.RUNNING, started_at=timezone.now()
    ):
        return  # a duplicate task, or stopped before it started
    message = ChatMessage.objects.select_related("org", "created_by").get(pk=message_id)
    stream = ChatStream(
        org=message.org,
        user=message.created_by,
        operation=PROVIDER_OPERATION,
        request=chat_request(message),
        subject=message,
        where=SCREEN_WHERE,
    )
    ChatMessage.objects.filter(pk=message_id).update(call=stream.call, demo=stream.demo)
    stopped = False
    written = ""
    flushed_at = 0.0  # the first piece is written at once: it is what the person waits for
    pieces = iter(stream)
    try:
        for piece in pieces:
            written += piece
            if time.monotonic() - flushed_at >= FLUSH_SECONDS:
                flushed_at = time.monotonic()
                _store(message_id, written)
                if ChatMessage.objects.filter(pk=message_id, stop_requested=True).exists():
                    stopped = True
                    break
    finally:
        if stopped:
            pieces.close()  # type: ignore[attr-defined]
    _settle(message_id, stream, written, stopped=stopped)


def _store(message_id: int, written: str) -> None:
    """What has come of the answer so far, where the page's event stream reads it."""
    ChatMessage.objects.filter(pk=message_id).update(answer=written)


def _settle(message_id: int, stream: ChatStream, written: str, *, stopped: bool) -> None:
    usage = stream.usage or {}
    tokens_in = int(usage.get("prompt_tokens") or 0)
    tokens_out = int(usage.get("completion_tokens") or 0) or (max(1, len(written) // 4) if written else 0)
    with transaction.atomic():
        message = engine.job_lock(ChatMessage, message_id)
        if message.status not in ACTIVE:
            return
        fields: dict[str, Any] = {"answer": written, "tokens_in": tokens_in, "tokens_out": tokens_out}
        if stopped:
            engine.job_finish(message, JobStatus.SUCCEEDED, stopped=True, **fields)
        elif stream.cut:
            engine.job_finish(
                message,
                JobStatus.FAILED,
                "The provider's answer broke off part-way. What came is kept above; nothing was charged.",
                cut=True,
                **fields,
            )
        elif stream.error:
            engine.job_finish(message, JobStatus.FAILED, f"{stream.error} Nothing was charged.", **fields)
        else:
            engine.job_finish(message, JobStatus.SUCCEEDED, **fields)


def chat_stop(*, message: ChatMessage) -> None:
    """Stop an answer mid-way: what came is kept. One not yet started is cancelled, nothing charged."""
    with transaction.atomic():
        locked = engine.job_lock(ChatMessage, message.pk)
        if locked.status == JobStatus.QUEUED:
            engine.job_finish(locked, JobStatus.CANCELLED, "Stopped before the answer began. Nothing was charged.")
            return
    ChatMessage.objects.filter(pk=message.pk, status__in=ACTIVE).update(stop_requested=True)
