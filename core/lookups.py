"""The one way a page or the API fetches a tenant's row by its public id."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def one_or_404(rows: QuerySet[M], public_id, message: str = "") -> M:
    """The row of ``rows`` (already scoped to one org) with this public id.

    A malformed id, a missing row and another org's row all raise the same ``Http404``, so a
    response never tells an outsider that something exists.
    """
    try:
        wanted = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise Http404(message) from None
    row = rows.filter(public_id=wanted).first()
    if row is None:
        raise Http404(message)
    return row
