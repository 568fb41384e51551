"""Which model makes a character's images, and what it is sent: the one place that decides.

- The character's LoRA is trained (HD mode):
  - HQ: ``image_lora`` (``fal-ai/flux-lora``) with the LoRA from our storage and the trigger word in
    the prompt.
  - Draft: ``image_draft`` (``fal-ai/z-image/turbo/lora``, 8 steps: its range is 1–8) with the
    character's Z-Image LoRA (``characters.zimage``). A character trained before Z-Image LoRAs
    existed, or whose Z-Image LoRA isn't ready, makes drafts on FLUX like HQ (same credits).
  - From a reference image (library batch), either quality: ``image_lora_i2i``
    (``fal-ai/flux-lora/image-to-image``), which keeps the reference's composition.
- Otherwise, with a base image (face-swap mode): ``image_pulid`` (``fal-ai/flux-pulid``) for both
  qualities, the face taken from the base image; it takes no LoRAs.
- A pack with a clothing image: each image then goes through ``tryon`` (``fal-ai/fashn/tryon/v1.6``).
- The safety checker is off only for adult content the character is allowed (PRODUCT.md §9).

Plain ``fal-ai/z-image/turbo`` (no LoRAs) is used nowhere: without the character's LoRA it can't
keep the face, and every image the Studio makes is of a character.

Style LoRAs (``StyleLora``, managed by staff) are loaded after the character's LoRA when they fit
the pack's scene and adult-content setting and were trained for the model used (a FLUX LoRA doesn't
load in Z-Image); Z-Image takes at most three LoRAs in all. They are chosen when the pack starts and
kept on it (``GenerationJob.style_loras``), so retries and the recipe match what was sent.

The mode and model used are stored on the job, and the library's recipe shows them. Endpoint ids
live in ``providers.registry``; credit prices stay per quality (``generation.presets``).
"""

from __future__ import annotations

from dataclasses import dataclass

from characters.models import Character
from core.exceptions import DomainError
from generation import licence_checks, presets, prompts
from generation.models import GenerationImage, GenerationJob, StyleLora
from providers import registry

# How far an image-to-image pass may move from the reference: enough to repaint the person with
# the LoRA's face, little enough to keep the pose, framing and light.
REFERENCE_STRENGTH = 0.8
# Z-Image Turbo is distilled for 8 steps, the most its endpoint takes.
ZIMAGE_STEPS = 8
ZIMAGE_MAX_LORAS = 3
# The model family each LoRA-taking operation loads LoRAs for (``StyleLora.base``).
LORA_BASES = {"image_lora": "flux", "image_lora_i2i": "flux", "image_draft": "zimage"}


@dataclass(frozen=True)
class Route:
    mode: str  # GenerationJob.Mode
    operation: str  # a providers.registry operation
    steps: int

    @property
    def model_label(self) -> str:
        return registry.ENDPOINTS[self.operation].label


def route(character: Character, *, quality: str, from_reference: bool = False) -> Route:
    """The mode, model and steps for ``character`` now at ``quality``. Raises ``DomainError`` if it
    has no face yet."""
    steps = presets.QUALITIES_BY_KEY[quality].steps
    if character.mode == "hd":
        if from_reference:
            return Route(GenerationJob.Mode.HD, "image_lora_i2i", steps)
        if quality == "draft" and character.zimage_lora_key:
            return Route(GenerationJob.Mode.HD, "image_draft", ZIMAGE_STEPS)
        return Route(GenerationJob.Mode.HD, "image_lora", steps)
    if character.mode == "face_swap":
        return Route(GenerationJob.Mode.FACE_SWAP, "image_pulid", steps)
    raise DomainError(
        f"{character.name} has no face to generate from yet. Choose a base image in the wizard, or train "
        "the face model from photos first."
    )


def still_runs(character: Character, job: GenerationJob) -> bool:
    """Whether ``character`` can still make an image of ``job`` with the job's own model (a retry):
    the same mode, and for a Z-Image draft a Z-Image LoRA (retraining clears it until the new one is
    ready). A FLUX draft started before the Z-Image LoRA arrived is retried on FLUX."""
    if character.mode != job.mode:
        return False
    return job.operation != "image_draft" or bool(character.zimage_lora_key)


