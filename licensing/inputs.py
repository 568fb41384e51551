"""The provider-input marker ``$licensed_key``: a licensed character's LoRA, which lives in the
creator's storage, sent for a licensee's pack. ``$key`` only reaches the calling organisation's own
files; this one reaches exactly the LoRA of the character the call's pack is licensed for, and only
while the call belongs to a pack running under a licence."""

from __future__ import annotations

from assets import storage
from generation import licence_checks
from generation.models import GenerationImage
from licensing.models import LicensedPack
from providers import inputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

NO_PUBLIC_URL = (
    "The provider can't fetch our files: media is on this machine's disk and the site has no public "
    "https address. Set MEDIA_BUCKET (S3 or R2) or PROVIDER_PUBLIC_URL (e.g. a tunnel), then retry."
)


def licensed_key_input(call: ProviderCall, marker: dict) -> str:
    key = marker[licence_checks.LICENSED_KEY]
    image = GenerationImage.objects.filter(call_id=call.pk).select_related("job").first()
    pack = (
        LicensedPack.objects.filter(job_id=image.job_id).select_related("license__profile__character__org").first()
        if image
        else None
    )
    if pack is None or pack.job.org_id != call.org_id:
        raise ProviderError("That file isn't in this organisation's storage.")
    character = pack.license.profile.character
    if character is None:
        raise ProviderError("The creator withdrew their character, so its face model can't be used.")
    if key not in {character.lora_key, character.zimage_lora_key} or not key:
        raise ProviderError("That file isn't the licensed character's face model.")
    if not storage.storage().exists(key):
        raise ProviderError("The creator's face model was deleted before the provider could read it.")
    if call.provider == "demo":
        return f"storage:{key}"
    url = storage.provider_url(character.org, key)
    if not url:
        raise ProviderError(NO_PUBLIC_URL)
    return url


def register() -> None:
    inputs.register(licence_checks.LICENSED_KEY, licensed_key_input)
