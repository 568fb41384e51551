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
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import prompt_writer, prompts, safety
from generation.models import PromptDraft
from generation.packs import PackRecipe, recipe_problems
from jobs import engine
from providers import gateway, handlers
from providers.models import ProviderCall

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
    safety.prompt_screen(recipe.prompt_text, org=character.org, user=user, where="prompt_writer", field="prompt_text")
    base = prompts.build_prompt(
        character, scene=recipe.scene, environment=recipe.environment, outfit=recipe.outfit, extra=recipe.prompt_text
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
            draft, "call", gateway.call_create(org=character.org, operation="chat", input=request, handler=CALL_HANDLER)
        ),
        character=character,
        params={
            "scene": recipe.scene,
            "environment": recipe.environment,
            "outfit": recipe.outfit,
            "prompt_text": recipe.prompt_text,
            "base": base,
        },
        count=recipe.count,
        nsfw=recipe.nsfw,
    )


def draft_on_call(call: ProviderCall, event: str, *, last_attempt: bool) -> None:
    if event == "running":
        return
    with transaction.atomic():
        draft = (
            PromptDraft.objects.select_for_update(of=("self",))
            .select_related("org", "character", "hold", "created_by")
            .filter(call_id=call.pk)
            .first()
        )
        if draft is None or draft.status not in ACTIVE:
            return
        status, error = engine.call_outcome(call, failed="The language model didn't answer.")
        if status != JobStatus.SUCCEEDED:
            engine.job_finish(draft, JobStatus.FAILED, error)
            return
        with engine.OutputGuard(
            lambda message, _type: engine.job_finish(draft, JobStatus.FAILED, message), last_attempt=last_attempt
        ):
            written = prompt_writer.parse_prompts(str((call.output or {}).get("text") or ""), expected=draft.count)
            try:
                safety.prompt_screen(written, org=draft.org, user=draft.created_by, where="prompt_writer")
            except safety.MinorsRefused as exc:
                raise engine.Unusable(f"The written prompts were refused. {exc.message}", "prompt_refused") from None
            # Fewer than asked: the rest repeat the ones that came, so every image has a prompt to edit.
            prompts_ = [written[n % len(written)] for n in range(draft.count)]
            engine.job_finish(draft, JobStatus.SUCCEEDED, prompts=prompts_)


CALL_HANDLER = handlers.register("generation.prompt_draft", draft_on_call)
