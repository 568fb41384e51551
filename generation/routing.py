"""Which model makes a character's images, and what it is sent: the one place that decides.

- The character's LoRA is trained (HD mode): ``image_lora`` (``fal-ai/flux-lora``) with the LoRA
  from our storage and the trigger word in the prompt; from a reference image (library batch),
  ``image_lora_i2i`` (``fal-ai/flux-lora/image-to-image``), which keeps the reference's composition.
- Otherwise, with a base image (face-swap mode): ``image_pulid`` (``fal-ai/flux-pulid``), the face
  taken from the base image.
- A pack with a clothing image: each image then goes through ``tryon`` (``fal-ai/fashn/tryon/v1.6``).
- The safety checker is off only for adult content the character is allowed (PRODUCT.md §9).

The mode used is stored on the job. Endpoint ids live in ``providers.registry``.
"""

from __future__ import annotations

from dataclasses import dataclass

from characters.models import Character
from core.exceptions import DomainError
from generation import prompts
from generation.models import GenerationImage, GenerationJob
from providers import registry

# How far an image-to-image pass may move from the reference: enough to repaint the person with
# the LoRA's face, little enough to keep the pose, framing and light.
REFERENCE_STRENGTH = 0.8


@dataclass(frozen=True)
class Route:
    mode: str  # GenerationJob.Mode
    operation: str  # a providers.registry operation

    @property
    def model_label(self) -> str:
        return registry.ENDPOINTS[self.operation].label


def route(character: Character, *, from_reference: bool = False) -> Route:
    """The mode and model for ``character`` now. Raises ``DomainError`` if it has no face yet."""
    if character.mode == "hd":
        return Route(GenerationJob.Mode.HD, "image_lora_i2i" if from_reference else "image_lora")
    if character.mode == "face_swap":
        return Route(GenerationJob.Mode.FACE_SWAP, "image_pulid")
    raise DomainError(
        f"{character.name} has no face to generate from yet. Choose a base image in the wizard, or train "
        "the face model from photos first."
    )


def generate_input(job: GenerationJob, image: GenerationImage, character: Character) -> dict:
    """The provider input for one image of ``job`` (markers for our files are resolved at submit)."""
    size = {"width": job.width, "height": job.height}
    if job.operation in ("image_lora", "image_lora_i2i"):
        payload = {
            "prompt": prompts.with_trigger(image.prompt, character),
            "loras": [{"path": {"$key": character.lora_key}, "scale": 1}],
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
