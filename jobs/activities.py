"""Work the job centre shows beside the paid jobs: things done for the organisation that aren't
``Job`` models and cost no credits — imports from other sites, library downloads, data exports.

Each kind is an ``ActivitySource``: its model, how its statuses read as a job's, who started it,
and hooks for the title, the link, a detail line, the progress, the results and (where the model
allows) a retry. Sources of apps below ``jobs`` are listed here; an app above ``jobs`` (privacy)
registers its own in its ``AppConfig.ready`` with ``register``, so ``jobs`` never imports it.
The centre (``jobs.selectors``) reads every source generically, like every ``Job`` kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Model, QuerySet
from django.urls import reverse

from accounts.models import User
from assets.models import Export, MediaImport
from assets.services.imports import import_start
from core.jobs import ACTIVE, JobStatus
from orgs.models import Membership, Organization


@dataclass(frozen=True)
class Result:
    label: str
    url: str


@dataclass(frozen=True)
class ActivitySource:
    key: str  # in URLs and filters, like a job kind's: "<app>-<model>"
    label: str  # the kind, singular: "Import"
    model: type[Model]
    statuses: dict[str, str]  # the model's status → the job status it reads as
    user_field: str  # who started it
    title: Callable[[Any], str]
    link: Callable[[Any], str]  # "" when there is no page of ours to open
    detail: Callable[[Any], str] = lambda obj: ""
    progress: Callable[[Any], int | None] = lambda obj: None  # percent, while it runs
    results: Callable[[Any], list[Result]] = lambda obj: []
    # Start it again (a failed one) as a new one; None: it can't be.
    retry: Callable[[Any, Membership], Any] | None = None
    visible: Callable[[Membership], bool] = lambda membership: True
    related: tuple[str, ...] = field(default=())  # select_related for the hooks

    def kind_label(self) -> str:
        return self.label

    def rows(self, org: Organization) -> QuerySet:
        return self.model._default_manager.filter(org=org).select_related(self.user_field, *self.related)

    def model_statuses(self, job_statuses: tuple[str, ...]) -> list[str]:
        """The model's statuses that read as any of ``job_statuses``."""
        return [mine for mine, theirs in self.statuses.items() if theirs in job_statuses]


@dataclass
class Activity:
    """One row of a source, with the attributes the job centre reads from a job."""

    source: ActivitySource
    obj: Any

    @property
    def status(self) -> str:
        return self.source.statuses.get(self.obj.status, JobStatus.FAILED)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def public_id(self):
        return self.obj.public_id

    @property
    def error(self) -> str:
        return self.obj.error

    @property
    def created_at(self) -> datetime:
        return self.obj.created_at

    @property
    def created_by(self) -> User | None:
        return getattr(self.obj, self.source.user_field)

    credits = 0

    def credits_charged(self) -> int:
        return 0

    def kind_label(self) -> str:
        return self.source.label

    def centre_title(self) -> str:
        return self.source.title(self.obj)

    def progress_percent(self) -> int | None:
        return self.source.progress(self.obj) if self.is_active else 100

    def status_label(self) -> str:
        """The model's own word for its state ("Already in your library")."""
        return str(self.obj.get_status_display())


_SOURCES: dict[str, ActivitySource] = {}


def register(source: ActivitySource) -> None:
    """Add a kind of activity to the job centre (an app above ``jobs``, from its ``AppConfig.ready``)."""
    _SOURCES[source.key] = source


def sources(membership: Membership | None = None) -> dict[str, ActivitySource]:
    """Every kind of activity by its key; with ``membership``, only those it may see."""
    return {k: s for k, s in _SOURCES.items() if membership is None or s.visible(membership)}


# --- The kinds from apps below jobs ----------------------------------------------------------------


def _host(url: str) -> str:
    return urlsplit(url).hostname or "another site"


def _import_link(item: MediaImport) -> str:
    asset = item.asset if item.asset_id else None
    return reverse("assets:detail", args=[item.org.slug, asset.public_id]) if asset is not None else ""


def _import_results(item: MediaImport) -> list[Result]:
    if not item.asset_id:
        return []
    label = "Open the copy already in your library" if item.status == MediaImport.Status.DUPLICATE else "Open it"
    return [Result(label, _import_link(item))]


def _import_retry(item: MediaImport, membership: Membership) -> MediaImport:
    again, _replayed = import_start(
        org=item.org,
        user=membership.user,
        media_url=item.media_url,
        page_url=item.page_url,
        author=item.author,
        caption=item.caption,
        site=item.site,
        collection=item.collection,
    )
    return again


IMPORTS = ActivitySource(
    key="assets-mediaimport",
    label="Import",
    model=MediaImport,
    statuses={
        MediaImport.Status.QUEUED: JobStatus.QUEUED,
        MediaImport.Status.FETCHING: JobStatus.RUNNING,
        MediaImport.Status.DONE: JobStatus.SUCCEEDED,
        MediaImport.Status.DUPLICATE: JobStatus.SUCCEEDED,
        MediaImport.Status.FAILED: JobStatus.FAILED,
    },
    user_field="created_by",
    title=lambda item: (item.asset.title if item.asset_id else "") or f"Picture or video from {_host(item.media_url)}",
    link=_import_link,
    detail=lambda item: (
        f"From {_host(item.page_url or item.media_url)}"
        + (" · already in your library" if item.status == MediaImport.Status.DUPLICATE else "")
    ),
    results=_import_results,
    retry=_import_retry,
    related=("asset", "collection"),
)


def _download_link(export: Export) -> str:
    return reverse("assets:export_status", args=[export.org.slug, export.public_id])


LIBRARY_DOWNLOADS = ActivitySource(
    key="assets-export",
    label="Library download",
    model=Export,
    statuses={
        Export.Status.QUEUED: JobStatus.QUEUED,
        Export.Status.RUNNING: JobStatus.RUNNING,
        Export.Status.READY: JobStatus.SUCCEEDED,
        Export.Status.EXPIRED: JobStatus.SUCCEEDED,
        Export.Status.FAILED: JobStatus.FAILED,
    },
    user_field="created_by",
    title=lambda export: f"Zip of {len(export.asset_ids)} library item{'s' if len(export.asset_ids) != 1 else ''}",
    link=_download_link,
    detail=lambda export: "Expired: ask for a new one in the library" if export.status == Export.Status.EXPIRED else "",
    progress=lambda export: export.progress,
    results=lambda export: (
        [Result("Download the zip", reverse("assets:export_download", args=[export.org.slug, export.public_id]))]
        if export.status == Export.Status.READY
        else []
    ),
)

register(IMPORTS)
register(LIBRARY_DOWNLOADS)
