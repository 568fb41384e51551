"""Every model endpoint the product calls, in one place: swapping a model is a one-line change.

An operation (``upscale``, ``image_lora`` …) names what we want done; the registry says which
provider and endpoint id do it, and how long a call may take before the sweeper gives up on it.
When the provider's key is not configured, the offline ``demo`` provider answers instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class Endpoint:
    operation: str
    provider: str  # fal | replicate | xai
    endpoint_id: str
    deadline: timedelta = timedelta(minutes=15)
    label: str = ""


ENDPOINTS: dict[str, Endpoint] = {
    e.operation: e
    for e in [
        Endpoint("upscale", "fal", "fal-ai/seedvr/upscale/image", timedelta(minutes=10), "SeedVR upscaler"),
        Endpoint("image_lora", "fal", "fal-ai/flux-lora", timedelta(minutes=10), "FLUX with the character's LoRA"),
        Endpoint("image_draft", "fal", "fal-ai/z-image/turbo/lora", timedelta(minutes=5), "Z-Image Turbo"),
        Endpoint(
            "image_lora_i2i",
            "fal",
            "fal-ai/flux-lora/image-to-image",
            timedelta(minutes=10),
            "FLUX image-to-image with the character's LoRA",
        ),
        Endpoint("image_pulid", "fal", "fal-ai/flux-pulid", timedelta(minutes=10), "FLUX PuLID (face reference)"),
        Endpoint("image_base", "fal", "fal-ai/flux/dev", timedelta(minutes=10), "FLUX dev"),
        Endpoint("inpaint", "fal", "fal-ai/flux-lora/inpainting", timedelta(minutes=10), "FLUX inpainting"),
        Endpoint("segment", "fal", "fal-ai/evf-sam", timedelta(minutes=5), "EVF-SAM segmentation"),
        Endpoint("tryon", "fal", "fal-ai/fashn/tryon/v1.6", timedelta(minutes=10), "FASHN try-on"),
        Endpoint("train_lora", "fal", "fal-ai/flux-lora-fast-training", timedelta(hours=2), "FLUX LoRA training"),
        Endpoint(
            "train_lora_zimage", "fal", "fal-ai/z-image-trainer", timedelta(hours=2), "Z-Image LoRA training (drafts)"
        ),
        # Video (video/): landscape clips on LTX-2, portrait and square ones on Wan 2.2, which keeps their shape.
        Endpoint("image_to_video", "fal", "fal-ai/ltx-2/image-to-video", timedelta(minutes=30), "LTX-2 Pro"),
        Endpoint("image_to_video_fast", "fal", "fal-ai/ltx-2/image-to-video/fast", timedelta(minutes=20), "LTX-2 Fast"),
        Endpoint("image_to_video_wan", "fal", "fal-ai/wan/v2.2-a14b/image-to-video", timedelta(minutes=30), "Wan 2.2"),
        Endpoint(
            "animate_replace",
            "fal",
            "fal-ai/wan/v2.2-14b/animate/replace",
            timedelta(minutes=45),
            "Wan 2.2 Animate (replace)",
        ),
        Endpoint(
            "animate_move", "fal", "fal-ai/wan/v2.2-14b/animate/move", timedelta(minutes=45), "Wan 2.2 Animate (move)"
        ),
        # The animation's face swap keeps the first frame's pose, framing and light (see docs/video.md).
        Endpoint("face_swap", "fal", "easel-ai/advanced-face-swap", timedelta(minutes=10), "Advanced face swap"),
        Endpoint(
            "video_upscale", "fal", "fal-ai/seedvr/upscale/video", timedelta(minutes=45), "SeedVR2 video upscaler"
        ),
        Endpoint(
            "matting",
            "replicate",
            "arielreplicate/robust_video_matting:73d2128a371922d5d1abf0712a1d974be0e4e2358cc1218e4e34714767232bac",
            timedelta(minutes=30),
            "Robust video matting",
        ),
        Endpoint(
            "image_to_3d",
            "replicate",
            "firtoz/trellis:e8f6c45206993f297372f5436b90350817bd9b4a0d52d2a76df50c1c8afa2b3c",
            timedelta(minutes=30),
            "TRELLIS",
        ),
        Endpoint("chat", "xai", "grok-4-1-fast-non-reasoning", timedelta(minutes=2), "Grok"),
        # Style recipes (styles/): the vision model describes a saved image's style as a JSON object.
        Endpoint("style_extract", "xai", "grok-4-1-fast-non-reasoning", timedelta(minutes=2), "Grok vision"),
        # Projects (projects/): script breakdowns as JSON, and the project assistant's streamed answers.
        Endpoint("script_breakdown", "xai", "grok-4-1-fast-non-reasoning", timedelta(minutes=5), "Grok"),
        Endpoint("project_chat", "xai", "grok-4-1-fast-non-reasoning", timedelta(minutes=3), "Grok"),
        Endpoint("moderation", "xai", "grok-4-1-fast-non-reasoning", timedelta(minutes=1), "Grok (minors moderation)"),
    ]
}

_KEYS = {"fal": "FAL_KEY", "replicate": "REPLICATE_API_TOKEN", "xai": "XAI_API_KEY"}


def provider_configured(provider: str) -> bool:
    return provider == "demo" or bool(getattr(settings, _KEYS[provider], ""))


def resolve(operation: str) -> tuple[str, str]:
    """``(provider, endpoint_id)`` for an operation: the real one if its key is set, else demo."""
    endpoint = ENDPOINTS[operation]
    if provider_configured(endpoint.provider):
        endpoint_id = endpoint.endpoint_id
        if endpoint.provider == "xai":
            endpoint_id = settings.XAI_MODEL
        return endpoint.provider, endpoint_id
    return "demo", endpoint.endpoint_id


def deadline(operation: str) -> timedelta:
    return ENDPOINTS[operation].deadline
