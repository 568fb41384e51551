"""What each provider charges for a call: a price table per endpoint, and the cost of a finished call.

Sources: /work/shared/reference/providers.md §11 (fal's model pages and pricing API, xAI's models
page). Prices marked UNCONFIRMED come from third-party pages only; check them against fal's pricing
API (``GET https://api.fal.ai/v1/models/pricing?endpoint_id=…``) before relying on the totals.

How each provider bills:
- fal bills only successful outputs (never errors or queue time): a failed or cancelled fal call
  costs 0. Image endpoints charge per megapixel, rounded up per image (1 MP = 1024×1024 pixels, so
  a 1024×1024 image is one MP and a 512×512 one is rounded up to one); trainers per step; video
  per second of video (upscaled video per megapixel of it: width × height × frames); some per request.
- Replicate bills the time the model ran (``metrics.predict_time``) at the hardware's price per
  second, failed and cancelled runs included.
- xAI bills tokens in and out per million.

``Cost.source`` says where the billed units came from: "provider" when the provider measured them
(Replicate's predict time, xAI's token usage), "price table" when we derived them from the
request and its output (image sizes, steps, seconds of video, one request).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PRICE_TABLE = "price table"
PROVIDER = "provider"

MEGAPIXEL = "megapixel"
VIDEO_MEGAPIXEL = "megapixel of video"  # width × height × frames of the output, in millions
REQUEST = "request"
STEP = "training step"
VIDEO_SECOND = "video second"
TOKEN = "token"  # noqa: S105 -- a unit name, not a secret
GPU_SECOND = "GPU second"

PIXELS_PER_MP = 1024 * 1024
# fal's image_size presets (the default is landscape_4_3).
IMAGE_SIZES = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}


@dataclass(frozen=True)
class Price:
    """``usd`` per ``unit``; ``usd=None`` when we know how the endpoint bills but not at what price.
    ``by_resolution`` prices video per second by the requested ``resolution`` (``usd`` is the default)."""

    unit: str
    usd: Decimal | None
    by_resolution: dict[str, Decimal] | None = None
    default_steps: int = 1000
    # Wan bills video seconds counted at 16 fps: the request's ``num_frames`` ÷ 16.
    frames_per_billed_second: int | None = None


@dataclass(frozen=True)
class TokenPrice:
    """xAI: dollars per million tokens in, cached in and out."""

    input: Decimal
    cached_input: Decimal
    output: Decimal


D = Decimal

PRICES: dict[str, Price] = {
    # Images, per megapixel of output.
    "fal-ai/flux/dev": Price(MEGAPIXEL, D("0.025")),
    "fal-ai/flux-lora": Price(MEGAPIXEL, D("0.035")),  # UNCONFIRMED (third-party page)
    "fal-ai/flux-lora/image-to-image": Price(MEGAPIXEL, D("0.035")),  # UNCONFIRMED: assumed as flux-lora
    "fal-ai/flux-lora/inpainting": Price(MEGAPIXEL, D("0.035")),  # UNCONFIRMED: assumed as flux-lora
    "fal-ai/flux-pulid": Price(MEGAPIXEL, D("0.0333")),
    "fal-ai/z-image/turbo": Price(MEGAPIXEL, D("0.005")),  # +$0.0025 with prompt expansion (we don't use it)
    "fal-ai/z-image/turbo/lora": Price(MEGAPIXEL, D("0.0085")),
    "fal-ai/seedvr/upscale/image": Price(MEGAPIXEL, None),  # UNCONFIRMED: no published price found
    # Per request.
    "easel-ai/advanced-face-swap": Price(REQUEST, D("0.05")),
    "fal-ai/evf-sam": Price(REQUEST, D("0.005")),
    "fal-ai/fashn/tryon/v1.6": Price(REQUEST, D("0.075")),
    # Training, per step of the input's ``steps``.
    "fal-ai/flux-lora-fast-training": Price(STEP, D("0.002")),  # UNCONFIRMED (third-party page)
    "fal-ai/z-image-trainer": Price(STEP, D("0.00226")),  # UNCONFIRMED (third-party page)
    # Video, per second of video at the requested resolution.
    "fal-ai/ltx-2/image-to-video": Price(
        VIDEO_SECOND, D("0.06"), by_resolution={"1080p": D("0.06"), "1440p": D("0.12"), "2160p": D("0.24")}
    ),
    "fal-ai/ltx-2/image-to-video/fast": Price(  # fal's LTX-2 developer guide
        VIDEO_SECOND, D("0.04"), by_resolution={"1080p": D("0.04"), "1440p": D("0.08"), "2160p": D("0.16")}
    ),
    "fal-ai/wan/v2.2-a14b/image-to-video": Price(
        VIDEO_SECOND,
        D("0.08"),  # the default resolution is 720p
        by_resolution={"480p": D("0.04"), "580p": D("0.06"), "720p": D("0.08")},
        frames_per_billed_second=16,
    ),
    # Wan Animate and SeedVR name no length in the request and (in fal's schema) none in the answer:
    # their units are measured on the delivered file (``measured``).
    "fal-ai/wan/v2.2-14b/animate/replace": Price(
        VIDEO_SECOND, D("0.04"), by_resolution={"480p": D("0.04"), "580p": D("0.06"), "720p": D("0.08")}
    ),
    "fal-ai/wan/v2.2-14b/animate/move": Price(  # UNCONFIRMED: assumed as replace
        VIDEO_SECOND, D("0.04"), by_resolution={"480p": D("0.04"), "580p": D("0.06"), "720p": D("0.08")}
    ),
    # Per megapixel of output video (width × height × frames): $0.25 for 1920×1080 × 121 frames.
    "fal-ai/seedvr/upscale/video": Price(VIDEO_MEGAPIXEL, D("0.001")),
    # Replicate, per second the model ran on its hardware (Replicate's public hardware prices).
    "arielreplicate/robust_video_matting": Price(GPU_SECOND, D("0.000225")),  # Nvidia T4
    "firtoz/trellis": Price(GPU_SECOND, D("0.0014")),  # UNCONFIRMED hardware: assumed A100 (80GB)
}

TOKEN_PRICES: dict[str, TokenPrice] = {
    "grok-4-1-fast-non-reasoning": TokenPrice(D("0.20"), D("0.05"), D("0.50")),
    "grok-4-1-fast-reasoning": TokenPrice(D("0.20"), D("0.05"), D("0.50")),
    "grok-4.20-0309-non-reasoning": TokenPrice(D("2.00"), D("0.20"), D("6.00")),
    "grok-4.20-0309-reasoning": TokenPrice(D("2.00"), D("0.20"), D("6.00")),
}


@dataclass(frozen=True)
class Cost:
    usd: Decimal | None
    units: Decimal | None = None
    unit: str = ""
    source: str = PRICE_TABLE
    note: str = ""

    def fields(self) -> dict:
        """The ``ProviderCall`` fields that record it."""
        return {
            "cost_usd": self.usd,
            "billed_units": self.units,
            "cost_unit": self.unit,
            "cost_source": self.source,
            "cost_note": self.note[:200],
        }


NOT_BILLED = Cost(Decimal(0), note="The provider never took the request on, so it billed nothing.")
UNKNOWN = Cost(None, note="Unknown: the provider may have run it without telling us.")


def price_for(endpoint_id: str) -> Price | None:
    """The price of an endpoint; Replicate's are keyed without the ``:version``."""
    return PRICES.get(endpoint_id) or PRICES.get(endpoint_id.partition(":")[0])


