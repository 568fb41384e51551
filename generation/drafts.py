""" "Write prompts for me" (PRODUCT.md §3): the language model proposes varied prompts for a pack
from the Studio's choices; the person edits them before generating. One ``PromptDraft`` per
request, one call, one credit (``prompt_generation``), charged when the prompts arrive.
"""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.models import User
from billing.prices import operation_credits
from characters.models import Character
from characters.services import character_words_screen
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import prompt_writer, prompts
from generation.models import PromptDraft
from generation.packs import PackRecipe, recipe_problems
from jobs import engine
from providers import gateway
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen

log = logging.getLogger(__name__)

OPERATION = "prompt_generation"


def draft_start(*, character: Character, user: User | None, recipe: PackRecipe, key: str = "") -> PromptDraft:
    """Ask for ``recipe.count`` prompts. ``recipe.nsfw`` is the writer's own switch, allowed under
    the same rules as the pack's. Raises ``DomainError``."""
    if existing := engine.job_by_key(PromptDraft, character.org, key):
        return existing
    if character.mode == "none":
        raise DomainError(f"{character.name} has no face to generate from yet, so there is nothing to write for.")
    if problems := recipe_problems(character, recipe):
        name, message = next(iter(problems.items()))
        raise DomainError(message, field=name)
    text_screen(
        recipe.prompt_text,
        org=character.org,
        user=user,
        where="prompt_writer",
        field="prompt_text",
        nsfw=recipe.nsfw,
    )
    character_words_screen(character=character, user=user, where="prompt_writer", nsfw=recipe.nsfw)
    base = prompts.build_prompt(
        character,
        scene=recipe.scene,
        environment=recipe.environment,
        outfit=recipe.outfit,
        extra=recipe.prompt_text,
        style=recipe.style or None,
    )
    request = prompt_writer.writer_request(base_prompt=base, count=recipe.count, nsfw=recipe.nsfw)
    return engine.job_start(
        PromptDraft,
        org=character.org,
        user=user,
        key=key,
        credits=operation_credits(OPERATION),
        operation=OPERATION,
        hold_description=f"Prompts for “{character.name}”",
        refusal=lambda exc: DomainError(exc.refusal("Writing prompts")),
        build=lambda draft: setattr(
            draft,
            "call",
            gateway.call_create(
                org=character.org, operation="chat", input=request, handler=CALL_HANDLER, subject=draft
            ),
        ),
        character=character,
        params={
            "scene": recipe.scene,
            "environment": recipe.environment,
            "outfit": recipe.outfit,
            "prompt_text": recipe.prompt_text,
            "style": recipe.style.get("name", ""),
            "base": base,
        },
        count=recipe.count,
        nsfw=recipe.nsfw,
    )


def _locked(draft_id: int) -> PromptDraft:
    return engine.job_lock(PromptDraft, draft_id, "org", "character", "created_by")


def _written(draft_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The language model answered: keep its prompts (screened for minors) and charge the credit."""
    with transaction.atomic():
        draft = _locked(draft_id)
        if draft.status not in ACTIVE:
            return
        with engine.OutputGuard(
            lambda message, _type: engine.job_finish(draft, JobStatus.FAILED, message), last_attempt=last_attempt
        ):
            written = prompt_writer.parse_prompts(str((call.output or {}).get("text") or ""), expected=draft.count)
            try:
                text_screen(written, org=draft.org, user=draft.created_by, where="prompt_writer", nsfw=draft.nsfw)
            except MinorsRefused as exc:
                raise engine.Unusable(f"The written prompts were refused. {exc.message}", "prompt_refused") from None
            # Fewer than asked: the rest repeat the ones that came, so every image has a prompt to edit.
            prompts_ = [written[n % len(written)] for n in range(draft.count)]
            engine.job_finish(draft, JobStatus.SUCCEEDED, prompts=prompts_)


def _not_written(draft_id: int, call: ProviderCall, status: str, error: str) -> None:
    """No answer, or a cancelled call: the draft fails (there is nothing to show) and the credit returns."""
    with transaction.atomic():
        draft = _locked(draft_id)
        if draft.status in ACTIVE:
            engine.job_finish(draft, JobStatus.FAILED, error)


CALL_HANDLER = engine.call_job_handler(
    "generation.prompt_draft",
    PromptDraft,
    succeeded=_written,
    unsuccessful=_not_written,
    failed="The language model didn't answer.",
)
