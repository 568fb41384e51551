"""What things cost (PRODUCT.md §6): credits per operation, and the top-up packs.

This is the one place these numbers live. The pricing page shows them; the credits ledger
charges from them. Plans (monthly price, credits, limits) are rows in ``billing.Plan``.

Operations the product doesn't offer yet keep their planned price here with ``on_sale=False``:
the ledger accepts them (tests use them), but no page lists them until the feature ships and
flips the flag.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperationPrice:
    operation: str
    label: str
    credits: int
    unit: str
    group: str
    note: str = ""
    on_sale: bool = True  # False: planned, not offered yet, so not listed anywhere people see prices


@dataclass(frozen=True)
class TopUpPack:
    slug: str
    credits: int
    price_cents: int

    @property
    def price_dollars(self) -> int | float:
        dollars = self.price_cents / 100
        return int(dollars) if dollars.is_integer() else dollars

    @property
    def cents_per_credit(self) -> float:
        return self.price_cents / self.credits


IMAGES = "Images"
CHARACTERS = "Characters"
VIDEO = "Video"
TOOLS = "AI tools"

_PRICES = [
    OperationPrice(
        "image_draft", "Image, draft quality", 4, "per image", IMAGES, "fast, up to 1 MP; good for exploring"
    ),
    OperationPrice("image_hq", "Image, high quality", 8, "per image", IMAGES, "about 2 MP; for publishing"),
    OperationPrice("inpaint", "Inpaint edit", 8, "per edit", IMAGES, "brush a mask, describe the change"),
    OperationPrice("clothing_change", "Clothing change", 12, "per image", IMAGES),
    OperationPrice("upscale", "Upscale 2× or 4×", 8, "per image", IMAGES),
    OperationPrice("upscale_large", "Upscale 5× or more", 15, "per image", IMAGES),
    OperationPrice("prompt_generation", "Prompt generation", 1, "per request", IMAGES),
    OperationPrice(
        "style_extraction",
        "Style extraction",
        1,
        "per image",
        IMAGES,
        "an editable style recipe from a library image, usable as a Studio preset",
    ),
    # Training makes two LoRAs from the same photos: FLUX (fal-ai/flux-lora-fast-training, 1,000
    # steps × $0.002 = $2.00) and Z-Image for drafts (fal-ai/z-image-trainer, 1,000 × $0.00226 =
    # $2.26; both per-step prices unconfirmed), plus four FLUX reference images and captions: about
    # $4.41. At PRODUCT.md's 300 credits ($3.74 at the Agency rate, $4.50 as a top-up) a 2× margin
    # doesn't hold even for FLUX alone, so the Z-Image LoRA is not priced into training: we absorb
    # it. It pays for itself in drafts: a Z-Image draft costs us about $0.0085 against $0.035 on
    # FLUX, so after about 85 drafts per character. Raising this price is a product decision.
    OperationPrice(
        "lora_training",
        "Face model (LoRA) training",
        300,
        "per character",
        CHARACTERS,
        "dataset checks, captions and four reference images included",
    ),
    # The dataset builder (datasets/rules.py): per target photo a face swap (the animation's swap on
    # the same endpoint, 9), an enhance (an upscale ≤ 4×, 8) and a caption (one vision request, 1).
    OperationPrice(
        "dataset_swap", "Dataset builder: face swap", 9, "per photo", CHARACTERS, "the source face onto a body photo"
    ),
    OperationPrice(
        "dataset_enhance", "Dataset builder: enhance", 8, "per photo", CHARACTERS, "2× detail, kept at 1024²"
    ),
    OperationPrice("dataset_caption", "Dataset builder: caption", 1, "per photo", CHARACTERS, "with the trigger word"),
    OperationPrice("wizard_candidates", "Wizard base images", 16, "per set of four", CHARACTERS),
    OperationPrice("character_sheet", "Character sheet", 60, "per sheet", CHARACTERS, "7–10 angles and expressions"),
    # Video. The 2× margin rule (credits at the cheapest rate, Agency's $0.01245, at least twice what
    # the provider bills) sets the tiers: 10 credits a second ($0.1245) covers LTX-2 at 1080p ($0.06 a
    # second Pro, $0.04 Fast) and Wan 2.2 up to 580p ($0.06); 1440p on LTX-2 ($0.12 Pro) and 720p on
    # Wan ($0.08) need 20; 2160p ($0.24 Pro) needs 40. Writing the motion with the prompt generator
    # adds the prompt's 1 credit.
    OperationPrice(
        "image_to_video",
        "Image to video",
        10,
        "per second",
        VIDEO,
        "clips of 6, 8 or 10 seconds at 1080p (landscape) or up to 580p (portrait, square)",
    ),
    OperationPrice(
        "image_to_video_hd", "Image to video, 1440p", 20, "per second", VIDEO, "720p for portrait and square"
    ),
    OperationPrice("image_to_video_4k", "Image to video, 4K", 40, "per second", VIDEO, "2160p, landscape"),
    # Wan 2.2 Animate bills $0.04–0.08 a second (480p–720p): 20 credits ($0.249) covers 720p twice
    # over. The preparation is 15: the face swap 9 ($0.112 against easel's $0.05 a swap) and the
    # refinement 6 ($0.0747 against FLUX image-to-image's $0.035 a megapixel; the frame is kept under
    # one). A refinement that changes the clothes is a clothing change (12: segmentation + inpainting).
    OperationPrice("animate", "Animate from a reference video", 20, "per output second", VIDEO),
    OperationPrice(
        "animate_swap", "Animation: face swap", 9, "per swap", VIDEO, "the character's face on the video's first frame"
    ),
    OperationPrice(
        "animate_refine",
        "Animation: refinement",
        6,
        "per refinement",
        VIDEO,
        "the swapped frame made whole; 12 with a clothing change",
    ),
    # SeedVR2 bills $0.001 per megapixel of output video (width × height × frames): one credit per
    # 6 MP is $0.01245 against $0.006. A 10-second 720p clip upscaled 2× (2560 × 1440 × 250 frames,
    # 922 MP) is 154 credits.
    OperationPrice(
        "video_upscale",
        "Video upscale",
        1,
        "per 6 megapixels of output video",
        VIDEO,
        "width × height × frames: a 10 s 720p clip at 2× is 154 credits",
    ),
    # Robust video matting on Replicate bills T4 time ($0.000225 a second) and does a minute of HD in
    # one to two: 25 credits ($0.31 at the Agency rate) per started minute is far over twice that.
    OperationPrice(
        "rotoscoping",
        "Rotoscoping",
        25,
        "per minute of video",
        TOOLS,
        "per started minute of the range you choose: a transparent WebM and a preview",
    ),
    OperationPrice("image_to_3d", "Image to 3D model", 25, "per model", TOOLS, "TRELLIS; GLB or OBJ"),
    OperationPrice("color_grade", "Colour grade", 15, "per image or clip", TOOLS),
    OperationPrice("audio_cleanup", "Audio cleanup", 10, "per file", TOOLS, "a recording, or a video's sound"),
    OperationPrice(
        "script_breakdown",
        "Script breakdown",
        10,
        "per script",
        TOOLS,
        "up to about 60,000 characters, then 5 more per further 60,000; the same script again is free",
    ),
    OperationPrice(
        "chat", "Project assistant", 2, "per message", TOOLS, "answers from the project's scripts and items"
    ),
]

OPERATION_PRICES: dict[str, OperationPrice] = {price.operation: price for price in _PRICES}

TOP_UP_PACKS: list[TopUpPack] = [
    TopUpPack("credits-1000", credits=1_000, price_cents=1_500),
    TopUpPack("credits-5000", credits=5_000, price_cents=6_500),
]


def operation_credits(operation: str, quantity: int = 1) -> int:
    """Credits for ``quantity`` units of ``operation`` (images, seconds, minutes, messages…)."""
    return OPERATION_PRICES[operation].credits * quantity


def prices_on_sale() -> list[OperationPrice]:
    """What people can buy today, in display order."""
    return [price for price in OPERATION_PRICES.values() if price.on_sale]


def prices_by_group() -> list[tuple[str, list[OperationPrice]]]:
    """The price list people see, in display order, grouped (Images, Characters …); only what is on sale."""
    groups: dict[str, list[OperationPrice]] = {}
    for price in prices_on_sale():
        groups.setdefault(price.group, []).append(price)
    return list(groups.items())
