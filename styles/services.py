"""Style recipes: extract one from a library image (a paid job), settle it when the vision model
answers, edit it, offer it in the Studio, delete it.

``style_extract`` is the one entry point every surface uses (the asset page, the library's
selection, the API and the browser extension): it starts a ``StyleRecipe`` job on the engine, one
credit held (``style_extraction``) and one vision call (``style_extract`` in the provider registry).
When the model answers, its JSON is validated (``styles.recipe``); an answer that can't be read is
asked again, up to ``MAX_ASKS`` requests in all, then the job fails with what went wrong and the
credit goes back through the engine's normal failure path. The palette is computed here from the
image's pixels, whichever provider described it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import storage
from assets.models import Asset
from billing.dunning import effective_plan
from billing.prices import operation_credits
from billing.services import credits_available
from core.exceptions import DomainError
from core.jobs import ACTIVE, JobStatus
from jobs import engine
from orgs.models import Organization
from providers import gateway, registry
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen
from styles import palette, recipe
from styles.models import FIELD_LABELS, FIELDS, MAX_FIELD_CHARS, MAX_NAME_CHARS, StyleRecipe

log = logging.getLogger(__name__)

OPERATION = "style_extraction"  # what it costs (billing.prices)
PROVIDER_OPERATION = "style_extract"  # who answers (providers.registry)
MAX_ASKS = 3
MAX_AT_ONCE = 20  # styles from one library selection
SCREEN_WHERE = "style_recipe"
DEMO_MODEL_LABEL = "Demo provider (measured from the pixels, not AI)"


def style_extract(*, org: Organization, user: User | None, asset: Asset, key: str = "") -> StyleRecipe:
    """Start extracting the style of library image ``asset`` (1 credit, held now, charged when the
    recipe arrives, returned if it doesn't). ``key`` makes a repeated submit return the first job.
    Raises ``DomainError`` (``InsufficientCredits`` worded for this, a video, another org's item)."""
    if existing := engine.job_by_key(StyleRecipe, org, key):
        return existing
    if asset.org_id != org.pk:
        raise DomainError("That image isn't in this organisation's library.")
    if asset.kind != Asset.Kind.IMAGE:
        raise DomainError("A style can only be extracted from an image.")
    request = recipe.extract_request({"$asset": str(asset.public_id), "variant": "preview"})
    title = asset.title or "an image"
    job = engine.job_start(
        StyleRecipe,
        org=org,
        user=user,
        key=key,
        credits=operation_credits(OPERATION),
        operation=OPERATION,
        hold_description=f"Style of “{title}”",
        refusal=lambda exc: DomainError(exc.refusal("Extracting a style")),
        build=lambda job: setattr(job, "call", _ask(job, request)),
        source=asset,
        source_title=title[:200],
        name=f"Style of {title}"[:MAX_NAME_CHARS],
    )
    track("style_extraction_started", org=org, user=user, style_id=str(job.public_id), asset_id=str(asset.public_id))
    return job


def styles_extract_many(
    *, org: Organization, user: User | None, assets: list[Asset], key: str = ""
) -> tuple[list[StyleRecipe], int]:
    """The library's selection: one extraction per image (videos and files are skipped). Refused
    before anything starts when the selection is too large, more than the plan's free job slots,
    or more than the credits cover.
    Returns the jobs and how many items were skipped. Raises ``DomainError``."""
    images = [a for a in assets if a.org_id == org.pk and a.kind == Asset.Kind.IMAGE]
    skipped = len(assets) - len(images)
    if not images:
        raise DomainError("Select at least one image: styles come from images.")
    if len(images) > MAX_AT_ONCE:
        raise DomainError(f"Extract at most {MAX_AT_ONCE} styles at once; you selected {len(images)} images.")
    limit = effective_plan(org).max_concurrent_jobs
    if len(images) > (slots := max(0, limit - engine.jobs_running(org))):
        raise DomainError(
            f"Your plan runs {limit} jobs at a time and {limit - slots} {'is' if limit - slots == 1 else 'are'} "
            f"running, so at most {slots} styles can start now. Select fewer, or wait for jobs to finish."
        )
    price = operation_credits(OPERATION)
    if (needed := price * len(images)) > (available := credits_available(org)):
        raise DomainError(
            f"Extracting {len(images)} styles needs {needed:,} credits and you have {available:,} available."
        )
    started = [
        style_extract(org=org, user=user, asset=asset, key=f"{key}:{asset.public_id}" if key else "")
        for asset in images
    ]
    return started, skipped


def _ask(job: StyleRecipe, request: dict) -> ProviderCall:
    return gateway.call_create(
        org=job.org, operation=PROVIDER_OPERATION, input=request, handler=CALL_HANDLER, subject=job
    )


def _locked(job_id: int) -> StyleRecipe:
    return engine.job_lock(StyleRecipe, job_id, "org", "source", "created_by")


def _answered(job_id: int, call: ProviderCall, *, last_attempt: bool) -> None:
    """The vision model answered: read its recipe (or ask again), add the palette, charge the credit."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status not in ACTIVE:
            return
        try:
            answer = recipe.answer_parse(str((call.output or {}).get("text") or ""))
        except recipe.RecipeUnreadable as exc:
            log.warning("style %s: ask %s of %s unreadable: %s", job.public_id, job.asks, MAX_ASKS, exc.reason)
            if job.asks < MAX_ASKS:
                job.asks += 1
                job.call = _ask(job, call.input)
                job.save(update_fields=["asks", "call", "updated_at"])
                return
            engine.job_finish(
                job,
                JobStatus.FAILED,
                f"The vision model didn't return a usable style recipe ({exc.reason}, {MAX_ASKS} times), so "
                "nothing was charged: your credit is back. Try again in a moment.",
            )
            return
        with engine.OutputGuard(
            lambda message, _type: engine.job_finish(job, JobStatus.FAILED, message), last_attempt=last_attempt
        ):
            words = answer.words()
            try:
                text_screen(
                    [w for w in words.values() if w],
                    org=job.org,
                    user=job.created_by,
                    where=SCREEN_WHERE,
                    subject="Style recipes",
                )
            except MinorsRefused as exc:
                raise engine.Unusable(f"The style recipe was refused. {exc.message}", "prompt_refused") from None
            swatches = _palette(job)
            demo = call.provider == "demo"
            fields: dict[str, Any] = dict(words)
            engine.job_finish(
                job,
                JobStatus.SUCCEEDED,
                palette=swatches,
                demo=demo,
                model_label=DEMO_MODEL_LABEL
                if demo
                else f"{registry.ENDPOINTS[PROVIDER_OPERATION].label} ({call.endpoint_id})",
                **fields,
            )
            track("style_extracted", org=job.org, user=job.created_by, style_id=str(job.public_id), demo=demo)


def _palette(job: StyleRecipe) -> list[dict]:
    """The source image's palette, from its preview. Raises ``Unusable`` when the image is gone."""
    source = job.source
    if source is None:
        raise engine.Unusable("The image was deleted before its colours could be read, so nothing was charged.")
    key = source.variants.get("preview") or source.original_key
    try:
        with storage.storage().open(key, "rb") as fh:
            return palette.palette_of_file(fh)
    except (FileNotFoundError, OSError):
        raise engine.Unusable("The image's file couldn't be read for its colours, so nothing was charged.") from None


def _not_answered(job_id: int, call: ProviderCall, status: str, error: str) -> None:
    """No answer (an error the gateway already retried, a refusal, a timeout): fail, credit back."""
    with transaction.atomic():
        job = _locked(job_id)
        if job.status in ACTIVE:
            engine.job_finish(job, JobStatus.FAILED, error)


CALL_HANDLER = engine.call_job_handler(
    "styles.extract",
    StyleRecipe,
    succeeded=_answered,
    unsuccessful=_not_answered,
    failed="The vision model didn't answer.",
)


# --- Editing ----------------------------------------------------------------------------------------


def style_update(*, style: StyleRecipe, user: User | None, name: str, words: dict[str, str]) -> StyleRecipe:
    """Save the person's edits to a finished recipe. Every field is screened for minors like typed
    prompts (it goes into prompts); a refusal names the field and saves nothing. Raises ``DomainError``."""
    if style.status != JobStatus.SUCCEEDED:
        raise DomainError("Only a finished style can be edited.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the style a name.", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise DomainError(f"Keep the name to {MAX_NAME_CHARS} characters.", field="name")
    cleaned = {}
    for field in FIELDS:
        value = " ".join(str(words.get(field) or "").split())
        if field == "camera":
            value = recipe.apertures_plain(value)
        if len(value) > MAX_FIELD_CHARS:
            raise DomainError(f"Keep {FIELD_LABELS[field].lower()} to {MAX_FIELD_CHARS} characters.", field=field)
        cleaned[field] = value
    if not any(cleaned.values()):
        raise DomainError("A style needs words in at least one field.", field="pose")
    for field in (*FIELDS, "name"):
        text = cleaned.get(field, name)
        if text:
            text_screen(text, org=style.org, user=user, where=SCREEN_WHERE, field=field, subject="Style recipes")
    with transaction.atomic():
        locked = StyleRecipe.objects.select_for_update().get(pk=style.pk)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.name, locked.edited_at = name, timezone.now()
        locked.save(update_fields=[*FIELDS, "name", "edited_at", "updated_at"])
    return locked


def style_studio_set(*, style: StyleRecipe, offered: bool) -> StyleRecipe:
    """Offer the style in the Studio under "Your styles" (or stop offering it)."""
    if offered and style.status != JobStatus.SUCCEEDED:
        raise DomainError("This style isn't ready, so it can't be used in the Studio yet.")
    StyleRecipe.objects.filter(pk=style.pk).update(in_studio=offered, updated_at=timezone.now())
    style.in_studio = offered
    return style


def style_delete(*, style: StyleRecipe) -> None:
    """Delete a style. Packs made with it keep the recipe they were made with. A running extraction
    can't be deleted (it settles within seconds)."""
    if style.is_active:
        raise DomainError("This style is still being extracted. Wait for it to finish, then delete it.")
    style.delete()
