"""What goes into an organisation's data export, file by file (see ``privacy.exports`` for the
layout). Each writer adds its files to the zip through ``Builder``, which reports progress."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from assets import storage
from assets.models import Asset
from audit.models import AuditEntry
from billing.models import LedgerEntry
from characters.models import Character, Consent, DatasetImage
from jobs.engine import job_models
from orgs.models import Organization
from privacy.models import DataExport

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def _safe(name: str, fallback: str) -> str:
    cleaned = re.sub(r"[^\w\- .]+", "_", name).strip(" .") or fallback
    return cleaned[:80]


def as_json(data) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _csv(header: list[str], rows: Iterable[Iterable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def email_of(user) -> str:
    return user.email if user else ""


class Builder:
    """Writes the zip entry by entry and reports progress on the export row as it goes."""

    def __init__(self, export: DataExport, archive: zipfile.ZipFile, total_files: int):
        self.export, self.archive = export, archive
        self.total = max(total_files, 1)
        self.done = 0
        self.missing = 0
        self.names: set[str] = set()

    def _unique(self, name: str) -> str:
        path = PurePosixPath(name)
        candidate, n = name, 2
        while candidate.lower() in self.names:
            candidate, n = str(path.with_name(f"{path.stem} ({n}){path.suffix}")), n + 1
        self.names.add(candidate.lower())
        return candidate

    def step(self, words: str) -> None:
        DataExport.objects.filter(pk=self.export.pk).update(step=words[:120])

    def data(self, name: str, content: bytes) -> None:
        # Text compresses well; the media (stored as they are) doesn't.
        self.archive.writestr(self._unique(name), content, compress_type=zipfile.ZIP_DEFLATED)

    def file(self, name: str, key: str) -> str | None:
        """Copy the stored file ``key`` in as ``name``; None (noted in the README) if it is missing."""
        name = self._unique(name)
        try:
            with storage.storage().open(key, "rb") as src, self.archive.open(name, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, CHUNK)
        except FileNotFoundError:
            log.warning("Export %s: %s is missing from storage", self.export.pk, key)
            self.missing += 1
            return None
        self.done += 1
        # Up to 95 %: the last part is storing the zip.
        DataExport.objects.filter(pk=self.export.pk).update(progress=min(95, self.done * 95 // self.total))
        return name


def _asset_extension(asset: Asset) -> str:
    return PurePosixPath(asset.original_key).suffix


def organisation(org: Organization) -> dict:
    subscription = getattr(org, "billing_subscription", None)
    return {
        "id": org.public_id,
        "name": org.name,
        "address": f"/o/{org.slug}/",
        "billing_email": org.email,
        "created_at": org.created_at,
        "plan": org.plan.name,
        "adult_content": org.adult_content,
        "adult_content_confirmed_by": email_of(org.adult_content_confirmed_by),
        "adult_content_confirmed_at": org.adult_content_confirmed_at,
        "allow_join_requests": org.allow_join_requests,
        "dataset_retention_days": org.dataset_retention_days,
        "subscription": {
            "status": subscription.status,
            "stripe_customer": subscription.stripe_customer_id,
            "current_period_end": subscription.current_period_end,
        }
        if subscription
        else None,
        "exported_at": timezone.now(),
    }


def people(b: Builder, org: Organization) -> None:
    b.step("Members, invitations and join requests")
    b.data(
        "members.csv",
        _csv(
            ["email", "name", "role", "member since"],
            (
                (m.user.email, m.user.name, m.role, m.created_at.isoformat())
                for m in org.memberships.select_related("user").order_by("created_at")
            ),
        ),
    )
    b.data(
        "invitations.csv",
        _csv(
            ["email", "role", "status", "invited by", "sent", "expires", "accepted at"],
            (
                (
                    i.email,
                    i.role,
                    i.status,
                    email_of(i.invited_by),
                    i.created_at.isoformat(),
                    i.expires_at.isoformat(),
                    i.accepted_at.isoformat() if i.accepted_at else "",
                )
                for i in org.invitations.select_related("invited_by").order_by("created_at")
            ),
        ),
    )
    b.data(
        "join_requests.csv",
        _csv(
            ["email", "message", "status", "role granted", "decided by", "asked", "decided at"],
            (
                (
                    r.user.email,
                    r.message,
                    r.status,
                    r.role,
                    email_of(r.decided_by),
                    r.created_at.isoformat(),
                    r.decided_at.isoformat() if r.decided_at else "",
                )
                for r in org.join_requests.select_related("user", "decided_by").order_by("created_at")
            ),
        ),
    )


def _consent_json(c: Consent) -> dict:
    return {
        "id": c.public_id,
        "recorded_at": c.created_at,
        "by": c.user_email,
        "ip": c.ip,
        "user_agent": c.user_agent,
        "text_version": c.text_version,
        "covers_adult_content": c.covers_adult_content,
        "text": c.text,
    }


def characters(b: Builder, org: Organization) -> set[int]:
    """characters.json, consent_records.csv, and each character's training photos and face models.
    Returns the assets written here, so the library doesn't repeat them."""
    written: set[int] = set()
    characters_out = []
    consent_rows = []
    for character in Character.objects.for_org(org).select_related("created_by").order_by("created_at"):
        folder = f"characters/{_safe(character.name, 'character')}-{str(character.public_id)[:8]}"
        b.step(f"Character {character.name}")
        dataset = []
        for image in (
            DatasetImage.objects.filter(character=character).select_related("asset").order_by("bucket", "position")
        ):
            name = f"{folder}/dataset/{image.bucket}/{image.position:02d}-{_safe(image.asset.title, 'photo')}"
            stored = b.file(name + _asset_extension(image.asset), image.asset.original_key)
            written.add(image.asset_id)
            dataset.append(
                {
                    "file": stored,
                    "group": image.bucket,
                    "caption": image.caption,
                    "check": image.level,
                    "issues": image.issues,
                }
            )
        models = []
        if character.lora_key and not character.lora_asset_id:
            models.append(b.file(f"{folder}/face-model/flux-lora.safetensors", character.lora_key))
        if character.zimage_lora_key:
            models.append(b.file(f"{folder}/face-model/z-image-lora.safetensors", character.zimage_lora_key))
        consents = [_consent_json(c) for c in character.consents.order_by("created_at")]
        consent_rows += [
            (
                character.name,
                c["recorded_at"].isoformat(),
                c["by"],
                c["ip"] or "",
                c["user_agent"],
                c["text_version"],
                c["covers_adult_content"],
                c["text"],
            )
            for c in consents
        ]
        characters_out.append(
            {
                "id": character.public_id,
                "name": character.name,
                "trigger_word": character.trigger_word,
                "origin": character.origin,
                "created_at": character.created_at,
                "created_by": email_of(character.created_by),
                "attributes": {
                    field: getattr(character, field)
                    for field in (
                        "style",
                        "gender",
                        "age",
                        "ethnicity",
                        "hair_colour",
                        "hair_style",
                        "eye_colour",
                        "body_type",
                        "default_outfit",
                        "notes",
                    )
                },
                "adult_content_allowed": character.nsfw_allowed,
                "face_model": {
                    "status": character.lora_status,
                    "ready_at": character.lora_ready_at,
                    "files": [m for m in models if m],
                },
                "consent_records": consents,
                "dataset": dataset,
                "training_runs": [
                    {
                        "id": r.public_id,
                        "status": r.status,
                        "source": r.source,
                        "images": r.images,
                        "steps": r.steps,
                        "credits": r.credits,
                        "created_at": r.created_at,
                        "finished_at": r.finished_at,
                        "error": r.error,
                    }
                    for r in character.training_runs.order_by("created_at")
                ],
            }
        )
    b.data("characters.json", as_json(characters_out))
    b.data(
        "consent_records.csv",
        _csv(
            ["character", "recorded at", "by", "IP", "browser", "text version", "covers adult content", "text"],
            consent_rows,
        ),
    )
    return written


