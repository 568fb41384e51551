"""Org-scoped reads for the dataset builder."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from core.jobs import ACTIVE
from datasets import rules, services
from datasets.models import BuildRun, BuildUnit, DatasetBuild, SourcePhoto, TargetPhoto
from orgs.models import Organization


def build_or_404(org: Organization, public_id) -> DatasetBuild:
    return get_object_or_404(
        DatasetBuild.objects.for_org(org).select_related("character", "consent"), public_id=public_id
    )


def build_for_character(character) -> DatasetBuild | None:
    return DatasetBuild.objects.filter(character=character).first()


def source_or_404(build: DatasetBuild, public_id) -> SourcePhoto:
    return get_object_or_404(SourcePhoto.objects.filter(build=build), public_id=public_id)


def target_or_404(build: DatasetBuild, public_id) -> TargetPhoto:
    return get_object_or_404(
        TargetPhoto.objects.filter(build=build).select_related("build__character", "result", "source"),
        public_id=public_id,
    )


def run_or_404(build: DatasetBuild, public_id) -> BuildRun:
    return get_object_or_404(BuildRun.objects.filter(build=build), public_id=public_id)


def active_run(build: DatasetBuild) -> BuildRun | None:
    return build.runs.filter(status__in=ACTIVE).first()


def board(build: DatasetBuild) -> list[dict]:
    """Each target with its newest unit per step (for the progress grid and the review board)."""
    targets = build.targets.select_related("asset", "result", "source__asset").prefetch_related(
        Prefetch("units", queryset=BuildUnit.objects.select_related("run").order_by("id"))
    )
    rows = []
    for target in targets:
        latest = services.last_units(target)
        rows.append(
            {
                "target": target,
                "steps": [(rules.STEP_LABELS[step], latest.get(step)) for step in rules.STEPS],
                "drifted": target.identity is not None and target.identity < rules.DRIFT_SCORE,
            }
        )
    return rows


def step_totals(build: DatasetBuild) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {step: {} for step in rules.STEPS}
    for row in board(build):
        for (_label, unit), step in zip(row["steps"], rules.STEPS, strict=True):
            status = unit.status if unit else "none"
            totals[step][status] = totals[step].get(status, 0) + 1
    return totals