def style_loras(operation: str, *, scene: str, nsfw: bool) -> list[dict]:
    """The active style LoRAs for a pack: for its scene (or every pack), adult looks only with adult
    content on, trained for ``operation``'s model; as many as the model takes after the
    character's LoRA. ``[{name, url, scale}]``, kept on the job."""
    base = LORA_BASES.get(operation)
    if base is None:
        return []
    rows = StyleLora.objects.filter(active=True, base=base).exclude(url="")
    if not nsfw:
        rows = rows.filter(nsfw=False)
    chosen = [{"name": r.name, "url": r.url, "scale": float(r.scale)} for r in rows if r.applies(scene)]
    return chosen[: ZIMAGE_MAX_LORAS - 1] if base == "zimage" else chosen


def character_lora_key(job: GenerationJob, character: Character | None) -> str:
    """The character LoRA ``job``'s images load: the Z-Image one for Z-Image drafts, else FLUX's."""
    if character is None or job.mode != GenerationJob.Mode.HD:
        return ""
    if job.lora_key:  # a re-run asked for an earlier LoRA version (identity.reruns)
        return job.lora_key
    return character.zimage_lora_key if job.operation == "image_draft" else character.lora_key


def _loras(job: GenerationJob, character: Character) -> list[dict]:
    style = [{"path": lora["url"], "scale": lora["scale"]} for lora in job.style_loras]
    # A licensed likeness's LoRA is in the creator's storage: its own marker, which only resolves
    # for a pack running under a licence (``generation.licence_checks``).
    marker = "$key" if character.org_id == job.org_id else licence_checks.LICENSED_KEY
    return [{"path": {marker: character_lora_key(job, character)}, "scale": 1}, *style]


def generate_input(job: GenerationJob, image: GenerationImage, character: Character) -> dict:
    """The provider input for one image of ``job`` (markers for our files are resolved at submit)."""
    size = {"width": job.width, "height": job.height}
    if job.operation == "image_draft":
        return {
            "prompt": prompts.with_trigger(image.prompt, character),
            "loras": _loras(job, character)[:ZIMAGE_MAX_LORAS],
            "image_size": size,
            "num_images": 1,
            "num_inference_steps": min(job.steps, ZIMAGE_STEPS),
            "seed": image.seed,
            "enable_safety_checker": not job.nsfw,
            "output_format": "jpeg",
        }
    if job.operation in ("image_lora", "image_lora_i2i"):
        payload = {
            "prompt": prompts.with_trigger(image.prompt, character),
            "loras": _loras(job, character),
            "image_size": size,
            "num_images": 1,
            "num_inference_steps": job.steps,
            "guidance_scale": 3.5,
            "seed": image.seed,
            "enable_safety_checker": not job.nsfw,
            "output_format": "jpeg",
        }
        if job.operation == "image_lora_i2i":
            assert image.reference is not None  # routed to image-to-image because it has one
            payload["image_url"] = {"$asset": str(image.reference.public_id), "variant": "preview"}
            payload["strength"] = REFERENCE_STRENGTH
        return payload
    if job.operation == "image_pulid":
        assert character.base_image is not None  # routed to PuLID because it has one
        return {
            "prompt": image.prompt,
            "reference_image_url": {"$asset": str(character.base_image.public_id), "variant": "preview"},
            "negative_prompt": prompts.NEGATIVE_PROMPT,
            "image_size": size,
            "num_inference_steps": job.steps,
            "guidance_scale": 4,
            "id_weight": 1.0,
            "max_sequence_length": "256",
            "seed": image.seed,
            "enable_safety_checker": not job.nsfw,
        }
    raise ValueError(f"no input for operation {job.operation!r}")


def tryon_input(job: GenerationJob, image: GenerationImage) -> dict:
    """The virtual try-on of the pack's clothing image on one generated image."""
    assert job.clothing is not None  # only packs with a clothing image have a try-on stage
    return {
        "model_image": {"$key": image.intermediate_key},
        "garment_image": {"$asset": str(job.clothing.public_id), "variant": "preview"},
        "category": "auto",
        "mode": "quality" if job.quality == "hq" else "balanced",
        "garment_photo_type": "auto",
        "moderation_level": "none" if job.nsfw else "permissive",
        "seed": image.seed,
        "output_format": "jpeg",
    }
