"""Receivers other apps' signals connect to the audit log.

``safety_refused(sender, **kwargs)`` is ready for the screening pipeline's ``safety_refused``
signal: ``safety_refused_signal.connect(audit.receivers.safety_refused)``. It reads ``org`` and
``user`` (or ``actor``), and, when present, ``channel`` (or ``where``), ``reason`` and ``text``
(or ``prompt``); every other JSON-friendly keyword lands in the entry's data.
"""

from __future__ import annotations

from typing import Any

from audit import actions
from audit.services import record

TEXT_KEPT = 500
_OWN = {"signal", "org", "user", "actor", "channel", "where", "reason", "text", "prompt", "request"}


def safety_refused(sender: Any = None, **kwargs: Any):
    """Record one refusal by the safety screen (an audit entry in the org's log)."""
    channel = kwargs.get("channel") or kwargs.get("where") or ""
    reason = str(kwargs.get("reason") or "")
    text = str(kwargs.get("text") or kwargs.get("prompt") or "")
    extra = {k: v for k, v in kwargs.items() if k not in _OWN and isinstance(v, str | int | float | bool | None)}
    summary = "A text was refused by the safety screen"
    if channel:
        summary += f" ({channel})"
    if reason:
        summary += f": {reason}"
    return record(
        action=actions.SAFETY_REFUSED,
        summary=summary,
        org=kwargs.get("org"),
        actor=kwargs.get("user") or kwargs.get("actor"),
        request=kwargs.get("request"),
        data={"channel": channel, "reason": reason, "text": text[:TEXT_KEPT], **extra},
    )
