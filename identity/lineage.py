"""Lineage graphs (issue #25): what an asset was made from and what was made from it, as columns
from left to right — training run → generation → edits → upscales → videos — each node with its
recipe and cost; re-runs of a node (``GenerationJob.rerun_of``, recipe ``rerun_of``) stand beside
it. A character's graph is its LoRA versions (training runs) with what each one made.

``lineage_summary`` is the short text exports embed in a file's metadata.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from assets.models import Asset
from characters.models import Character, TrainingRun
from core.jobs import JobStatus
from orgs.models import Organization

DEPTH = 4  # generations shown each way
WIDE = 12  # nodes shown per column

OPERATIONS = {
    "generation": "Generation",
    "upscale": "Upscale",
    "inpaint": "Inpaint",
    "clothes": "Change clothes",
    "image_to_video": "Video",
    "video_upscale": "Video upscale",
    "animate_prepare": "First frame",
    "animate_swap": "Face swap",
    "animate_refine": "Refinement",
    "animate_animate": "Animation",
    "character_candidates": "Wizard candidate",
    "character_sheet": "Character sheet",
    "character_references": "Reference image",
}


@dataclass
class Node:
    asset: Asset | None = None
    run: TrainingRun | None = None
    focus: bool = False
    rerun: bool = False

    @property
    def recipe(self) -> dict:
        return (self.asset.recipe or {}) if self.asset else {}

    @property
    def step(self) -> str:
        """What made it: "Generation", "Upscale" … "Upload", "LoRA training"."""
        if self.run is not None:
            return "LoRA training"
        assert self.asset is not None
        operation = str(self.recipe.get("operation") or "")
        if operation:
            return OPERATIONS.get(operation, operation.replace("_", " ").capitalize())
        return self.asset.get_source_display()

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The recipe's highlights, in words."""
        if self.run is not None:
            run = self.run
            rows = [("Version", run.created_at.strftime("%d %b %Y %H:%M")), ("Images", str(run.images))]
            rows += [("Source", run.get_source_display()), ("Steps", str(run.steps))]
            rows.append(("Cost", f"{run.credits} credits"))
            return rows
        recipe, rows = self.recipe, []
        for key, label in (
            ("scene", "Scene"),
            ("environment", "Environment"),
            ("mode", "Mode"),
            ("quality", "Quality"),
            ("seed", "Seed"),
            ("factor", "Factor"),
            ("seconds", "Seconds"),
            ("prompt", "Prompt"),
        ):
            value = recipe.get(key)
            if value not in (None, "", []):
                text = str(value)
                rows.append((label, text if len(text) <= 80 else text[:79] + "…"))
        if recipe.get("lora"):
            rows.append(("LoRA", "the character's face model"))
        assert self.asset is not None
        if self.asset.credits_cost is not None:
            cost = f"{self.asset.credits_cost} credits"
            if self.asset.provider_cost_label:
                cost += f" · {self.asset.provider_cost_label} at the provider"
            rows.append(("Cost", cost))
        return rows


@dataclass
class Graph:
    columns: list[list[Node]] = field(default_factory=list)
    more: int = 0  # nodes left out to keep the page readable

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.columns)


def _parents(assets: list[Asset]) -> list[Asset]:
    return list(Asset.objects.filter(children__in=assets).distinct().order_by("created_at", "id")[: WIDE + 1])


def _children(assets: list[Asset]) -> list[Asset]:
    return list(Asset.objects.filter(parents__in=assets).distinct().order_by("created_at", "id")[: WIDE + 1])


def training_run_of(asset: Asset) -> TrainingRun | None:
    """The LoRA training an image was made with (its recipe's ``lora``), if it is known."""
    key = (asset.recipe or {}).get("lora")
    if not key or asset.character_id is None:
        return None
    return (
        TrainingRun.objects.filter(
            org_id=asset.org_id, character_id=asset.character_id, status=JobStatus.SUCCEEDED, lora_key=key
        )
        .filter(finished_at__lte=asset.created_at)
        .order_by("-finished_at")
        .first()
    )


def reruns_of(asset: Asset) -> list[Asset]:
    return list(
        Asset.objects.filter(org_id=asset.org_id, metadata__recipe__rerun_of=str(asset.public_id)).order_by(
            "created_at", "id"
        )[:WIDE]
    )


