"""Where credits and provider money went: the organisation's usage page and staff's margin report.

Credits spent are the ledger's captures (a capture is already net of what its job released), each
joined to the hold it settled: the hold names the operation, the member who started the job and
the job itself (``Hold.subject``), which names the character. Provider money is ``ProviderCall.
cost_usd``, joined to the job or job item it worked for (``ProviderCall.subject``). Both joins go
through ``_KINDS``: how each kind of job reaches its character, member and hold. This app sits at
the top of the layers so it may know every kind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Count, F, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from accounts.models import User
from billing.models import LedgerEntry, Plan
from billing.prices import OPERATION_PRICES
from characters.models import Character, CharacterJob, CharacterJobItem, TrainingRun
from generation.models import EditJob, GenerationImage, GenerationJob, PromptDraft
from orgs.models import Organization
from providers.models import ProviderCall
from styles.models import StyleRecipe
from video.models import AnimateStep, VideoJob

WINDOWS = (30, 90)
MARGIN_WINDOWS = (7, 30, 90)
MIN_MARGIN = Decimal(2)
# The cheapest credit we sell, when no plan row says otherwise: Agency, $249 for 20,000 (PRODUCT.md §6).
CHEAPEST_CREDIT_USD = Decimal("0.01245")


@dataclass(frozen=True)
class _Kind:
    model: type[Model]
    to_job: str  # the path from the row to its job: "" for a job, "job__" for an item
    character: str  # the path from the job to its character's id


_KINDS = (
    _Kind(GenerationJob, "", "character_id"),
    _Kind(GenerationImage, "job__", "character_id"),
    _Kind(EditJob, "", "source__character_id"),  # the character the edited image shows
    _Kind(PromptDraft, "", "character_id"),
    _Kind(TrainingRun, "", "character_id"),
    _Kind(CharacterJob, "", "character_id"),
    _Kind(CharacterJobItem, "job__", "character_id"),
    _Kind(VideoJob, "", "character_id"),
    _Kind(AnimateStep, "", "pipeline__character_id"),
    _Kind(StyleRecipe, "", "source__character_id"),  # the character the source image shows, if any
)


def _per_kind(rows: QuerySet, *, type_field: str, id_field: str, **paths: str) -> list[tuple[QuerySet, bool]]:
    """``rows`` (which name a job or job item by content type and id) split by kind of job, each
    annotated with ``paths`` read from that job (name → path from the job; ``"character"`` means
    the kind's own path to it); then, unannotated, the rows that name no job we know (calls made
    before calls named their job). The bool says which part is which."""
    parts: list[tuple[QuerySet, bool]] = []
    known_types = []
    for kind in _KINDS:
        content_type = ContentType.objects.get_for_model(kind.model)
        known_types.append(content_type.pk)
        job = kind.model._default_manager.filter(pk=Cast(OuterRef(id_field), BigIntegerField()))
        annotations = {
            name: Subquery(job.values(kind.to_job + (kind.character if path == "character" else path))[:1])
            for name, path in paths.items()
        }
        parts.append((rows.filter(**{type_field: content_type.pk}).annotate(**annotations), True))
    parts.append((rows.exclude(**{f"{type_field}__in": known_types}), False))
    return parts


# --- The organisation's usage page ------------------------------------------------------------------


@dataclass
class Row:
    """One line of a breakdown: credits spent, how many charges, and what providers billed behind it."""

    key: str
    label: str
    credits: int = 0
    charges: int = 0
    provider_usd: Decimal = Decimal(0)
    unknown_calls: int = 0  # calls whose cost we don't know

    @property
    def per_charge(self) -> float:
        return self.credits / self.charges if self.charges else 0.0


@dataclass
class Usage:
    days: int
    first_day: date
    daily: list[tuple[date, int]]
    by_operation: list[Row]
    by_character: list[Row]
    by_member: list[Row]
    credits: int = 0
    charges: int = 0
    provider_usd: Decimal = Decimal(0)
    unknown_calls: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.charges and not self.provider_usd


def window_start(days: int, *, today: date | None = None) -> date:
    """The first day of a window of ``days`` days ending today (in the site's time zone)."""
    return (today or timezone.localdate()) - timedelta(days=days - 1)


def _since(first_day: date) -> datetime:
    return timezone.make_aware(datetime.combine(first_day, time.min))


def _grouped(rows: QuerySet, fields: list[str], **measures) -> list[dict]:
    """``rows`` summed by ``fields``; with no fields, one sum of them all (none if there are no rows)."""
    if fields:
        return list(rows.values(*fields).annotate(**measures))
    total = rows.aggregate(rows=Count("id"), **measures)
    return [total] if total["rows"] else []


# Provider calls made before calls named their job, and charges no one started.
NOT_ATTRIBUTED = "Not attributed"


def operation_label(operation: str) -> str:
    price = OPERATION_PRICES.get(operation)
    return price.label if price else operation.replace("_", " ").capitalize()


def org_usage(org: Organization, *, days: int = 30, today: date | None = None) -> Usage:
    """What ``org`` spent over the last ``days`` days: credits by day, by operation, by character and
    by member; and what providers billed behind them, by character and by member."""
    first_day = window_start(days, today=today)
    since = _since(first_day)
    captures = LedgerEntry.objects.filter(org_id=org.pk, kind=LedgerEntry.Kind.CAPTURE, created_at__gte=since).filter(
        amount__lt=0
    )
    per_day: dict[date, int] = defaultdict(int)
    operations: dict[str, Row] = {}
    characters: dict[str, Row] = {}
    members: dict[str, Row] = {}

    def row(table: dict[str, Row], key) -> Row:
        return table.setdefault(str(key), Row(str(key), ""))

    for part, known in _per_kind(
        captures, type_field="hold__content_type_id", id_field="hold__object_id", character="character"
    ):
        grouped = (
            part.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "hold__operation", "hold__created_by_id", *(["character"] if known else []))
            .annotate(credits=Sum(-F("amount")), charges=Count("id"))
        )
        for entry in grouped:
            credits, charges = int(entry["credits"]), entry["charges"]
            per_day[entry["day"]] += credits
            for table, key in (
                (operations, entry["hold__operation"]),
                (characters, entry.get("character")),
                (members, entry["hold__created_by_id"]),
            ):
                line = row(table, key)
                line.credits += credits
                line.charges += charges

    calls = ProviderCall.objects.filter(org_id=org.pk, created_at__gte=since)
    provider_usd, unknown = Decimal(0), 0
    for part, known in _per_kind(
        calls,
        type_field="subject_type_id",
        id_field="subject_id",
        character="character",
        member="created_by_id",
        charged_as="hold__operation",
    ):
        grouped = _grouped(
            part,
            ["character", "member", "charged_as"] if known else [],
            usd=Sum("cost_usd"),
            unknown=Count("id", filter=Q(cost_usd__isnull=True)),
        )
        for entry in grouped:
            usd = entry["usd"] or Decimal(0)
            provider_usd += usd
            unknown += entry["unknown"]
            for table, key in (
                (operations, entry.get("charged_as")),
                (characters, entry.get("character")),
                (members, entry.get("member")),
            ):
                line = row(table, key)
                line.provider_usd += usd
                line.unknown_calls += entry["unknown"]

    names: dict[int | None, str] = dict(Character.objects.filter(pk__in=_ids(characters)).values_list("pk", "name"))
    people: dict[int | None, str] = {user.pk: user.display_name for user in User.objects.filter(pk__in=_ids(members))}
    for line in characters.values():
        line.label = names.get(_id(line.key), "No character" if line.key == "None" else "A deleted character")
    for line in members.values():
        line.label = people.get(_id(line.key), NOT_ATTRIBUTED if line.key == "None" else "A deleted account")
    for line in operations.values():
        line.label = NOT_ATTRIBUTED if line.key == "None" else operation_label(line.key)

    daily = [(first_day + timedelta(days=n), per_day.get(first_day + timedelta(days=n), 0)) for n in range(days)]
    usage = Usage(
        days=days,
        first_day=first_day,
        daily=daily,
        by_operation=_ranked(operations),
        by_character=_ranked(characters),
        by_member=_ranked(members),
        provider_usd=provider_usd,
        unknown_calls=unknown,
    )
    usage.credits = sum(line.credits for line in usage.by_operation)
    usage.charges = sum(line.charges for line in usage.by_operation)
    return usage


