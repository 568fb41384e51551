"""The library's batch sidebar for what runs one job per item (PRODUCT.md §4): upscale images and
videos, change the clothes of images, animate a character into videos, and, beside a batch pack,
a video of each image it makes.

Each action has a plan (``*_plan``): the items it takes with their price, the ones it skips and why,
the total against the credits available, and the plan's limit on jobs at once (a batch can't start
more jobs than there are free slots: it says so before anything starts). Starting checks the whole
total first, then starts one job per item with a one-time key of its own (the form's key and the
item's id), so a repeated submit starts nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from django.db import transaction

from accounts.models import User
from assets.models import Asset
from billing.dunning import effective_plan
from billing.prices import operation_credits
from billing.services import credits_available
from characters import attributes
from characters.models import Character
from core.exceptions import DomainError
from generation import edits, packs, presets
from generation import services as image_services
from generation.models import EditJob, GenerationImage, GenerationJob
from jobs.engine import jobs_running
from orgs.models import Organization
from video import animate, routing, services, upscale
from video.models import PackVideo, VideoJob

log = logging.getLogger(__name__)

MAX_ITEMS = 50
UPSCALE_FACTORS = (2, 4)


@dataclass
class Item:
    asset: Asset
    credits: int
    note: str = ""  # what it will be: "2× → 1600 × 1200 px"


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    skipped: list[tuple[Asset, str]] = field(default_factory=list)
    available: int = 0
    slots: int = 0  # jobs that may still start under the plan's limit
    slot_limit: int = 0

    @property
    def total(self) -> int:
        return sum(item.credits for item in self.items)

    @property
    def short_by(self) -> int:
        return max(0, self.total - self.available)

    @property
    def problem(self) -> str:
        """Why this batch can't start as it is ('' if it can)."""
        count = len(self.items)
        if not count:
            return "None of the selected items can be used for this."
        if count > MAX_ITEMS:
            return f"A batch takes at most {MAX_ITEMS} items; select fewer."
        if count > self.slots:
            return (
                f"Your plan runs {self.slot_limit} jobs at a time and {self.slot_limit - self.slots} "
                f"{'is' if self.slot_limit - self.slots == 1 else 'are'} running, so this batch can start at most "
                f"{self.slots} now. Select fewer, or wait for jobs to finish."
            )
        if self.short_by:
            return f"This batch needs {self.total:,} credits and you have {self.available:,} available."
        return ""


def empty_plan(org: Organization) -> Plan:
    """No items yet: the credits available and the free slots under the plan's jobs at once."""
    limit = effective_plan(org).max_concurrent_jobs
    return Plan(available=credits_available(org), slots=max(0, limit - jobs_running(org)), slot_limit=limit)


# --- Upscale images and videos ---------------------------------------------------------------------


def upscale_plan(org: Organization, assets: list[Asset], factor: int) -> Plan:
    plan = empty_plan(org)
    for asset in assets:
        option: image_services.UpscaleOption | upscale.VideoUpscaleOption | None
        if asset.kind == Asset.Kind.IMAGE:
            option = next((o for o in image_services.upscale_options(asset) if o.factor == factor), None)
        elif asset.kind == Asset.Kind.VIDEO and asset.duration:
            option = next((o for o in upscale.video_upscale_options(asset) if o.factor == factor), None)
        else:
            plan.skipped.append((asset, "Only images and videos can be upscaled."))
            continue
        if option is None:
            plan.skipped.append((asset, f"{factor}× isn't offered for this {asset.kind}."))
        elif not option.allowed:
            plan.skipped.append((asset, option.problem))
        else:
            plan.items.append(Item(asset, option.credits, f"{factor}× → {option.width} × {option.height} px"))
    return plan


def batch_upscale_start(*, org: Organization, user: User | None, assets: list[Asset], factor: int, key: str) -> list:
    """One upscale job per image and per video. Raises ``DomainError`` before starting any when the
    batch as a whole can't start."""
    plan = upscale_plan(org, assets, factor)
    if plan.problem:
        raise DomainError(plan.problem)
    started: list[VideoJob | EditJob] = []
    for item in plan.items:
        one_key = f"{key}:{item.asset.public_id}" if key else ""
        if item.asset.kind == Asset.Kind.VIDEO:
            started.append(
                upscale.video_upscale_start(org=org, user=user, asset=item.asset, factor=factor, key=one_key)
            )
        else:
            started.append(
                image_services.upscale_start(org=org, user=user, asset=item.asset, factor=factor, key=one_key)
            )
    return started


# --- Change clothes ----------------------------------------------------------------------------------------


def clothes_plan(org: Organization, assets: list[Asset]) -> Plan:
    plan = empty_plan(org)
    price = operation_credits(edits.CLOTHES_PRICE)
    for asset in assets:
        if problem := edits.edit_problem(asset):
            plan.skipped.append((asset, problem))
        else:
            plan.items.append(Item(asset, price))
    return plan


def batch_clothes_start(
    *, org: Organization, user: User | None, assets: list[Asset], outfit: str, description: str, key: str
) -> list:
    """One clothing change per image, all in the same outfit. Raises ``DomainError`` (or
    ``EditRefused`` for the outfit) before starting any when the batch can't start."""
    plan = clothes_plan(org, assets)
    if plan.problem:
        raise DomainError(plan.problem)
    if not description and not attributes.words("default_outfit", outfit):
        raise edits.EditRefused({"outfit": edits.NO_OUTFIT})
    return [
        edits.clothes_start(
            org=org,
            user=user,
            asset=item.asset,
            outfit=outfit,
            description=description,
            key=f"{key}:{item.asset.public_id}" if key else "",
        )
        for item in plan.items
    ]


