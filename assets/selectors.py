"""Org-scoped reads for the library."""

from __future__ import annotations

import base64
import json
import string
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Lower, RowNumber
from django.utils import timezone

from assets.models import Asset, Collection, CollectionItem, Export, MediaImport, Tag, Upload
from core.lookups import one_or_404
from orgs.models import Organization

PAGE_SIZE = 60
# Words of a search query used; more are ignored (each one narrows the results).
MAX_SEARCH_TERMS = 8
# Shorter words match as substrings only: a typo-tolerant match needs three letters to compare.
FUZZY_MIN_LENGTH = 3


def storage_used(org: Organization) -> int:
    return Asset.objects.for_org(org).aggregate(total=Sum("stored_bytes"))["total"] or 0


def storage_usage(org: Organization) -> dict:
    used, quota = storage_used(org), org.plan.storage_bytes
    return {"used": used, "quota": quota, "percent": min(100, round(used * 100 / quota)) if quota else 100}


# Videos by duration: (label, at least, under) seconds.
LENGTHS = {
    "short": ("Videos under 10 s", None, 10),
    "medium": ("Videos of 10 s to 1 min", 10, 60),
    "long": ("Videos over 1 min", 60, None),
}


# Likeness to the character (identity app): (label, at least, under).
LIKENESS = {
    "high": ("Likeness 70 or more", 70, None),
    "ok": ("Likeness 50–69", 50, 70),
    "low": ("Likeness under 50", None, 50),
    "unscored": ("No likeness score", None, None),
}
# Orders of the grid: newest first (the default), or by likeness (scored items only).
SORTS = {
    "": "Newest first",
    "likeness": "Highest likeness (scored only)",
    "likeness_low": "Lowest likeness (scored only)",
}


@dataclass
class LibraryFilters:
    kind: str = ""
    source: str = ""
    tag: str = ""
    collection: str = ""
    project: str = ""  # a project's public_id (projects/): the items linked to it
    liked: bool = False
    nsfw: str = ""  # "" shows all (blurred), "hide", "only"
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    length: str = ""  # a key of LENGTHS: videos by duration
    likeness: str = ""  # a key of LIKENESS
    sort: str = ""  # a key of SORTS

    @property
    def active(self) -> bool:
        return any(
            [
                self.kind,
                self.length,
                self.source,
                self.tag,
                self.collection,
                self.project,
                self.liked,
                self.nsfw,
                self.date_from,
                self.date_to,
                self.q,
                self.likeness,
                self.sort,
            ]
        )


def asset_queryset(org: Organization, filters: LibraryFilters) -> QuerySet[Asset]:
    """Every item matching ``filters``, the search included (each word as a substring, or within a
    small typo)."""
    qs = _filtered(org, filters)
    for term in search_terms(filters.q):
        qs = qs.filter(_term_match(term))
    return qs


def _filtered(org: Organization, filters: LibraryFilters) -> QuerySet[Asset]:
    """The items matching every filter but the search."""
    qs = Asset.objects.for_org(org)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.length in LENGTHS:
        _label, least, under = LENGTHS[filters.length]
        qs = qs.filter(kind=Asset.Kind.VIDEO)
        if least is not None:
            qs = qs.filter(duration__gte=least)
        if under is not None:
            qs = qs.filter(duration__lt=under)
    if filters.likeness == "unscored":
        qs = qs.filter(likeness__isnull=True, kind__in=(Asset.Kind.IMAGE, Asset.Kind.VIDEO))
    elif filters.likeness in LIKENESS:
        _label, least, under = LIKENESS[filters.likeness]
        if least is not None:
            qs = qs.filter(likeness__gte=least)
        if under is not None:
            qs = qs.filter(likeness__lt=under)
    if filters.sort in ("likeness", "likeness_low"):
        qs = qs.filter(likeness__isnull=False)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.tag:
        qs = qs.filter(tags__public_id=filters.tag)
    if filters.collection:
        qs = qs.filter(collections__public_id=filters.collection)
    if filters.project:
        qs = qs.filter(project_links__project__public_id=filters.project)
    if filters.liked:
        qs = qs.filter(liked=True)
    if filters.nsfw == "hide":
        qs = qs.filter(nsfw=False)
    elif filters.nsfw == "only":
        qs = qs.filter(nsfw=True)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz))
    if filters.date_to:
        qs = qs.filter(created_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=tz))
    return qs


def _term_match(term: str) -> Q:
    match = Q(search_text__contains=term)
    if len(term) >= FUZZY_MIN_LENGTH:
        # pg_trgm's word similarity (``term <% search_text``): "sumer" finds "summer.campaign".
        match |= Q(search_text__trigram_word_similar=term)
    return match


def _every_term_found(terms: list[str]) -> Q:
    """Every word found as written (a substring), no typo needed."""
    found = Q()
    for term in terms:
        found &= Q(search_text__contains=term)
    return found