def _id(key: str) -> int | None:
    return int(key) if key.isdigit() else None


def _ids(table: dict[str, Row]) -> list[int]:
    return [pk for key in table if (pk := _id(key)) is not None]


def _ranked(table: dict[str, Row]) -> list[Row]:
    return sorted(table.values(), key=lambda line: (-line.credits, -line.provider_usd, line.label))


# --- Staff: the margin report ---------------------------------------------------------------------


@dataclass(frozen=True)
class CreditRate:
    usd: Decimal
    source: str  # in words, for the page


def cheapest_credit() -> CreditRate:
    """What one credit earns us at the lowest price we sell it: the paid plan with the most credits
    per dollar (top-up packs cost more per credit)."""
    best: tuple[Decimal, Plan] | None = None
    for plan in Plan.objects.filter(price_cents__gt=0, monthly_credits__gt=0):
        rate = Decimal(plan.price_cents) / 100 / plan.monthly_credits
        if best is None or rate < best[0]:
            best = (rate, plan)
    if best is None:
        return CreditRate(CHEAPEST_CREDIT_USD, "the Agency plan's price (no paid plan on file)")
    rate, plan = best
    return CreditRate(
        rate.quantize(Decimal("0.00001")),
        f"the {plan.name} plan: ${plan.price_dollars:,} for {plan.monthly_credits:,} credits",
    )