def call_cost(
    *,
    provider: str,
    endpoint_id: str,
    input: dict | None,
    state: str,
    output: dict | None = None,
    metrics: dict | None = None,
    measured: dict | None = None,
) -> Cost:
    """What the provider charges for a call that ended in ``state`` (succeeded, failed, cancelled).
    ``measured``: the delivered video's ``width``, ``height``, ``duration`` and ``fps``, for
    endpoints whose request and answer don't say how long or large the video was."""
    input = input or {}
    if provider == "demo":
        return Cost(D(0), note="The demo provider runs here and costs nothing.")
    if provider == "xai":
        return _tokens_cost(endpoint_id, output)
    if provider == "replicate":
        return _gpu_cost(endpoint_id, metrics or {})
    if state != "succeeded":
        return Cost(D(0), note="fal bills only successful outputs.")
    price = price_for(endpoint_id)
    if price is None:
        return Cost(None, note="No price on file for this endpoint.")
    units = _units(price, input, output or {}, measured or {})
    if units is None:
        return Cost(None, unit=price.unit, note=f"We couldn't tell how many {price.unit}s were billed.")
    rate = price.usd
    if price.by_resolution:
        rate = price.by_resolution.get(str(input.get("resolution") or ""), price.usd)
    if rate is None:
        return Cost(None, units, price.unit, note="No confirmed price for this endpoint yet.")
    return Cost(_money(units * rate), units, price.unit)


