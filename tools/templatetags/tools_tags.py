"""The "Tools" card on a library item (Colour grade, Clean up audio, with prices and recent runs),
and a running tool job's time left."""

from django import template
from django.utils import timezone

from assets.models import Asset
from tools import audio, grading, selectors, services
from tools.models import ToolJob

register = template.Library()


@register.inclusion_tag("tools/_asset_tools.html", takes_context=True)
def asset_tools(context, asset: Asset):
    gradable = asset.kind in (Asset.Kind.IMAGE, Asset.Kind.VIDEO)
    audible = asset.kind == Asset.Kind.VIDEO or audio.is_audio(asset)
    return {
        "request": context["request"],
        "asset": asset,
        "gradable": gradable,
        "grade_problem": grading.source_problem(asset) if gradable else "",
        "audible": audible,
        "audio_problem": audio.source_problem(asset) if audible else "",
        "grade_credits": services.tool_credits(ToolJob.Kind.GRADE),
        "audio_credits": services.tool_credits(ToolJob.Kind.AUDIO),
        "jobs": selectors.jobs_for_asset(asset, limit=3) if gradable or audible else [],
    }


@register.filter
def tool_eta(job: ToolJob) -> str:
    """About how long a running job has left, from how fast it has gone so far ('' when unknown)."""
    if job.status != "running" or not job.started_at or job.progress < 5:
        return ""
    elapsed = (timezone.now() - job.started_at).total_seconds()
    left = elapsed * (100 - job.progress) / job.progress
    if left < 60:
        return f"{max(1, round(left))} s"
    return f"{round(left / 60)} min"
