"""Pages that write and redirect: a refusal becomes the message shown on the next page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.http import HttpRequest

from core.exceptions import DomainError


@contextmanager
def refusals_as_messages(request: HttpRequest) -> Iterator[None]:
    """Run a view's write; a ``DomainError`` it raises becomes an error message, and the view then
    redirects as it would anyway. Put the success message inside the block: it shows only when the
    write went through."""
    try:
        yield
    except DomainError as exc:
        messages.error(request, exc.message)