@dataclass
class MarginRow:
    operation: str
    label: str
    credits: int = 0
    charges: int = 0
    revenue_usd: Decimal = Decimal(0)
    provider_usd: Decimal = Decimal(0)
    calls: int = 0
    unknown_calls: int = 0

    @property
    def margin(self) -> Decimal | None:
        """Revenue over provider spend; None when nothing was spent."""
        if not self.provider_usd:
            return None
        return (self.revenue_usd / self.provider_usd).quantize(Decimal("0.01"))

    @property
    def is_thin(self) -> bool:
        """Under 2×: the price doesn't cover the provider twice over (or there is spend and no revenue)."""
        return self.margin is not None and self.margin < MIN_MARGIN


@dataclass
class MarginReport:
    days: int
    rate: CreditRate
    rows: list[MarginRow]

    @property
    def thin(self) -> list[MarginRow]:
        return [row for row in self.rows if row.is_thin]

    @property
    def total(self) -> MarginRow:
        total = MarginRow("", "All operations")
        for row in self.rows:
            total.credits += row.credits
            total.charges += row.charges
            total.revenue_usd += row.revenue_usd
            total.provider_usd += row.provider_usd
            total.calls += row.calls
            total.unknown_calls += row.unknown_calls
        return total


def margin_report(*, days: int = 30, now=None) -> MarginReport:
    """Per operation, over every organisation and the last ``days`` days: the credits charged, what
    they earn at the cheapest credit price, and what providers billed for the calls of those jobs
    (failed ones included). Calls that name no job are "Not attributed"."""
    since = (now or timezone.now()) - timedelta(days=days)
    rate = cheapest_credit()
    rows: dict[str, MarginRow] = {}

    def row(operation: str | None) -> MarginRow:
        key = operation or ""
        label = operation_label(operation) if operation else "Not attributed (no job recorded)"
        return rows.setdefault(key, MarginRow(key, label))

    charged = (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CAPTURE, created_at__gte=since, amount__lt=0)
        .values("hold__operation")
        .annotate(credits=Sum(-F("amount")), charges=Count("id"))
    )
    for entry in charged:
        line = row(entry["hold__operation"])
        line.credits += int(entry["credits"])
        line.charges += entry["charges"]
        line.revenue_usd = (line.credits * rate.usd).quantize(Decimal("0.01"))

    calls = ProviderCall.objects.filter(created_at__gte=since)
    for part, known in _per_kind(
        calls, type_field="subject_type_id", id_field="subject_id", charged_as="hold__operation"
    ):
        grouped = _grouped(
            part,
            ["charged_as"] if known else [],
            usd=Sum("cost_usd"),
            calls=Count("id"),
            unknown=Count("id", filter=Q(cost_usd__isnull=True)),
        )
        for spent in grouped:
            line = row(spent.get("charged_as"))
            line.provider_usd += spent["usd"] or Decimal(0)
            line.calls += spent["calls"]
            line.unknown_calls += spent["unknown"]
    return MarginReport(days, rate, sorted(rows.values(), key=lambda line: (not line.operation, -line.revenue_usd)))
