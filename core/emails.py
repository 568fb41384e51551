"""Templated HTML + text emails, sent by the worker on the `email` queue after the commit.

A message named ``prefix`` is three templates: ``emails/<prefix>_subject.txt``,
``emails/<prefix>.txt`` and ``emails/<prefix>.html`` (which extends ``emails/base.html``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string


def email_render(prefix: str, context: dict) -> tuple[str, str, str]:
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME, **context}
    subject = " ".join(render_to_string(f"emails/{prefix}_subject.txt", context).split())
    text = render_to_string(f"emails/{prefix}.txt", context)
    html = render_to_string(f"emails/{prefix}.html", context)
    return subject, text, html


# Apps above core that decide who doesn't want a message (notifications: email preferences)
# register a filter of the recipients; each sees every message's prefix.
RecipientsFilter = Callable[[str, list[str]], list[str]]
_RECIPIENT_FILTERS: list[RecipientsFilter] = []


def recipients_filter_register(keep: RecipientsFilter) -> None:
    if keep not in _RECIPIENT_FILTERS:
        _RECIPIENT_FILTERS.append(keep)


def email_send(*, prefix: str, to: list[str], context: dict) -> None:
    """Render now (the context may hold model objects), hand the strings to the worker on commit.
    Nothing is sent when every recipient turned this message off."""
    from core.tasks import send_email

    for keep in _RECIPIENT_FILTERS:
        to = keep(prefix, to)
    if not to:
        return
    subject, text, html = email_render(prefix, context)
    transaction.on_commit(partial(send_email.delay, to=to, subject=subject, text=text, html=html), robust=True)
