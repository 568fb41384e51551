"""Project writes: create, rename, archive/restore, delete (what goes is listed first), upload a
script, and link library items and characters to a project."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from analytics.services import track
from assets import storage
from assets.models import Asset
from characters.models import Character
from core.exceptions import DomainError
from core.jobs import ACTIVE
from orgs.models import Organization
from projects import retrieval, script_files
from projects.models import MAX_NAME_CHARS, Breakdown, ChatMessage, Project, ProjectAsset, ProjectCharacter, Script
from safety.services import text_screen

log = logging.getLogger(__name__)

SCREEN_WHERE = "project_script"


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the project a name.", field="name")
    if len(name) > MAX_NAME_CHARS:
        raise DomainError(f"Keep the name to {MAX_NAME_CHARS} characters.", field="name")
    return name


@transaction.atomic
def project_create(*, org: Organization, user: User | None, name: str, description: str = "") -> Project:
    project = Project.objects.create(
        org=org, name=_clean_name(name), description=(description or "").strip()[:2000], created_by=user
    )
    track("project_created", org=org, user=user, project_id=str(project.public_id))
    return project


@transaction.atomic
def project_update(*, project: Project, name: str, description: str = "") -> Project:
    project.name = _clean_name(name)
    project.description = (description or "").strip()[:2000]
    project.save(update_fields=["name", "description", "updated_at"])
    return project


@transaction.atomic
def project_archive(*, project: Project, archived: bool) -> Project:
    """Archive a project (read-only: nothing new starts in it, its results stay) or restore it."""
    project.archived_at = timezone.now() if archived else None
    project.save(update_fields=["archived_at", "updated_at"])
    return project


@dataclass(frozen=True)
class DeletePlan:
    """What deleting a project removes (and what it leaves), shown before it's confirmed."""

    scripts: list[str]
    stored_files: int
    stored_bytes: int
    breakdowns: int
    chat_messages: int
    linked_assets: int
    linked_characters: int
    running: list[str]


def project_delete_plan(project: Project) -> DeletePlan:
    scripts = list(project.scripts.values_list("title", "size"))
    running = [
        f"breakdown of “{b.script.title}”"
        for b in Breakdown.objects.filter(project=project, status__in=ACTIVE).select_related("script")
    ]
    if ChatMessage.objects.filter(project=project, status__in=ACTIVE).exists():
        running.append("an assistant answer")
    return DeletePlan(
        scripts=[title for title, _size in scripts],
        stored_files=len(scripts),
        stored_bytes=sum(size for _title, size in scripts),
        breakdowns=project.breakdowns.count(),
        chat_messages=project.chat_messages.count(),
        linked_assets=project.asset_links.count(),
        linked_characters=project.character_links.count(),
        running=running,
    )


def project_delete(*, project: Project, user: User | None, confirm_name: str) -> None:
    """Delete ``project`` and what only it owns: its scripts and their stored files, breakdowns,
    chat history and links. Library items and characters stay in the library. Refused while one of
    its jobs runs (its credits are held; wait for it), or unless the name is typed to confirm."""
    if " ".join((confirm_name or "").split()) != project.name:
        raise DomainError("Type the project's name exactly to confirm.", field="confirm_name")
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        plan = project_delete_plan(locked)
        if plan.running:
            raise DomainError(
                f"Wait for the {' and the '.join(plan.running)} to finish (or fail) before deleting this project: "
                "its credits are still held."
            )
        prefix = storage.project_prefix(project.org, locked)
        locked.delete()
        transaction.on_commit(lambda: storage.delete_tree(prefix))
    track("project_deleted", org=project.org, user=user, project_id=str(project.public_id))


def _writable(project: Project) -> None:
    if project.is_archived:
        raise DomainError("This project is archived. Restore it to add to it.")


def script_upload(*, project: Project, user: User | None, filename: str, data: bytes, title: str = "") -> Script:
    """Store an uploaded script and its text. Raises ``DomainError`` (format, size, a PDF that is
    a scan or password-protected, a binary file renamed, words that the safety screen refuses)."""
    _writable(project)
    read = script_files.script_read(filename, data)
    text_screen(
        read.text, org=project.org, user=user, where=SCREEN_WHERE, field="file", subject="Scripts",
        hint="Edit the script and upload it again.",
    )  # fmt: skip
    title = " ".join((title or "").split())[:200] or filename.rsplit(".", 1)[0][:200] or "Untitled script"
    with transaction.atomic():
        script = Script(
            org=project.org,
            project=project,
            title=title,
            filename=filename[:255],
            format=read.format,
            size=len(data),
            sha256=read.sha256,
            text=read.text,
            pages=read.pages,
            tokens=read.tokens,
            created_by=user,
        )
        script.file_key = storage.script_key(project.org, project, script, filename.rsplit(".", 1)[-1].lower())
        storage.storage().save(script.file_key, ContentFile(data))
        script.save()
        retrieval.passages_for_script(script)
        Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    track("script_uploaded", org=project.org, user=user, project_id=str(project.public_id), pages=read.pages)
    return script


@transaction.atomic
def script_delete(*, script: Script) -> None:
    if script.breakdowns.filter(status__in=ACTIVE).exists():
        raise DomainError("This script is being broken down. Wait for it to finish, then delete it.")
    key = script.file_key
    script.delete()
    transaction.on_commit(lambda: storage.delete(key))


@transaction.atomic
def project_assets_add(*, project: Project, assets: list[Asset]) -> int:
    """Link library items to the project (they stay in the library); returns how many were new."""
    _writable(project)
    mine = [a for a in assets if a.org_id == project.org_id]
    existing = set(ProjectAsset.objects.filter(project=project).values_list("asset_id", flat=True))
    new = [ProjectAsset.objects.create(project=project, asset=a) for a in mine if a.pk not in existing]
    for link in new:
        retrieval.passages_for_asset(link)
    return len(new)


@transaction.atomic
def project_asset_remove(*, project: Project, asset: Asset) -> None:
    ProjectAsset.objects.filter(project=project, asset=asset).delete()


@transaction.atomic
def project_character_add(*, project: Project, character: Character) -> bool:
    _writable(project)
    if character.org_id != project.org_id:
        raise DomainError("That character isn't in this organisation.")
    _link, created = ProjectCharacter.objects.get_or_create(project=project, character=character)
    return created


@transaction.atomic
def project_character_remove(*, project: Project, character: Character) -> None:
    ProjectCharacter.objects.filter(project=project, character=character).delete()
