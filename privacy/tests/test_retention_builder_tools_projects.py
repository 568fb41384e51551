"""Retention for the dataset builder, the AI tools and projects, with a frozen clock: 30 days after
a run, a tool job, a breakdown or an assistant question failed or was cancelled, its stage files
and (when it delivered nothing) its rows go; what delivered something, what still runs and the
credit ledger stay; a second run finds nothing more."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile

from assets import storage
from assets.tests.factories import AssetFactory
from billing.models import LedgerEntry
from billing.services import credits_grant, hold_release, hold_reserve
from characters.tests.factories import CharacterFactory
from datasets.models import BuildRun, BuildUnit, DatasetBuild, TargetPhoto
from privacy import retention
from projects.models import Breakdown, ChatMessage, Script
from projects.tests.factories import ProjectFactory
from tools.models import ToolJob

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
NEW_KINDS = ("dataset_runs", "tool_jobs", "breakdowns", "chat_messages")


def _at(days: float):
    return time_machine.travel(T0 + timedelta(days=days), tick=False)


def _stored(key: str) -> str:
    return storage.storage().save(key, ContentFile(b"stage"))


def _target(build, position):
    target = TargetPhoto.objects.create(
        org=build.org, build=build, asset=AssetFactory(org=build.org), position=position
    )
    target.swap_key = _stored(f"orgs/{build.org.public_id}/scratch/{target.public_id}-swap.jpg")
    target.crop_key = _stored(f"orgs/{build.org.public_id}/scratch/{target.public_id}-crop.jpg")
    target.save(update_fields=["swap_key", "crop_key"])
    return target


def _run(build, status, *units):
    finished = T0 if status in ("failed", "cancelled", "succeeded") else None
    run = BuildRun.objects.create(org=build.org, build=build, status=status, finished_at=finished)
    for target, unit_status in units:
        BuildUnit.objects.create(run=run, target=target, step="swap", status=unit_status)
    return run


def _script(project):
    return Script.objects.create(
        org=project.org, project=project, title="Pilot", filename="pilot.txt", format="txt", file_key="k", text="INT."
    )


def test_the_builder_tools_and_projects_lose_what_failed_after_30_days(org, django_capture_on_commit_callbacks):
    credits_grant(org=org, amount=100, key="grant:1", description="Credits")
    with _at(0):
        build = DatasetBuild.objects.create(org=org, character=CharacterFactory(org=org))
        lost = _target(build, 0)  # only ever in a failed run: its stages go
        resumable = _target(build, 1)  # also in a queued resume: kept
        finished = _target(build, 2)
        finished.result = AssetFactory(org=org)
        finished.save(update_fields=["result"])
        hold = hold_reserve(org=org, amount=6, key="dataset-run:x", operation="inpaint", description="Run")
        empty_run = _run(build, "failed", (lost, "failed"), (finished, "failed"))
        empty_run.hold = hold
        empty_run.save(update_fields=["hold"])
        hold_release(hold=hold, reason="It failed")
        partial_run = _run(build, "cancelled", (resumable, "succeeded"))
        live_run = _run(build, "queued", (resumable, "queued"))

        failed_tool = ToolJob.objects.create(org=org, kind="grade", status="failed", finished_at=T0)
        delivered_tool = ToolJob.objects.create(
            org=org, kind="audio", status="cancelled", finished_at=T0, result=AssetFactory(org=org)
        )
        project = ProjectFactory(org=org)
        script = _script(project)
        failed_breakdown = Breakdown.objects.create(
            org=org, project=project, script=script, status="failed", finished_at=T0, partial=[{"scenes": []}]
        )
        done_breakdown = Breakdown.objects.create(
            org=org, project=project, script=script, status="succeeded", finished_at=T0, result={"scenes": []}
        )
        unanswered = ChatMessage.objects.create(
            org=org, project=project, question="Who is in scene 2?", status="cancelled", finished_at=T0
        )
        cut_off = ChatMessage.objects.create(
            org=org,
            project=project,
            question="Summarise",
            answer="The pilot opens",
            status="failed",
            cut=True,
            finished_at=T0,
        )
    ledger = LedgerEntry.objects.filter(org=org).count()

    with _at(29), django_capture_on_commit_callbacks(execute=True):
        early = retention.failed_jobs_purge()
    assert {k: early[k] for k in NEW_KINDS} == dict.fromkeys(NEW_KINDS, 0)
    assert storage.storage().exists(lost.swap_key)

    with _at(31), django_capture_on_commit_callbacks(execute=True):
        counts = retention.failed_jobs_purge()
        again = retention.failed_jobs_purge()

    assert {k: counts[k] for k in NEW_KINDS} == {"dataset_runs": 1, "tool_jobs": 1, "breakdowns": 1, "chat_messages": 1}
    assert counts["files"] == 2  # the lost target's swap and crop
    assert {k: again[k] for k in (*NEW_KINDS, "files")} == dict.fromkeys((*NEW_KINDS, "files"), 0)

    assert not storage.storage().exists(lost.swap_key)
    assert not storage.storage().exists(lost.crop_key)
    lost.refresh_from_db()
    assert (lost.swap_key, lost.crop_key) == ("", "")
    resumable.refresh_from_db()
    assert storage.storage().exists(resumable.swap_key)  # the queued resume still needs it
    assert TargetPhoto.objects.filter(pk=lost.pk).exists()  # the target itself stays on the build

    assert not BuildRun.objects.filter(pk=empty_run.pk).exists()
    assert not BuildUnit.objects.filter(run_id=empty_run.pk).exists()
    assert BuildRun.objects.filter(pk=partial_run.pk).exists()  # a step of it succeeded
    assert BuildRun.objects.filter(pk=live_run.pk).exists()
    assert not ToolJob.objects.filter(pk=failed_tool.pk).exists()
    assert ToolJob.objects.filter(pk=delivered_tool.pk).exists()
    assert not Breakdown.objects.filter(pk=failed_breakdown.pk).exists()
    assert Breakdown.objects.filter(pk=done_breakdown.pk).exists()
    assert not ChatMessage.objects.filter(pk=unanswered.pk).exists()
    assert ChatMessage.objects.filter(pk=cut_off.pk).exists()  # part of an answer is in the conversation
    assert LedgerEntry.objects.filter(org=org).count() == ledger  # the credit history stays whole