def search_terms(q: str) -> list[str]:
    """The lower-cased words of a search, punctuation trimmed from their ends ("#summer," → "summer";
    "summer.campaign" stays whole). A query of punctuation alone has none."""
    words = (word.strip(string.punctuation + "“”‘’«»") for word in q.lower().split())
    return [word for word in words if word][:MAX_SEARCH_TERMS]


def _search_page(org: Organization, filters: LibraryFilters, start: int, size: int) -> list[Asset]:
    """Items ``start`` to ``start + size`` (one more, to know if there is a next page) of a search,
    best match first, in two passes so that a common word costs what a rare one does.

    1. Every word found as written: the exact title, then titles starting with the search, then
       the search found as one piece anywhere (title, file name, tags, prompt, caption), then the
       words found apart; newest first within each. Nothing is scored, so the thousands of items
       a common word matches cost one index scan and a top-N sort.
    2. Only when those run out: the items found within a small typo (pg_trgm word similarity),
       closest first, then newest. Only these are scored, and there are few of them unless the
       search is a typo of a common word.
    """
    terms = search_terms(filters.q)
    exact, fuzzy = search_passes(org, filters)
    page = list(exact.only(*_PAGE_FIELDS)[start : start + size + 1])
    if len(page) > size or not any(len(term) >= FUZZY_MIN_LENGTH for term in terms):
        return page
    # How many exact matches came before this page: known from the page, unless it is past them.
    exact_total = start + len(page) if page or not start else exact.count()
    fuzzy_start = max(0, start - exact_total)
    return page + list(fuzzy.only(*_PAGE_FIELDS)[fuzzy_start : fuzzy_start + size + 1 - len(page)])


def search_passes(org: Organization, filters: LibraryFilters) -> tuple[QuerySet[Asset], QuerySet[Asset]]:
    """The two passes of a search, each in its order (``_search_page``): every word found as
    written, then the rest found within a small typo."""
    terms = search_terms(filters.q)
    phrase = " ".join(terms)
    exact = (
        _filtered(org, filters)
        .filter(_every_term_found(terms))
        .annotate(
            title_lower=Lower("title"),
            match_tier=Case(
                When(title_lower=phrase, then=Value(0)),
                When(title_lower__startswith=phrase, then=Value(1)),
                When(search_text__contains=phrase, then=Value(2)),
                default=Value(3),
            ),
        )
        .order_by("match_tier", "-created_at", "-id")
    )
    fuzzy = (
        asset_queryset(org, filters)
        .exclude(_every_term_found(terms))
        .annotate(closeness=TrigramWordSimilarity(phrase, "search_text"))
        .order_by("-closeness", "-created_at", "-id")
    )
    return exact, fuzzy


def _encode_cursor(asset: Asset, *, by_likeness: bool = False) -> str:
    position = [asset.created_at.isoformat(), asset.pk]
    if by_likeness:
        position.insert(0, asset.likeness)
    raw = json.dumps(position).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        return datetime.fromisoformat(created), int(pk)
    except (ValueError, TypeError):
        return None


_PAGE_FIELDS = (
    "public_id",
    "org_id",
    "kind",
    "title",
    "variants",
    "duration",
    "nsfw",
    "liked",
    "near_duplicate_of",
    "created_at",
    "width",
    "height",
    "likeness",
    "likeness_status",
)