def asset_lineage(asset: Asset) -> Graph:
    """The columns of ``asset``'s graph, oldest on the left; its re-runs stand beside it."""
    graph = Graph()
    seen = {asset.pk}
    before: list[list[Node]] = []
    level = [asset]
    for _ in range(DEPTH):
        found = [a for a in _parents(level) if a.pk not in seen]
        if not found:
            break
        graph.more += max(0, len(found) - WIDE)
        level = found[:WIDE]
        seen.update(a.pk for a in level)
        before.insert(0, [Node(asset=a) for a in level])
    roots = before[0] if before else []
    run = next((training_run_of(n.asset) for n in (roots or [Node(asset=asset)]) if n.asset), None)
    if run is not None:
        graph.columns.append([Node(run=run)])
    graph.columns.extend(before)
    beside = [a for a in reruns_of(asset) if a.pk not in seen]
    seen.update(a.pk for a in beside)
    graph.columns.append([Node(asset=asset, focus=True), *(Node(asset=a, rerun=True) for a in beside)])
    level = [asset]
    for _ in range(DEPTH):
        found = [a for a in _children(level) if a.pk not in seen]
        if not found:
            break
        graph.more += max(0, len(found) - WIDE)
        level = found[:WIDE]
        seen.update(a.pk for a in level)
        graph.columns.append([Node(asset=a) for a in level])
    return graph


@dataclass
class Version:
    """One LoRA version of a character and what was made with it."""

    run: TrainingRun
    current: bool
    images: int
    likeness: float | None
    made: dict[str, int]


def character_lineage(character: Character) -> list[Version]:
    """The character's training runs (newest first), each with the images made with its LoRA and
    what was made from those (edits, upscales, videos), by step."""
    versions = []
    runs = list(TrainingRun.objects.filter(character=character, status=JobStatus.SUCCEEDED).order_by("-finished_at"))
    for index, run in enumerate(runs):
        newer = runs[index - 1].finished_at if index else None
        made_with = Asset.objects.filter(character=character, metadata__recipe__lora=run.lora_key)
        made_with = made_with.filter(created_at__gte=run.finished_at)
        if newer is not None:
            made_with = made_with.filter(created_at__lt=newer)
        stats = made_with.aggregate(n=Count("id"), likeness=Avg("likeness", filter=Q(likeness__isnull=False)))
        steps: Counter[str] = Counter()
        level = list(made_with.values_list("pk", flat=True)[:500])
        for _ in range(DEPTH):
            rows = list(
                Asset.objects.filter(parents__in=level).distinct().values_list("pk", "metadata__recipe__operation")
            )
            if not rows:
                break
            steps.update(OPERATIONS.get(str(op), "Other") for _pk, op in rows)
            level = [pk for pk, _op in rows]
        versions.append(
            Version(
                run=run,
                current=index == 0 and bool(character.lora_key),
                images=stats["n"],
                likeness=round(stats["likeness"], 1) if stats["likeness"] is not None else None,
                made=dict(steps),
            )
        )
    return versions


def lineage_summary(asset: Asset) -> str:
    """One line per step from the oldest known ancestor to ``asset``, for a file's metadata."""
    chain, current, seen = [asset], asset, {asset.pk}
    for _ in range(DEPTH * 2):
        parent = current.parents.exclude(pk__in=seen).order_by("created_at").first()
        if parent is None:
            break
        chain.insert(0, parent)
        seen.add(parent.pk)
        current = parent
    lines = []
    run = training_run_of(chain[0])
    if run is not None:
        lines.append(
            f"LoRA training {run.public_id} ({run.finished_at:%Y-%m-%d}, {run.images} images, {run.credits} credits)"
        )
    for node in chain:
        n = Node(asset=node)
        facts = "; ".join(f"{k.lower()} {v}" for k, v in n.facts if k != "Prompt")
        likeness = f"; likeness {node.likeness}" if node.likeness is not None else ""
        lines.append(
            f"{n.step} {node.public_id}: {node.title}" + (f" ({facts}{likeness})" if facts or likeness else "")
        )
    return "Personae lineage\n" + "\n".join(lines)


def org_training_runs(org: Organization, character: Character) -> list[TrainingRun]:
    return list(
        TrainingRun.objects.for_org(org)
        .filter(character=character, status=JobStatus.SUCCEEDED)
        .order_by("-finished_at")
    )
