"""Dataset captions (issue #5 item 5): one sentence per training photo from the vision LLM (xAI),
starting with the character's trigger word; editable before training. Included in the training
price, so a captions job holds no credits.
"""

from __future__ import annotations

import re

from django.db import transaction

from accounts.models import User
from characters import pipeline
from characters.models import Character, CharacterJob, CharacterJobItem, DatasetImage
from core.exceptions import DomainError
from core.jobs import ACTIVE
from jobs import engine
from providers.adapters.base import ProviderError
from providers.adapters.xai import vision_message
from providers.models import ProviderCall
from safety.screen import MinorsRefused
from safety.services import text_screen

MAX_CAPTION = 1000
PROMPT = (
    "Write a one-sentence caption of this photo for training an image model on the person in it. "
    "Start with the exact word {trigger}, which names the person. Then describe the framing, pose, "
    "expression, clothing, setting and light. Don't name or guess who the person is. At most 40 "
    "words. Answer with the caption only."
)


def caption_with_trigger(text: str, trigger: str) -> str:
    """``text`` on one line, starting with ``trigger`` unless it already contains it as a word."""
    text = " ".join((text or "").split())
    if re.search(rf"(?<![\w]){re.escape(trigger)}(?![\w])", text, flags=re.IGNORECASE):
        return text
    return f"{trigger} {text}".strip()


def captions_start(*, character: Character, user: User | None) -> CharacterJob:
    """Ask the vision model for a caption of every dataset photo (replacing current captions)."""
    if character.jobs.filter(kind=CharacterJob.Kind.CAPTIONS, status__in=ACTIVE).exists():
        raise DomainError("Captions are already being written. They appear under each photo as they arrive.")
    if character.training_runs.filter(status__in=ACTIVE).exists():
        raise DomainError("Training is running on these photos, so their captions can't change now.")
    images = list(character.dataset.select_related("asset").order_by("bucket", "position", "id"))
    if not images:
        raise DomainError("Add photos to the dataset first.")
    prompt = PROMPT.format(trigger=character.trigger_word)
    specs = [
        pipeline.ItemSpec(
            operation="chat",
            label=f"Caption of {image.asset.title}"[:80],
            prompt=prompt,
            dataset_image_id=image.pk,
            # The image marker is resolved by the gateway at submit (a URL or an inline data URI).
            input={
                "messages": [
                    vision_message(prompt, {"$asset": str(image.asset.public_id), "variant": "preview"})  # type: ignore[arg-type]
                ],
                "max_tokens": 120,
                "temperature": 0.2,
            },
        )
        for image in images
    ]
    with transaction.atomic():
        return pipeline.job_create(character=character, kind=CharacterJob.Kind.CAPTIONS, user=user, specs=specs)


def caption_deliver(character: Character, job: CharacterJob, item: CharacterJobItem, call: ProviderCall) -> None:
    """Write the model's caption onto its photo (called with the job locked)."""
    text = str((call.output or {}).get("text") or "").strip().strip("\"'“”").strip()
    if not text:
        raise ProviderError("The vision model sent back an empty caption.")
    caption = caption_with_trigger(text, character.trigger_word)[:MAX_CAPTION]
    try:
        text_screen(caption, org=character.org, user=job.created_by, where="caption_writer", subject="Captions")
    except MinorsRefused as exc:
        # The vision model saw a minor in a training photo, or wrote one in: the photo needs a look.
        raise engine.Unusable(
            f"The written caption was refused. {exc.message} Check this photo.", "caption_refused"
        ) from None
    if item.dataset_image_id is not None:
        DatasetImage.objects.filter(pk=item.dataset_image_id).update(caption=caption)


def caption_set(*, image: DatasetImage, text: str, user: User | None = None) -> DatasetImage:
    """Set a photo's caption by hand; the trigger word is added if it's missing. Empty clears it.
    A caption that names or implies a minor is refused (``MinorsRefused`` on ``caption``)."""
    text = " ".join((text or "").split())
    if text:
        text_screen(text, org=image.org, user=user, where="caption", field="caption", subject="Captions")
    return _caption_set(image=image, text=text)


@transaction.atomic
def _caption_set(*, image: DatasetImage, text: str) -> DatasetImage:
    caption = caption_with_trigger(text, image.character.trigger_word) if text else ""
    if len(caption) > MAX_CAPTION:
        raise DomainError(
            f"Keep the caption to {MAX_CAPTION:,} characters, trigger word included (this one has {len(caption):,}).",
            field="caption",
        )
    image.caption = caption
    DatasetImage.objects.filter(pk=image.pk).update(caption=caption)
    return image


pipeline.kind_steps(CharacterJob.Kind.CAPTIONS, deliver=caption_deliver)
