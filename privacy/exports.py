"""An organisation's export of everything it holds (GDPR art. 20): requested by an owner, built
into one zip by a worker with its progress on the page, then a signed link by email, for a week.

The zip::

    README.txt              what each file is
    organisation.json       the organisation, its plan and settings
    members.csv             members and their roles; invitations.csv, join_requests.csv
    characters.json         each character: attributes, consent records, training runs, dataset
    consent_records.csv     every consent attestation, with who, when, IP and the exact text
    characters/<name>/dataset/<group>/…   the training photos (originals)
    characters/<name>/face-model/…        face models (LoRA files) not already in the library
    library/…               every library item's original; library.csv describes each
    jobs.csv                every job: packs, edits, training, character jobs, prompt drafts
    ledger.csv              the credit history
    audit_log.csv           the audit log
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import User
from assets import storage
from assets.models import Asset
from audit import actions as audit_actions
from audit.services import record
from characters.models import Character
from core.emails import email_send
from core.exceptions import DomainError
from notifications.services import notify
from orgs.models import Membership, Organization
from privacy import export_contents as contents
from privacy import selectors
from privacy.models import DataExport

log = logging.getLogger(__name__)

DOWNLOAD_SALT = "personae.privacy.export"
FAILED = "The export couldn't be built. Try again; if it fails again, write to support."


def _require_owner(actor: Membership) -> None:
    if not actor.is_owner:
        raise DomainError("Only an owner can export all of the organisation's data.")


def refuse_while_jobs_run(org: Organization, what: str) -> None:
    """A running pack (or any job) would be half in the export, half not, and a deletion would cut
    it off: it must finish, or be cancelled (its credits come back), first."""
    running = selectors.running_jobs(org)
    if running:
        count = len(running)
        raise DomainError(
            f"{count} job{' is' if count == 1 else 's are'} still running ({', '.join(j.label for j in running[:3])}"
            f"{' …' if count > 3 else ''}). Wait for {'it' if count == 1 else 'them'} to finish, or cancel "
            f"{'it' if count == 1 else 'them'} on the Jobs page — the credits come back — then {what}."
        )


def export_request(*, actor: Membership) -> tuple[DataExport, bool]:
    """Start building a zip of everything in the actor's organisation. An export already being
    built is returned instead of a second one (False); the request is refused while jobs run."""
    org = actor.org
    _require_owner(actor)
    if existing := DataExport.objects.for_org(org).filter(status__in=DataExport.ACTIVE).first():
        return existing, False
    refuse_while_jobs_run(org, "ask for the export")
    from privacy.tasks import build_data_export

    try:
        with transaction.atomic():
            export = DataExport.objects.create(org=org, requested_by=actor.user)
            record(
                action=audit_actions.DATA_EXPORT_REQUESTED,
                summary=f"{actor.user.display_name} asked for an export of all of {org.name}'s data",
                org=org,
                actor=actor.user,
                target=export,
            )
            transaction.on_commit(lambda: build_data_export.delay(export.pk))
    except IntegrityError:  # another request won the race: one export is built
        existing = DataExport.objects.for_org(org).filter(status__in=DataExport.ACTIVE).first()
        if existing is None:
            raise
        return existing, False
    return export, True


# --- The download link ------------------------------------------------------------------------------


def download_token(export: DataExport) -> str:
    return signing.dumps({"e": str(export.public_id)}, salt=DOWNLOAD_SALT, compress=True)


def download_url(export: DataExport) -> str:
    return settings.SITE_URL + reverse("privacy:export_download", args=[download_token(export)])


def export_for_token(token: str) -> DataExport | None:
    """The export a download link names, if the link is genuine and not past its week; else None."""
    try:
        payload = signing.loads(token, salt=DOWNLOAD_SALT, max_age=timedelta(days=settings.DATA_EXPORT_TTL_DAYS))
    except signing.BadSignature:
        return None
    return DataExport.objects.select_related("org").filter(public_id=payload.get("e")).first()


def export_downloaded(*, export: DataExport, user: User) -> None:
    record(
        action=audit_actions.DATA_EXPORT_DOWNLOADED,
        summary=f"{user.display_name} downloaded the export of all of {export.org.name}'s data",
        org=export.org,
        actor=user,
        target=export,
    )


# --- Building the zip (worker) ---------------------------------------------------------------------


def export_build(*, export_id: int) -> None:
    """Worker: build the zip in a temporary file, store it, email the link. Idempotent: a repeated
    task finds the export already taken and does nothing."""
    now = timezone.now()
    if not DataExport.objects.filter(pk=export_id, status=DataExport.Status.QUEUED).update(
        status=DataExport.Status.RUNNING, started_at=now, updated_at=now, step="Starting"
    ):
        return
    export = DataExport.objects.select_related("org", "org__plan", "requested_by").get(pk=export_id)
    org = export.org
    total = Asset.objects.for_org(org).count() + 2 * Character.objects.for_org(org).count()
    fd, path = tempfile.mkstemp(prefix="personae-data-export-", suffix=".zip")
    os.close(fd)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            b = contents.Builder(export, archive, total)
            b.data("organisation.json", contents.as_json(contents.organisation(org)))
            contents.people(b, org)
            written = contents.characters(b, org)
            contents.library(b, org, written)
            contents.jobs(b, org)
            contents.ledger(b, org)
            contents.audit_log(b, org)
            b.data(
                "README.txt",
                contents.README.format(
                    org=org.name,
                    when=f"{timezone.now():%Y-%m-%d %H:%M}",
                    who=contents.email_of(export.requested_by),
                    files=b.done,
                    missing=f" {b.missing} missing from storage, marked in the CSVs." if b.missing else "",
                ).encode(),
            )
        b.step("Storing the zip")
        with open(path, "rb") as fh:
            key = storage.storage().save(storage.data_export_key(org, export), File(fh))
        finished = timezone.now()
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExport.Status.READY,
            progress=100,
            step="",
            key=key,
            files=b.done,
            bytes=os.path.getsize(path),
            finished_at=finished,
            updated_at=finished,
            expires_at=finished + timedelta(days=settings.DATA_EXPORT_TTL_DAYS),
        )
    except Exception:
        log.exception("Data export %s failed", export_id)
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExport.Status.FAILED,
            error=FAILED,
            step="",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)
    export.refresh_from_db()
    _tell(export)


def _tell(export: DataExport) -> None:
    """Email the signed link to whoever asked, and leave a notification in the app."""
    user = export.requested_by
    if user is None or not user.is_active:
        return
    with transaction.atomic():
        email_send(
            prefix="data_export_ready",
            to=[user.email],
            context={
                "user": user,
                "org": export.org,
                "export": export,
                "url": download_url(export),
                "days": settings.DATA_EXPORT_TTL_DAYS,
            },
        )
        notify(
            org=export.org,
            user=user,
            kind="data_export_ready",
            title="Your data export is ready",
            body=f"The zip of all of {export.org.name}'s data can be downloaded until "
            f"{dateformat.format(timezone.localtime(export.expires_at), 'j F Y')}.",
            url=reverse("orgs:privacy", args=[export.org.slug]),
            email=False,
        )
