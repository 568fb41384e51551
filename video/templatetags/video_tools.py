"""The "Video" card on a library item (Make video for an image; Animate and Upscale for a video,
with prices and recent jobs), and how video jobs and animation steps read on their pages."""

import uuid

from django import template

from billing.services import credits_available
from video import animate, routing, selectors, services, steps, upscale

register = template.Library()


@register.inclusion_tag("video/_asset_video.html", takes_context=True)
def asset_video(context, asset):
    request = context["request"]
    available = credits_available(request.org)
    options = upscale.video_upscale_options(asset) if asset.kind == "video" else []
    cheapest_clip = routing.credits("16:9", "1080p", routing.DURATIONS[0], write=False)
    return {
        "request": request,
        "asset": asset,
        "available": available,
        "image_problem": services.source_problem(asset) if asset.kind == "image" else "",
        "video_problem": animate.video_problem(asset) if asset.kind == "video" else "",
        "cheapest_clip": cheapest_clip,
        "upscale_options": options,
        "cheapest_upscale": min((o.credits for o in options if o.allowed), default=None),
        "jobs": selectors.video_jobs_for_asset(asset),
        "pipelines": [(p, selectors.pipeline_state(p)) for p in selectors.pipelines_for_asset(asset)],
        "form_key": uuid.uuid4(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def video_step(job) -> str:
    """What a running image → video job is doing now ('' for one-step jobs)."""
    if job.kind == "image_to_video" and job.is_active and job.params.get("write"):
        return services.STEP_WORDS.get(job.params.get("step", ""), "")
    return ""


@register.filter
def video_model(job) -> str:
    """The model a video job ran on, in words; the demo provider says it is not AI."""
    call = job.call
    if call is None:
        return "—"
    if call.provider != "demo":
        return call.endpoint_id
    if job.kind == "upscale":
        return "Demo provider (a local Lanczos resize, not AI)"
    return "Demo provider (a slow camera move over the image, labelled, not AI)"


@register.filter
def step_words(step) -> str:
    """What a running animation step is doing."""
    if step.kind == "refine" and step.params.get("stage") == steps.STAGE_SEGMENT:
        return "Finding the clothes"
    if step.kind == "refine" and step.params.get("stage") == steps.STAGE_INPAINT:
        return "Painting the new outfit"
    return steps.WORDS.get(step.kind, "")


@register.filter
def media_fact(asset, name: str):
    """A technical fact about a file (``fps``, ``has_audio``, ``codec``) from its metadata."""
    return ((asset.metadata or {}).get("media") or {}).get(name)


@register.inclusion_tag("video/_batch_video_toggle.html")
def batch_video_toggle(data):
    """The batch pack's "Also make a video of each image" switch, with the price of each length;
    ``data`` is the submitted form's, so a refused panel keeps the choice."""
    from video import batch

    seconds = str(data.get("video_seconds") or routing.DURATIONS[0]) if data else str(routing.DURATIONS[0])
    return {
        "on": bool(data) and data.get("also_video") == "on",
        "seconds": seconds,
        "durations": [str(s) for s in routing.DURATIONS],
        "prices": {str(s): batch.pack_video_price(s) for s in routing.DURATIONS},
    }


@register.inclusion_tag("video/_pack_videos.html", takes_context=True)
def pack_videos(context, pack):
    """Under a batch pack that asked for a clip of each image: how many are made, and any that
    couldn't start."""
    from video.models import PackVideo

    follow = PackVideo.objects.filter(pack=pack).first()
    if follow is None:
        return {"follow": None}
    jobs = list(selectors.video_jobs(pack.org).filter(pack=pack).order_by("created_at"))
    return {
        "request": context["request"],
        "follow": follow,
        "jobs": jobs,
        "done": sum(1 for job in jobs if job.status == "succeeded"),
        "running": sum(1 for job in jobs if job.is_active),
    }
