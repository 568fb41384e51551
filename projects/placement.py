"""Projects as the destination of ``core.placement``: the "Project" choice on every tool's form,
the job or upload it started (``ProjectWork``), and what that work makes landing in the project.

The tools sit below ``projects`` and never import it; ``ProjectsConfig.ready`` registers
``Destination`` with ``core.placement``, which they call.

- A chosen project must be the organisation's own and open: another organisation's id, a made-up
  one or an archived project is refused in the form, and again (``DomainError``) at the start.
- A worker's result is traced to the project from its origin: the provider call being settled
  (its subject: the job, or one item of a pack), the tool job or the upload, and what it is part
  of (its foreign keys to the organisation's rows: an item's pack, an animation step's pipeline),
  so work a job starts later for itself lands in the same project.
- A project deleted while its job ran has no ``ProjectWork`` any more: the result lands in the
  library only. A project archived meanwhile still receives what was started in it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from assets.models import Asset
from characters.models import Character
from core import placement
from core.exceptions import DomainError
from core.models import OrgOwnedModel
from projects import retrieval
from projects.models import Project, ProjectAsset, ProjectCharacter, ProjectWork
from providers.models import ProviderCall

log = logging.getLogger(__name__)

ARCHIVED = "“{name}” is archived, so nothing new starts in it. Restore it first, or choose No project."
NOT_FOUND = "That project isn't one of this organisation's. Choose one of your open projects, or No project."


def _find(org: Any, value: str) -> Project | None:
    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        return None
    return Project.objects.for_org(org).filter(public_id=public_id).select_related("org").first()


def project_chosen(org: Any, value: str) -> Project:
    """The organisation's open project ``value``; ``DomainError`` otherwise."""
    project = _find(org, value)
    if project is None:
        raise DomainError(NOT_FOUND, field=placement.FIELD)
    if project.is_archived:
        raise DomainError(ARCHIVED.format(name=project.name), field=placement.FIELD)
    return project


def _followed(obj: Model) -> Iterator[tuple[type[Model], int]]:
    """``obj`` and what it is part of: the organisation's rows its foreign keys point to (a pack
    image's pack, an animation step's pipeline), as ``(model, pk)`` without loading them."""
    yield type(obj), obj.pk
    for field in obj._meta.concrete_fields:
        target = field.related_model
        if not (field.many_to_one and isinstance(target, type) and issubclass(target, OrgOwnedModel)):
            continue
        if (pk := getattr(obj, field.attname)) is not None:
            yield target, pk


def _origin_rows(origin: Any) -> list[tuple[type[Model], int]]:
    if isinstance(origin, ProviderCall):
        origin = origin.subject if origin.subject_type_id else None
    return list(_followed(origin)) if isinstance(origin, Model) else []


def project_of(origin: Any) -> Project | None:
    """The project ``origin``'s work was started in, if any (and it still exists)."""
    wanted = Q()
    for model, pk in _origin_rows(origin):
        wanted |= Q(content_type=ContentType.objects.get_for_model(model), object_id=pk)
    if not wanted:
        return None
    link = ProjectWork.objects.filter(wanted).select_related("project__org").first()
    return link.project if link is not None else None


class Destination:
    def choices(self, org: Any) -> list[tuple[str, str]]:
        return [
            (str(p.public_id), p.name)
            for p in Project.objects.for_org(org).filter(archived_at__isnull=True).order_by("name")
        ]

    def refusal(self, org: Any, value: str) -> str:
        try:
            project_chosen(org, value)
        except DomainError as exc:
            return exc.message
        return ""

    def started(self, work: Any, *, chosen: str, origin: Any) -> None:
        project = project_chosen(work.org, chosen) if chosen else project_of(origin)
        if project is None or project.org_id != work.org_id:
            return
        ProjectWork.objects.get_or_create(
            content_type=ContentType.objects.get_for_model(work),
            object_id=work.pk,
            defaults={"project": project, "started_by": getattr(work, "created_by", None)},
        )
        Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())

    def landed(self, obj: Any, *, chosen: str, origin: Any) -> None:
        project = _find(obj.org, chosen) if chosen else project_of(origin)
        if project is None or project.org_id != obj.org_id:
            return
        with transaction.atomic():  # a savepoint: a failure here leaves the delivery's transaction whole
            if isinstance(obj, Asset):
                link, created = ProjectAsset.objects.get_or_create(
                    project=project, asset=obj, defaults={"made_here": True}
                )
                if created:
                    retrieval.passages_for_asset(link)
            elif isinstance(obj, Character):
                ProjectCharacter.objects.get_or_create(project=project, character=obj, defaults={"made_here": True})
            else:
                return
            Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