def library(b: Builder, org: Organization, skip: set[int]) -> None:
    rows = []
    assets = (
        Asset.objects.for_org(org)
        .exclude(pk__in=skip)
        .select_related("character", "created_by")
        .prefetch_related("tags", "collections")
        .order_by("created_at")
    )
    for asset in assets.iterator(chunk_size=200):
        b.step(f"Library: {asset.title}"[:120])
        stored = b.file(f"library/{_safe(asset.title, 'item')}{_asset_extension(asset)}", asset.original_key)
        rows.append(
            (
                stored or "(missing from storage)",
                asset.public_id,
                asset.title,
                asset.kind,
                asset.source,
                asset.character.name if asset.character else "",
                asset.created_at.isoformat(),
                email_of(asset.created_by),
                asset.nsfw,
                asset.liked,
                ", ".join(t.name for t in asset.tags.all()),
                ", ".join(c.name for c in asset.collections.all()),
                asset.credits_cost if asset.credits_cost is not None else "",
                json.dumps(asset.metadata.get("recipe") or {}, cls=DjangoJSONEncoder, ensure_ascii=False),
            )
        )
    b.data(
        "library.csv",
        _csv(
            [
                "file",
                "id",
                "title",
                "type",
                "source",
                "character",
                "created at",
                "created by",
                "adult content",
                "liked",
                "tags",
                "collections",
                "credits",
                "recipe",
            ],
            rows,
        ),
    )


