""" "Write prompts for me" (PRODUCT.md §3): the language model proposes varied prompts for a pack
from the Studio's choices; the person edits them before generating. One ``PromptDraft`` per
request, one call, one credit (``prompt_generation``), charged when the prompts arrive.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from billing.prices import operation_credits
from billing.services import InsufficientCredits, hold_capture, hold_release, hold_reserve
from characters.models import Character
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from generation import prompt_writer, prompts, safety
from generation.models import PromptDraft
from generation.packs import PackRecipe, recipe_problems
from providers import gateway
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

log = logging.getLogger(__name__)

HANDLER = "generation.drafts.draft_on_call"
OPERATION = "prompt_generation"


def draft_start(*, character: Character, user: User | None, recipe: PackRecipe, key: str = "") -> PromptDraft:
    """Ask for ``recipe.count`` prompts. ``recipe.nsfw`` is the writer's own switch, allowed under
    the same rules as the pack's. Raises ``DomainError``."""
    if key and (existing := PromptDraft.objects.for_org(character.org).filter(idempotency_key=key).first()):
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
    credits = operation_credits(OPERATION)
    try:
        with transaction.atomic():
            draft = PromptDraft.objects.create(
                org=character.org,
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
                credits=credits,
                idempotency_key=key or None,
                created_by=user,
            )
            try:
                draft.hold = hold_reserve(
                    org=character.org,
                    amount=credits,
                    key=f"prompts:{draft.public_id}",
                    operation=OPERATION,
                    description=f"Prompts for “{character.name}”",
                    subject=draft,
                    user=user,
                )
            except InsufficientCredits as exc:
                raise DomainError(
                    f"Writing prompts needs {exc.needed} credit and you have {exc.available} available."
                ) from None
            draft.call = gateway.call_create(org=character.org, operation="chat", input=request, handler=HANDLER)
            draft.save(update_fields=["hold", "call", "updated_at"])
    except IntegrityError:
        existing = PromptDraft.objects.for_org(character.org).filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    return draft


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
        if call.status != ProviderCall.Status.SUCCEEDED:
            _finish(draft, JobStatus.FAILED, call.error or "The language model didn't answer.")
            return
        try:
            written = prompt_writer.parse_prompts(str((call.output or {}).get("text") or ""), expected=draft.count)
            safety.prompt_screen(written, org=draft.org, user=draft.created_by, where="prompt_writer")
        except ProviderError as exc:
            if exc.transient and not last_attempt:
                raise
            _finish(draft, JobStatus.FAILED, exc.message)
            return
        except safety.MinorsRefused as exc:
            _finish(draft, JobStatus.FAILED, f"The written prompts were refused. {exc.message}")
            return
        # Fewer than asked: the rest repeat the ones that came, so every image has a prompt to edit.
        draft.prompts = [written[n % len(written)] for n in range(draft.count)]
        _finish(draft, JobStatus.SUCCEEDED)


def _finish(draft: PromptDraft, status: str, error: str = "") -> None:
    draft.status, draft.error, draft.finished_at = status, error, timezone.now()
    draft.save(update_fields=["status", "error", "prompts", "finished_at", "updated_at"])
    if draft.hold:
        if status == JobStatus.SUCCEEDED:
            hold_capture(hold=draft.hold)
        else:
            hold_release(hold=draft.hold, reason=error)
