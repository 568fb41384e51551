"""Reads of an organisation's style recipes."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from assets.models import Asset
from core.jobs import JobStatus
from core.lookups import one_or_404
from orgs.models import Organization
from styles.models import StyleRecipe


def style_or_404(org: Organization, public_id) -> StyleRecipe:
    """The org's style; 404 for another org's, a missing one or a malformed id (the same answer)."""
    return one_or_404(StyleRecipe.objects.for_org(org).select_related("org", "source", "created_by"), public_id)


def styles_list(org: Organization) -> QuerySet[StyleRecipe]:
    """Every style of the org, newest first, with its source image."""
    return StyleRecipe.objects.for_org(org).select_related("org", "source")


def styles_for_studio(org: Organization) -> list[StyleRecipe]:
    """The finished styles offered in the Studio ("Your styles"), by name."""
    return list(
        StyleRecipe.objects.for_org(org)
        .filter(status=JobStatus.SUCCEEDED, in_studio=True)
        .select_related("org", "source")
        .order_by("name", "id")
    )


def studio_style(org: Organization, public_id) -> StyleRecipe | None:
    """One style offered in the Studio, or None (not offered, not finished, or not the org's)."""
    if not public_id:
        return None
    return next((s for s in styles_for_studio(org) if str(s.public_id) == str(public_id)), None)


def styles_for_asset(asset: Asset, limit: int = 5) -> list[StyleRecipe]:
    """The styles extracted from ``asset``, newest first."""
    return list(StyleRecipe.objects.filter(org_id=asset.org_id, source=asset).select_related("org")[:limit])


def selected_assets(org: Organization, raw_ids: str) -> list[Asset]:
    """The org's library items among a selection (comma-separated ``public_id``s); ids that are
    malformed or not the org's are left out, as if they weren't there."""
    ids = []
    for part in (raw_ids or "").split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            continue
    return list(Asset.objects.for_org(org).filter(public_id__in=ids).order_by("-created_at", "-id"))
