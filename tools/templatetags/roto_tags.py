"""Rotoscoping on a library video's Tools card (with its price and recent runs), and a running
rotoscoping job's progress and time left."""

from django import template

from assets.models import Asset
from billing.prices import OPERATION_PRICES
from providers import registry
from tools import roto, selectors
from tools.models import MatteJob

register = template.Library()


@register.inclusion_tag("tools/_asset_roto.html", takes_context=True)
def roto_asset_tools(context, asset: Asset):
    shown = asset.kind == Asset.Kind.VIDEO
    return {
        "request": context["request"],
        "asset": asset,
        "shown": shown,
        "problem": roto.source_problem(asset) if shown else "",
        "per_minute": OPERATION_PRICES[roto.OPERATION].credits,
        "roto_jobs": selectors.matte_jobs_for_asset(asset, limit=3) if shown else [],
    }


@register.filter
def roto_progress(job: MatteJob) -> int:
    return roto.progress_now(job)


@register.filter
def roto_eta(job: MatteJob) -> str:
    return roto.eta_words(job)


@register.filter
def roto_model(job: MatteJob) -> str:
    """What mattes it: the call's provider once it is made, else the one it will go to."""
    provider = job.call.provider if job.call_id and job.call else registry.resolve(roto.CALL_OPERATION)[0]
    if provider == "demo":
        return "Demo provider: background subtraction, not AI"
    return f"{registry.ENDPOINTS[roto.CALL_OPERATION].label} (Replicate)"
