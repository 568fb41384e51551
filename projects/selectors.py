"""Reads of an organisation's projects: lists, one project (404 for another org's), its workspace
(scripts, breakdowns, chats, linked items and characters, jobs) and its activity timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from assets.models import Asset
from characters.models import Character
from core.lookups import one_or_404
from orgs.models import Organization
from projects.models import Breakdown, ChatMessage, Project, Script


def projects_list(org: Organization, *, archived: bool = False) -> QuerySet[Project]:
    return (
        Project.objects.for_org(org)
        .filter(archived_at__isnull=not archived)
        .select_related("org")
        .annotate(script_count=Count("scripts", distinct=True), asset_count=Count("asset_links", distinct=True))
    )


def projects_open(org: Organization) -> list[Project]:
    """The projects a tool offers to put its result in (not archived), by name."""
    return list(Project.objects.for_org(org).filter(archived_at__isnull=True).select_related("org").order_by("name"))


def project_or_404(org: Organization, public_id) -> Project:
    """The org's project; 404 for another org's, a missing one or a malformed id (the same answer)."""
    return one_or_404(Project.objects.for_org(org).select_related("org", "created_by"), public_id)


def script_or_404(project: Project, public_id) -> Script:
    return one_or_404(Script.objects.filter(project=project).select_related("org", "project"), public_id)


def breakdown_or_404(project: Project, public_id) -> Breakdown:
    return one_or_404(
        Breakdown.objects.filter(project=project).select_related("org", "project", "script", "cached_from"), public_id
    )


def message_or_404(project: Project, public_id) -> ChatMessage:
    return one_or_404(ChatMessage.objects.filter(project=project).select_related("org", "project"), public_id)


def project_scripts(project: Project) -> list[Script]:
    return list(project.scripts.select_related("org", "project").defer("text"))


def project_breakdowns(project: Project) -> list[Breakdown]:
    return list(
        project.breakdowns.select_related("org", "project", "script").defer("chunks", "partial", "script__text")
    )


def project_assets(project: Project, limit: int = 24) -> list[Asset]:
    return list(
        Asset.objects.for_org(project.org)
        .filter(project_links__project=project)
        .select_related("org")
        .order_by("-project_links__added_at")[:limit]
    )


def assets_to_add(project: Project, limit: int = 12) -> list[Asset]:
    """The newest library items not yet in the project, offered on its page."""
    return list(
        Asset.objects.for_org(project.org)
        .exclude(project_links__project=project)
        .select_related("org")
        .order_by("-created_at", "-id")[:limit]
    )


def project_characters(project: Project) -> list[Character]:
    return list(Character.objects.for_org(project.org).filter(project_links__project=project).select_related("org"))


def chat_history(project: Project) -> list[ChatMessage]:
    return list(project.chat_messages.select_related("org", "project", "created_by"))


@dataclass(frozen=True)
class Activity:
    at: datetime
    what: str
    who: str
    url: str


def project_timeline(project: Project, limit: int = 30) -> list[Activity]:
    """What happened in the project, newest first: scripts uploaded, breakdowns and their ends,
    questions asked, items and characters added."""
    events: list[Activity] = [Activity(project.created_at, "Project created", _who(project.created_by), "")]
    for script in project.scripts.select_related("created_by", "org", "project").defer("text"):
        events.append(
            Activity(
                script.created_at,
                f"Uploaded “{script.title}” ({script.pages} pages)",
                _who(script.created_by),
                script.get_absolute_url(),
            )
        )
    for job in project.breakdowns.select_related("created_by", "script", "org", "project").defer(
        "chunks", "partial", "result", "script__text"
    ):
        events.append(
            Activity(
                job.created_at,
                f"Breakdown of “{job.script.title}” started",
                _who(job.created_by),
                job.get_absolute_url(),
            )
        )
        if job.finished_at:
            ended = {"succeeded": "finished", "failed": "failed", "cancelled": "was cancelled"}.get(
                job.status, job.status
            )
            events.append(
                Activity(job.finished_at, f"Breakdown of “{job.script.title}” {ended}", "", job.get_absolute_url())
            )
    for message in project.chat_messages.select_related("created_by", "org", "project").only(
        "created_at", "question", "created_by", "org", "project", "public_id"
    ):
        events.append(
            Activity(
                message.created_at,
                f"Asked the assistant: “{message.question[:80]}”",
                _who(message.created_by),
                message.get_absolute_url(),
            )
        )
    for link in project.asset_links.select_related("asset", "asset__org"):
        events.append(Activity(link.added_at, f"Added “{link.asset.title or 'an item'}” from the library", "", ""))
    for clink in project.character_links.select_related("character"):
        events.append(Activity(clink.added_at, f"Added the character {clink.character.name}", "", ""))
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def _who(user) -> str:
    return user.display_name if user is not None else ""


def project_jobs(project: Project) -> list:
    """The project's jobs of every kind, newest first."""
    jobs: list = [*project_breakdowns(project), *project.chat_messages.select_related("org", "project")]
    jobs.sort(key=lambda j: j.created_at, reverse=True)
    return jobs