def jobs(b: Builder, org: Organization) -> None:
    b.step("Jobs")
    rows = []
    for model in job_models():
        for job in model._default_manager.filter(org=org).select_related("created_by").order_by("created_at"):
            rows.append(
                (
                    model._meta.verbose_name,
                    job.public_id,
                    str(job),
                    job.status,
                    job.operation,
                    job.credits,
                    email_of(job.created_by),
                    job.created_at.isoformat(),
                    job.finished_at.isoformat() if job.finished_at else "",
                    job.error,
                )
            )
    rows.sort(key=lambda row: row[7])
    b.data(
        "jobs.csv",
        _csv(
            [
                "kind",
                "id",
                "what",
                "status",
                "operation",
                "credits",
                "started by",
                "created at",
                "finished at",
                "error",
            ],
            rows,
        ),
    )


def ledger(b: Builder, org: Organization) -> None:
    b.step("Credit history")
    entries = LedgerEntry.objects.filter(org=org).select_related("actor").order_by("id")
    b.data(
        "ledger.csv",
        _csv(
            ["time", "kind", "credits", "held change", "balance after", "held after", "description", "reason", "by"],
            (
                (
                    e.created_at.isoformat(),
                    e.kind,
                    e.amount,
                    e.held_delta,
                    e.balance_after,
                    e.held_after,
                    e.description,
                    e.reason,
                    email_of(e.actor),
                )
                for e in entries.iterator(chunk_size=1000)
            ),
        ),
    )


def audit_log(b: Builder, org: Organization) -> None:
    b.step("Audit log")
    entries = AuditEntry.objects.for_org(org).order_by("created_at", "id")
    b.data(
        "audit_log.csv",
        _csv(
            ["time", "who", "actor kind", "action", "summary", "target", "target id", "IP", "browser"],
            (
                (
                    e.created_at.isoformat(),
                    e.actor_email,
                    e.actor_kind,
                    e.action,
                    e.summary,
                    e.target_type,
                    e.target_id,
                    e.ip or "",
                    e.user_agent,
                )
                for e in entries.iterator(chunk_size=1000)
            ),
        ),
    )


README = """Everything {org} holds in Personae, exported on {when} (UTC) for {who}.

organisation.json      the organisation, its plan and settings
members.csv            members and their roles; invitations.csv and join_requests.csv
characters.json        each character: attributes, consent records, training runs, its dataset
consent_records.csv    every consent attestation: who, when, from which IP, the exact text
characters/            per character: dataset/ (the training photos, originals) and face-model/
library/               the original of every item in the library; library.csv describes each
jobs.csv               every job (packs, edits, training, character jobs, prompt drafts)
ledger.csv             the credit history: grants, holds, charges, releases, adjustments
audit_log.csv          who did what, when and from where

Files: {files}.{missing}
"""
