"""Script breakdowns: the cost shown first, the script cut into scenes and the scenes into
overlapping chunks, one language-model call per chunk (an answer that isn't the JSON asked for
is asked again, up to ``MAX_ASKS`` times, then the job fails and the credits go back), the
chunks' answers merged with de-duplication, and a cache by the text's hash: a script whose text
was already broken down in the organisation is answered from that result for nothing.

Price (``billing.prices`` ``script_breakdown``, 10 credits) covers ``INCLUDED_TOKENS``; longer
scripts add ``EXTRA_CREDITS`` per further ``EXTRA_TOKENS`` (estimated at 4 characters a token).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from billing.prices import operation_credits
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from projects import breakdown_answer
from projects.models import Breakdown, Script
from projects.script_files import LINES_PER_PAGE
from providers import gateway, screenplay
from providers.adapters.demo_script import BREAKDOWN_MARK
from providers.models import ProviderCall

log = logging.getLogger(__name__)

OPERATION = "script_breakdown"  # its price (billing.prices) and who answers (providers.registry)
INCLUDED_TOKENS = 15_000
EXTRA_TOKENS = 15_000
EXTRA_CREDITS = 5
CHUNK_TOKENS = 6_000
MAX_ASKS = 3

SYSTEM = (
    f"You are a script supervisor writing a {BREAKDOWN_MARK} for production. You get numbered scenes of a "
    "screenplay with their pages. Answer with one JSON object and nothing else, of this shape: "
    '{"scenes": [{"number": 1, "heading": "INT. KITCHEN - NIGHT", "int_ext": "INT", "time_of_day": "Night", '
    '"page_start": 1, "page_end": 2, "synopsis": "one sentence"}], '
    '"characters": [{"name": "Mary", "description": "how the script describes her", "scenes": [1]}], '
    '"props": [{"name": "kitchen knife", "scenes": [1]}], "locations": [{"name": "Kitchen", "scenes": [1]}], '
    '"costumes": [{"name": "red raincoat", "character": "Mary", "scenes": [1]}]}. '
    "Use the scene numbers and pages given. List every scene given, every speaking or described character, "
    "props that are handled or matter to the story, every location, and costumes the text describes."
)


@dataclass(frozen=True)
class Estimate:
    tokens: int
    credits: int
    chunks: int


def estimate(script: Script) -> Estimate:
    """What breaking ``script`` down costs, before anything starts."""
    extra = max(0, script.tokens - INCLUDED_TOKENS)
    credits = operation_credits(OPERATION) + EXTRA_CREDITS * -(-extra // EXTRA_TOKENS)
    return Estimate(tokens=script.tokens, credits=credits, chunks=len(chunks_of(script.text)))


@dataclass(frozen=True)
class SceneText:
    number: int
    page_start: int
    page_end: int
    text: str

    def block(self) -> str:
        return f"=== SCENE {self.number} · pages {self.page_start}-{self.page_end} ===\n{self.text}"


def scenes_of(text: str) -> list[SceneText]:
    """The script's scenes by their headings, with page ranges (form feeds mark PDF pages; other
    texts count ``LINES_PER_PAGE`` lines a page). A text without headings is cut by pages."""
    pages = text.split("\f")
    lines: list[tuple[int, str]] = []
    for number, page in enumerate(pages, start=1):
        for index, line in enumerate(page.split("\n")):
            lines.append((number if len(pages) > 1 else index // LINES_PER_PAGE + 1, line))
    if "\f" not in text:
        lines = [(i // LINES_PER_PAGE + 1, line) for i, (_p, line) in enumerate(lines)]
    starts = [i for i, (_p, line) in enumerate(lines) if screenplay.is_heading(line)]
    if not starts:
        size = LINES_PER_PAGE * 3
        starts = list(range(0, len(lines), size))
    scenes: list[SceneText] = []
    for n, start in enumerate(starts, start=1):
        end = starts[n] if n < len(starts) else len(lines)
        part = lines[start:end]
        body = "\n".join(line for _p, line in part).strip()
        if body:
            scenes.append(SceneText(len(scenes) + 1, part[0][0], part[-1][0], body))
    return scenes


def chunks_of(text: str) -> list[str]:
    """Scenes grouped into chunks of about ``CHUNK_TOKENS``; each chunk after the first starts
    with the previous chunk's last scene (the overlap, so a scene cut by the chunking is seen
    whole once); a scene longer than a chunk is cut into parts that keep its number."""
    limit = CHUNK_TOKENS * 4
    blocks: list[SceneText] = []
    for scene in scenes_of(text):
        if len(scene.text) <= limit:
            blocks.append(scene)
            continue
        for start in range(0, len(scene.text), limit):
            blocks.append(SceneText(scene.number, scene.page_start, scene.page_end, scene.text[start : start + limit]))
    chunks: list[list[SceneText]] = [[]]
    size = 0
    for block in blocks:
        if chunks[-1] and size + len(block.text) > limit:
            overlap = chunks[-1][-1]
            chunks.append([overlap] if len(overlap.text) < limit // 2 else [])
            size = sum(len(b.text) for b in chunks[-1])
        chunks[-1].append(block)
        size += len(block.text)
    return ["\n\n".join(b.block() for b in chunk) for chunk in chunks if chunk]


def _request(chunk: str, index: int, total: int) -> dict:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Part {index + 1} of {total} of the screenplay.\n\n{chunk}"},
        ],
        "temperature": 0.2,
        "max_tokens": 4000,
    }


def breakdown_start(*, script: Script, user: User | None, key: str = "") -> Breakdown:
    """Break ``script`` down: from the cache (free) when its text was broken down before in the
    organisation, else a paid job of ``estimate(script).credits``. Raises ``DomainError``."""
    org = script.org
    if existing := engine.job_by_key(Breakdown, org, key):
        return existing
    if script.project.is_archived:
        raise DomainError("This project is archived. Restore it to break scripts down.")
    done = (
        Breakdown.objects.for_org(org)
        .filter(script__sha256=script.sha256, status=JobStatus.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )
    if done is not None:
        return _from_cache(script=script, user=user, key=key, source=done)
    cost = estimate(script)
    chunks = chunks_of(script.text)
    job = engine.job_start(
        Breakdown,
        org=org,
        user=user,
        key=key,
        credits=cost.credits,
        operation=OPERATION,
        hold_description=f"Breakdown of “{script.title}”",
        refusal=lambda exc: DomainError(exc.refusal("Breaking this script down")),
        build=lambda job: setattr(job, "call", _ask(job, _request(chunks[0], 0, len(chunks)))),
        project=script.project,
        script=script,
        chunks=chunks,
    )
    track("script_breakdown_started", org=org, user=user, breakdown_id=str(job.public_id), chunks=len(chunks))
    return job


def _from_cache(*, script: Script, user: User | None, key: str, source: Breakdown) -> Breakdown:
    job = engine.job_start(
        Breakdown,
        org=script.org,
        user=user,
        key=key,
        credits=0,
        operation=OPERATION,
        hold_description="",
        project=script.project,
        script=script,
        result=source.result,
        cached_from=source,
        demo=source.demo,
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
    )
    from projects.retrieval import passages_for_breakdown

    passages_for_breakdown(job)
    return job


def _ask(job: Breakdown, request: dict) -> ProviderCall:
    return gateway.call_create(org=job.org, operation=OPERATION, input=request, handler=CALL_HANDLER, subject=job)


def _locked(job_id: int) -> Breakdown:
    return engine.job_lock(Breakdown, job_id, "org", "script")


def _answered(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """A chunk was answered: read it (or ask again), go on to the next chunk, or merge and finish."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status not in ACTIVE:
            return
        output = call.output or {}
        usage = output.get("usage") or {}
        job.tokens_in += int(usage.get("prompt_tokens") or 0)
        job.tokens_out += int(usage.get("completion_tokens") or 0)
        try:
            answer = breakdown_answer.answer_parse(str(output.get("text") or ""))
        except breakdown_answer.Unreadable as exc:
            log.warning("breakdown %s: chunk %s ask %s unreadable: %s", job.public_id, job.chunk_index, job.asks, exc)
            if job.asks < MAX_ASKS:
                job.asks += 1
                job.call = _ask(job, call.input)
                job.save(update_fields=["asks", "call", "tokens_in", "tokens_out", "updated_at"])
                return
            engine.job_finish(
                job,
                JobStatus.FAILED,
                f"The language model didn't return a usable breakdown ({exc.reason}, {MAX_ASKS} times in a row), "
                "so nothing was charged: your credits are back. Try again in a moment.",
                tokens_in=job.tokens_in,
                tokens_out=job.tokens_out,
            )
            return
        job.partial = [*job.partial, answer]
        job.demo = call.provider == "demo"
        if job.chunk_index + 1 < len(job.chunks):
            job.chunk_index += 1
            job.asks = 1
            job.call = _ask(job, _request(job.chunks[job.chunk_index], job.chunk_index, len(job.chunks)))
            job.save(
                update_fields=[
                    "partial",
                    "demo",
                    "chunk_index",
                    "asks",
                    "call",
                    "tokens_in",
                    "tokens_out",
                    "updated_at",
                ]
            )
            return
        result = breakdown_answer.merge(job.partial)
        engine.job_finish(
            job,
            JobStatus.SUCCEEDED,
            result=result,
            partial=job.partial,
            demo=job.demo,
            tokens_in=job.tokens_in,
            tokens_out=job.tokens_out,
        )
        from projects.retrieval import passages_for_breakdown

        passages_for_breakdown(job)
        track("script_broken_down", org=job.org, user=job.created_by, breakdown_id=str(job.public_id), demo=job.demo)


def _not_answered(job_id: int, call: ProviderCall, status: str, error: str) -> None:
    with transaction.atomic():
        job = _locked(job_id)
        if job.status in ACTIVE:
            engine.job_finish(job, JobStatus.FAILED, f"{error} Nothing was charged: your credits are back.")


CALL_HANDLER = engine.call_job_handler(
    "projects.breakdown",
    Breakdown,
    succeeded=_answered,
    unsuccessful=_not_answered,
    failed="The language model didn't answer.",
)
