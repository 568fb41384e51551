"""Every action the audit log records: its code (stored on each entry) and the words for it."""

from __future__ import annotations

# Members and access (orgs/services.py).
MEMBER_ROLE_CHANGED = "member.role_changed"
MEMBER_REMOVED = "member.removed"
MEMBER_LEFT = "member.left"
OWNERSHIP_TRANSFERRED = "member.ownership_transferred"
INVITATION_SENT = "invitation.sent"
INVITATION_REVOKED = "invitation.revoked"
INVITATION_ACCEPTED = "invitation.accepted"
JOIN_REQUEST_APPROVED = "join_request.approved"
JOIN_REQUEST_DECLINED = "join_request.declined"
# Consent and adult content (orgs/services.py, characters/services.py).
CONSENT_RECORDED = "consent.recorded"
ADULT_CONTENT_ORG_CHANGED = "adult_content.org_changed"
ADULT_CONTENT_CHARACTER_CHANGED = "adult_content.character_changed"
# Settings.
DATASET_RETENTION_CHANGED = "settings.dataset_retention_changed"
# Support staff (billing/services.py, called from the admin).
CREDITS_ADJUSTED = "credits.adjusted"
HOLD_RELEASED_BY_STAFF = "credits.hold_released"
# API keys: recorded by whoever builds them (PRODUCT.md §8) with ``record``.
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
# Exports and deletions (privacy/).
DATA_EXPORT_REQUESTED = "export.requested"
DATA_EXPORT_DOWNLOADED = "export.downloaded"
CHARACTER_DELETED = "character.deleted"
ORG_DELETION_SCHEDULED = "org.deletion_scheduled"
ORG_DELETION_CANCELLED = "org.deletion_cancelled"
ORG_DELETED = "org.deleted"
ACCOUNT_DELETED = "account.deleted"
# Retention on a schedule (privacy/retention.py).
DATASET_DELETED_BY_RETENTION = "retention.dataset_deleted"
# Trust and safety: a screened prompt or text refused (``audit.receivers.safety_refused``).
SAFETY_REFUSED = "safety.refused"

LABELS: dict[str, str] = {
    MEMBER_ROLE_CHANGED: "Role changed",
    MEMBER_REMOVED: "Member removed",
    MEMBER_LEFT: "Member left",
    OWNERSHIP_TRANSFERRED: "Ownership transferred",
    INVITATION_SENT: "Invitation sent",
    INVITATION_REVOKED: "Invitation withdrawn",
    INVITATION_ACCEPTED: "Invitation accepted",
    JOIN_REQUEST_APPROVED: "Join request approved",
    JOIN_REQUEST_DECLINED: "Join request declined",
    CONSENT_RECORDED: "Consent recorded",
    ADULT_CONTENT_ORG_CHANGED: "Adult content (organisation)",
    ADULT_CONTENT_CHARACTER_CHANGED: "Adult content (character)",
    DATASET_RETENTION_CHANGED: "Training photo retention changed",
    CREDITS_ADJUSTED: "Credits adjusted by support",
    HOLD_RELEASED_BY_STAFF: "Hold released by support",
    API_KEY_CREATED: "API key created",
    API_KEY_REVOKED: "API key revoked",
    DATA_EXPORT_REQUESTED: "Data export requested",
    DATA_EXPORT_DOWNLOADED: "Data export downloaded",
    CHARACTER_DELETED: "Character deleted",
    ORG_DELETION_SCHEDULED: "Organisation deletion scheduled",
    ORG_DELETION_CANCELLED: "Organisation deletion undone",
    ORG_DELETED: "Organisation deleted",
    ACCOUNT_DELETED: "Account deleted",
    DATASET_DELETED_BY_RETENTION: "Training photos deleted (retention)",
    SAFETY_REFUSED: "Refused by the safety screen",
}


def label(action: str) -> str:
    return LABELS.get(action, action)


def choices() -> list[tuple[str, str]]:
    """``(code, label)`` for a filter, in the order above."""
    return list(LABELS.items())