# --- Animate a character into videos ---------------------------------------------------------------------


def animate_plan(org: Organization, assets: list[Asset], request: animate.AnimateRequest) -> Plan:
    """Each video's whole animation (face swap, refinement and the animation of up to
    ``animate.MAX_SECONDS`` from its start); a video that can't be animated is skipped with why."""
    plan = empty_plan(org)
    clothes = bool(request.outfit or request.outfit_words)
    for asset in assets:
        if problem := animate.video_problem(asset):
            plan.skipped.append((asset, problem))
            continue
        settled = animate.settled(asset, replace(request, start=0.0, seconds=0.0))
        if problems := animate.animate_problems(asset, settled):
            plan.skipped.append((asset, next(iter(problems.values()))))
            continue
        costs = animate.estimate(seconds=settled.seconds, clothes=clothes)
        plan.items.append(Item(asset, costs["total"], f"{settled.seconds:g} s"))
    return plan


def batch_animate_start(
    *, org: Organization, user: User | None, assets: list[Asset], request: animate.AnimateRequest, key: str
) -> list:
    """One animation per video, each going straight on to the animation after its refinement."""
    plan = animate_plan(org, assets, request)
    if plan.problem:
        raise DomainError(plan.problem)
    auto = replace(request, start=0.0, seconds=0.0, auto_animate=True)
    return [
        animate.pipeline_start(
            org=org, user=user, video=item.asset, request=auto, key=f"{key}:{item.asset.public_id}" if key else ""
        )
        for item in plan.items
    ]


def character_choices(org: Organization) -> list[tuple[Character, str]]:
    return [
        (character, animate.character_problem(character))
        for character in Character.objects.for_org(org).select_related("avatar", "base_image").order_by("name")
    ]


# --- A video of each image of a batch pack ------------------------------------------------------------


def pack_video_price(seconds: int) -> int:
    """Each image's clip: the image's own shape at its standard resolution, motion written by the model."""
    return routing.credits("16:9", "1080p", seconds, write=True)


@transaction.atomic
def pack_videos_follow(*, pack: GenerationJob, seconds: int, user: User | None) -> PackVideo:
    """Make a clip of each image ``pack`` delivers, as it arrives (``pack_image_delivered``)."""
    if seconds not in routing.DURATIONS:
        raise DomainError("Choose 6, 8 or 10 seconds.", field="video_seconds")
    follow, _created = PackVideo.objects.get_or_create(
        pack=pack, defaults={"org": pack.org, "seconds": seconds, "created_by": user}
    )
    return follow


def pack_image_delivered(image_id: int) -> None:
    """A batch pack's image is in the library: start its clip if the pack asked for one. Its own
    one-time key makes a repeated call start nothing more; a refusal (credits ran short) is kept on
    the follow-up for the pack's page to say."""
    image = GenerationImage.objects.select_related("job", "job__org", "job__created_by", "asset").get(pk=image_id)
    follow = PackVideo.objects.filter(pack_id=image.job_id).first()
    if follow is None or image.asset is None:
        return
    request = services.VideoRequest(seconds=follow.seconds, write=True, nsfw=image.job.nsfw)
    try:
        services.video_start(
            org=image.job.org,
            user=follow.created_by,
            asset=image.asset,
            request=request,
            key=f"pack-video:{image.pk}",
            origin=VideoJob.Origin.PACK,
            pack=image.job,
        )
    except DomainError as exc:
        log.info("pack %s image %s: no video: %s", image.job_id, image.position, exc.message)
        with transaction.atomic():
            locked = PackVideo.objects.select_for_update().get(pk=follow.pk)
            locked.refusals = [*locked.refusals, {"position": image.position, "reason": exc.message}]
            locked.save(update_fields=["refusals", "updated_at"])


class PackVideos:
    """The batch pack's "Also make a video of each image" switch (``generation.followups``): the
    credits for the clips are checked with the pack's, and each clip starts as its image arrives."""

    def _seconds(self, data) -> int | None:
        if data.get("also_video") != "on":
            return None
        try:
            return int(data.get("video_seconds") or routing.DURATIONS[0])
        except ValueError:
            return 0

    def check(self, org: Organization, data, count: int) -> None:
        seconds = self._seconds(data)
        if seconds is None:
            return
        if seconds not in routing.DURATIONS:
            raise DomainError("Choose 6, 8 or 10 seconds for the videos.", field="video_seconds")
        # The pack's own credits are checked when it starts; here, that there is room for the clips too.
        quality = data.get("quality") if data.get("quality") in presets.QUALITIES_BY_KEY else presets.DEFAULT_QUALITY
        images = packs.price_per_image(quality, describe=data.get("use_prompt_writer") == "on") * count
        needed = images + pack_video_price(seconds) * count
        if (available := credits_available(org)) < needed:
            raise DomainError(
                f"{count} image{'s' if count != 1 else ''} and their videos need {needed:,} credits and you have "
                f"{available:,} available. Make shorter videos, or leave them out.",
                field="also_video",
            )

    def started(self, job: GenerationJob, data, user: User | None) -> None:
        seconds = self._seconds(data)
        if seconds:
            pack_videos_follow(pack=job, seconds=seconds, user=user)


PACK_VIDEOS = PackVideos()
