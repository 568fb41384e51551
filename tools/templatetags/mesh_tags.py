"""Image → 3D on other pages: the card on a library item (make a model of an image, or open a
model in the viewer), the card on the Tools page, and a running job's time left."""

from django import template

from assets.models import Asset
from tools import mesh, mesh_jobs, selectors
from tools.models import MeshJob

register = template.Library()


@register.inclusion_tag("tools/_asset_mesh.html", takes_context=True)
def asset_mesh(context, asset: Asset):
    image = asset.kind == Asset.Kind.IMAGE
    return {
        "request": context["request"],
        "asset": asset,
        "image": image,
        "model": asset.mime == mesh.GLB_MIME,
        "problem": mesh.source_problem(asset) if image else "",
        "credits": mesh_jobs.mesh_credits(),
        "jobs": selectors.mesh_jobs_for_asset(asset, limit=3) if image else [],
    }


@register.inclusion_tag("tools/_mesh_home.html", takes_context=True)
def mesh_home_card(context):
    request = context["request"]
    return {
        "request": request,
        "credits": mesh_jobs.mesh_credits(),
        "jobs": list(selectors.mesh_jobs(request.org)[:4]),
    }


@register.filter
def mesh_eta(job: MeshJob) -> str:
    """About how long a running model has left ('' when unknown or overdue)."""
    left = mesh_jobs.seconds_left(job)
    if left is None:
        return ""
    return f"{max(1, left)} s" if left < 60 else f"{round(left / 60)} min"


@register.filter
def mesh_progress(job: MeshJob) -> int:
    return job.progress_percent() or 0
