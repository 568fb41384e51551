"""The organisation's data exports in the job centre (``jobs.activities``): registered from
``PrivacyConfig.ready``, because privacy sits above jobs and jobs must not import it. Owners only,
like the export itself."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from core.jobs import JobStatus
from jobs.activities import ActivitySource, Result, register
from orgs.models import Membership
from privacy import exports
from privacy.models import DataExport


def _detail(export: DataExport) -> str:
    if export.status == DataExport.Status.RUNNING:
        return export.step
    if export.status == DataExport.Status.READY:
        until = f" · the link lasts until {export.expires_at:%-d %b}" if export.expires_at else ""
        return f"{export.files} files · {filesizeformat(export.bytes or 0)}{until}"
    if export.status == DataExport.Status.EXPIRED:
        return "Expired: ask for a new one in Settings → Data & privacy"
    return ""


def _results(export: DataExport) -> list[Result]:
    if export.status != DataExport.Status.READY:
        return []
    return [Result("Download the zip", reverse("privacy:export_download", args=[exports.download_token(export)]))]


def _retry(export: DataExport, membership: Membership) -> DataExport:
    again, _created = exports.export_request(actor=membership)
    return again


DATA_EXPORTS = ActivitySource(
    key="privacy-dataexport",
    label="Data export",
    model=DataExport,
    statuses={
        DataExport.Status.QUEUED: JobStatus.QUEUED,
        DataExport.Status.RUNNING: JobStatus.RUNNING,
        DataExport.Status.READY: JobStatus.SUCCEEDED,
        DataExport.Status.EXPIRED: JobStatus.SUCCEEDED,
        DataExport.Status.FAILED: JobStatus.FAILED,
    },
    user_field="requested_by",
    title=lambda export: f"Export of all of {export.org.name}'s data",
    link=lambda export: reverse("orgs:privacy", args=[export.org.slug]),
    detail=_detail,
    progress=lambda export: export.progress,
    results=_results,
    retry=_retry,
    visible=lambda membership: membership.is_owner,
)


def register_source() -> None:
    register(DATA_EXPORTS)
