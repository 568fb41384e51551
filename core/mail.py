"""Development mailbox: each message is a file in EMAIL_FILE_PATH, readable at /dev/mail/."""

from __future__ import annotations

import email
import email.policy
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger(__name__)


class DevMailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        directory = Path(settings.EMAIL_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            (directory / name).write_bytes(message.message().as_bytes())
            logger.info(
                "Email to %s: %r — read it at %s/dev/mail/", ", ".join(message.to), message.subject, settings.SITE_URL
            )
        return len(email_messages)


@dataclass
class StoredMail:
    id: str
    subject: str
    to: str
    sender: str
    sent_at: datetime
    text: str
    html: str


def _parse(path: Path) -> StoredMail:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return StoredMail(
        id=path.stem,
        subject=str(msg["Subject"] or ""),
        to=str(msg["To"] or ""),
        sender=str(msg["From"] or ""),
        sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
        text=text_part.get_content() if text_part else "",
        html=html_part.get_content() if html_part else "",
    )


def stored_mail_list(limit: int = 100) -> list[StoredMail]:
    directory = Path(settings.EMAIL_FILE_PATH)
    if not directory.exists():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    return [_parse(p) for p in paths]


def stored_mail_get(mail_id: str) -> StoredMail | None:
    if not mail_id.replace("-", "").isalnum():
        return None
    path = Path(settings.EMAIL_FILE_PATH) / f"{mail_id}.eml"
    return _parse(path) if path.is_file() else None