def _units(price: Price, input: dict, output: dict, measured: dict) -> Decimal | None:
    if price.unit == MEGAPIXEL:
        sizes = _output_sizes(output) or _requested_sizes(input)
        return D(sum(math.ceil(width * height / PIXELS_PER_MP) for width, height in sizes)) if sizes else None
    if price.unit == REQUEST:
        return D(1)
    if price.unit == STEP:
        return D(_number(input.get("steps")) or price.default_steps)
    if price.unit == VIDEO_SECOND:
        video = _object(output.get("video"))
        seconds = _number(video.get("duration")) or _number(input.get("duration"))
        if not seconds and price.frames_per_billed_second:
            frames = _number(input.get("num_frames")) or 81  # Wan's default
            seconds = round(frames / price.frames_per_billed_second, 4)
        seconds = seconds or _number(measured.get("duration"))
        return D(str(seconds)) if seconds else None
    if price.unit == VIDEO_MEGAPIXEL:
        width, height, seconds, fps = (_number(measured.get(k)) for k in ("width", "height", "duration", "fps"))
        if not (width and height and seconds and fps):
            return None
        return D(str(round(width * height * round(seconds * fps) / 1_000_000, 3)))
    return None


def _output_sizes(output: dict) -> list[tuple[int, int]]:
    images = output.get("images") or ([output["image"]] if output.get("image") else [])
    sizes = []
    for image in images:
        width, height = (_number(image.get(k)) for k in ("width", "height")) if isinstance(image, dict) else (0, 0)
        if not (width and height):
            return []  # one size missing: trust the request instead
        sizes.append((int(width), int(height)))
    return sizes


def _requested_sizes(input: dict) -> list[tuple[int, int]]:
    size = input.get("image_size") or "landscape_4_3"
    if isinstance(size, dict):
        dimensions = (int(_number(size.get("width")) or 512), int(_number(size.get("height")) or 512))
    elif size in IMAGE_SIZES:
        dimensions = IMAGE_SIZES[size]
    else:
        return []
    return [dimensions] * int(_number(input.get("num_images")) or 1)


def _gpu_cost(endpoint_id: str, metrics: dict) -> Cost:
    price = price_for(endpoint_id)
    seconds = _number(metrics.get("predict_time"))
    if seconds is None:
        return Cost(None, unit=GPU_SECOND, note="Replicate reported no run time for this prediction.")
    units = D(str(seconds))
    if price is None or price.usd is None:
        return Cost(None, units, GPU_SECOND, PROVIDER, note="No price on file for this model's hardware.")
    return Cost(_money(units * price.usd), units, GPU_SECOND, PROVIDER)


def _tokens_cost(model: str, output: dict | None) -> Cost:
    usage = (output or {}).get("usage")
    if not isinstance(usage, dict) or not usage:
        return Cost(None, unit=TOKEN, note="xAI reported no token usage.")
    prompt = int(_number(usage.get("prompt_tokens")) or 0)
    completion = int(_number(usage.get("completion_tokens")) or 0)
    details = _object(usage.get("prompt_tokens_details"))
    cached = min(prompt, int(_number(details.get("cached_tokens")) or 0))
    units = D(prompt + completion)
    price = TOKEN_PRICES.get(model)
    if price is None:
        return Cost(None, units, TOKEN, PROVIDER, note="No price on file for this model.")
    usd = ((prompt - cached) * price.input + cached * price.cached_input + completion * price.output) / D(1_000_000)
    return Cost(_money(usd), units, TOKEN, PROVIDER)


def _number(value) -> float | None:
    """A positive number from JSON (fal sends some as strings, e.g. ``duration: "6"``), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and math.isfinite(number) else None


def _object(value) -> dict:
    return value if isinstance(value, dict) else {}


def _money(usd: Decimal) -> Decimal:
    return usd.quantize(D("0.000001"), rounding=ROUND_HALF_UP)