def _decode_likeness_cursor(cursor: str) -> tuple[int, datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        likeness, created, pk = json.loads(raw)
        return int(likeness), datetime.fromisoformat(created), int(pk)
    except (ValueError, TypeError):
        return None


def _by_likeness(qs: QuerySet[Asset], cursor: str, *, lowest: bool) -> QuerySet[Asset]:
    """Highest (or lowest) likeness first, then newest, by keyset."""
    qs = qs.order_by("likeness" if lowest else "-likeness", "-created_at", "-id")
    if cursor and (position := _decode_likeness_cursor(cursor)):
        likeness, created, pk = position
        beyond = Q(likeness__gt=likeness) if lowest else Q(likeness__lt=likeness)
        qs = qs.filter(
            beyond | Q(likeness=likeness, created_at__lt=created) | Q(likeness=likeness, created_at=created, id__lt=pk)
        )
    return qs


def asset_page(org: Organization, filters: LibraryFilters, cursor: str = "", size: int = PAGE_SIZE):
    """One page of the grid. Returns (assets, next_cursor).

    Browsing is newest first (or by likeness), by keyset (fast at any depth); a search is best
    match first (``_search_page``), paged by position since its order isn't a column."""
    if search_terms(filters.q):
        start = _decode_offset(cursor)
        ranked = _search_page(org, filters, start, size)
        next_cursor = _encode_offset(start + size) if len(ranked) > size else ""
        return ranked[:size], next_cursor
    by_likeness = filters.sort in ("likeness", "likeness_low")
    qs = asset_queryset(org, filters).order_by("-created_at", "-id")
    if by_likeness:
        qs = _by_likeness(qs, cursor, lowest=filters.sort == "likeness_low")
    elif cursor and (position := _decode_cursor(cursor)):
        created, pk = position
        qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    assets = list(qs.only(*_PAGE_FIELDS)[: size + 1])
    next_cursor = _encode_cursor(assets[size - 1], by_likeness=by_likeness) if len(assets) > size else ""
    return assets[:size], next_cursor


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_offset(cursor: str) -> int:
    """The position a search's cursor points to; 0 (the first page) for a missing or foreign one."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return max(0, int(raw["offset"]))
    except (ValueError, TypeError, KeyError):
        return 0


def asset_or_404(org: Organization, public_id) -> Asset:
    """The org's asset with its tags, family and collections; 404 for another org's, a missing one
    or a malformed id (the same answer)."""
    return one_or_404(
        Asset.objects.for_org(org)
        .select_related("created_by", "near_duplicate_of")
        .prefetch_related("tags", "parents", "children", "collections"),
        public_id,
    )


def assets_of_character(character) -> QuerySet[Asset]:
    """Library items showing ``character`` (Studio images and their edits), newest first."""
    return Asset.objects.for_org(character.org).filter(character=character).order_by("-created_at", "-id")


def tags_for_org(org: Organization) -> QuerySet[Tag]:
    """Tags in use, for the filter menu (an existence check, so it stays fast as the library grows)."""
    in_use = Asset.tags.through.objects.filter(tag_id=OuterRef("pk"))
    return Tag.objects.for_org(org).filter(Exists(in_use)).order_by(Lower("name"))


def collections_for_org(org: Organization) -> QuerySet[Collection]:
    return Collection.objects.for_org(org).annotate(n=Count("assets")).order_by("name")


def collection_get(org: Organization, public_id) -> Collection | None:
    """The org's collection, or None: for a form's optional choice (pages use ``collection_or_404``)."""
    return Collection.objects.for_org(org).filter(public_id=public_id).first()


def collection_or_404(org: Organization, public_id) -> Collection:
    return one_or_404(Collection.objects.for_org(org), public_id)


def collection_covers(collections) -> dict[int, list[Asset]]:
    """Up to four recent thumbnails per collection, in one query."""
    covers: dict[int, list[Asset]] = {c.pk: [] for c in collections}
    items = (
        CollectionItem.objects.filter(collection_id__in=list(covers))
        .annotate(rank=Window(RowNumber(), partition_by=F("collection_id"), order_by=F("added_at").desc()))
        .filter(rank__lte=4)
        .select_related("asset")
    )
    for item in items:
        covers[item.collection_id].append(item.asset)
    return covers


def upload_or_404(org: Organization, public_id) -> Upload:
    return one_or_404(Upload.objects.for_org(org), public_id)


def media_import_or_404(org: Organization, public_id) -> MediaImport:
    return one_or_404(MediaImport.objects.for_org(org).select_related("asset"), public_id)


def export_or_404(org: Organization, public_id) -> Export:
    return one_or_404(Export.objects.for_org(org), public_id)


@dataclass(frozen=True)
class OriginLink:
    label: str  # what it is: "Character", "Pack", "Job"
    name: str  # what the link says
    url: str


# The page where the job that made an asset shows its progress and result, by the recipe's
# ``operation``: (label, URL name). Named rather than imported, as those apps sit above this one.
JOB_PAGES = {
    "generation": ("Pack", "generation:pack"),
    "upscale": ("Job", "generation:job"),
    "inpaint": ("Job", "generation:job"),
    "clothes": ("Job", "generation:job"),
    "image_to_video": ("Job", "video:job"),
}


def asset_origin(asset: Asset) -> list[OriginLink]:
    """Links from ``asset`` back to what made it: its character, and the pack or job (from its
    recipe). Only what exists in the asset's organisation is linked."""
    from django.urls import NoReverseMatch, reverse

    links = []
    org = asset.org
    recipe = asset.recipe or {}
    if asset.character_id and asset.character is not None and asset.character.org_id == asset.org_id:
        character = asset.character
        links.append(
            OriginLink("Character", character.name, reverse("characters:detail", args=[org.slug, character.public_id]))
        )
    elif recipe.get("license"):
        # A licensed likeness: the character is the creator's; the licence is this organisation's.
        with suppress(NoReverseMatch):
            url = reverse("licensing:license", args=[org.slug, recipe["license"]])
            links.append(
                OriginLink("Licence", f"Licence for {recipe.get('licensed_likeness_of') or 'a likeness'}", url)
            )
    page = JOB_PAGES.get(str(recipe.get("operation") or ""))
    if page and recipe.get("job"):
        label, url_name = page
        try:
            url = reverse(url_name, args=[org.slug, recipe["job"]])
        except NoReverseMatch:
            return links
        name = recipe.get("character_name") or ""
        if label == "Pack":
            name = f"{name}'s pack" if name else "The pack"
        else:
            name = {"upscale": "Upscale", "inpaint": "Inpaint", "clothes": "Change clothes"}.get(
                recipe["operation"], "Video clip"
            )
        links.append(OriginLink(label, name, url))
    return links
