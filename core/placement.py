"""Where a person asked a result to go: the project chosen on a tool's form (issue #21).

The tools that make things (library upload, Studio, edits, video, grading and audio, new
characters) sit below ``projects`` in the import layers, so they can't import it. They speak to
this module instead, and ``projects`` registers itself here at app ready (``register``); with
nothing registered every call below does nothing.

- **The form**: ``add_field(form, org)`` adds an optional "Project" choice ("No project" first,
  then the organisation's open projects); another organisation's project, a made-up id or an
  archived project is refused with a form error in the destination's words.
- **The start**: the view runs the service that starts the work inside ``chosen(value)``.
  ``jobs.engine.job_start_created`` and ``assets.services.upload_start`` call ``started(work)``
  in their transaction; the destination remembers that this job or upload belongs to the project
  (or refuses, which rolls the start back, when the project was archived meanwhile).
- **The landing**: whatever is made (a library item, a character) calls ``landed(obj)``. Made in
  the same request (a character from the new-character form), the chosen project takes it; made
  later by a worker, the worker runs inside ``working_for(origin)`` (the provider call being
  settled, the tool job or upload being processed) and the destination finds the project the
  origin's job was started in. A landing never fails the delivery: the result is in the library
  whatever becomes of the project (deleted while its job ran, say).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from django import forms

log = logging.getLogger(__name__)

FIELD = "project"
F = TypeVar("F", bound=forms.BaseForm)


class Destination(Protocol):
    """What a higher app (``projects``) supplies."""

    def choices(self, org: Any) -> list[tuple[str, str]]:
        """``(value, label)`` of the places the organisation's results can go now."""
        ...

    def refusal(self, org: Any, value: str) -> str:
        """Why ``value`` can't be chosen in ``org`` (archived, not found), in plain words; "" if it can."""
        ...

    def started(self, work: Any, *, chosen: str, origin: Any) -> None:
        """Remember that ``work`` (a job, an upload) was started for ``chosen`` (or by ``origin``'s work).
        May raise ``DomainError`` when ``chosen`` can't take it any more."""
        ...

    def landed(self, obj: Any, *, chosen: str, origin: Any) -> None:
        """Put ``obj`` (a library item, a character) where ``chosen`` or ``origin``'s work was meant to go."""
        ...


_destination: Destination | None = None
_chosen: ContextVar[str] = ContextVar("placement_chosen", default="")
_origin: ContextVar[Any] = ContextVar("placement_origin", default=None)


def register(destination: Destination | None) -> None:
    """Called once by ``projects`` at app ready (None unregisters, for tests)."""
    global _destination
    _destination = destination


def registered() -> bool:
    return _destination is not None


# --- Forms --------------------------------------------------------------------------------------------


class PlacementField(forms.ChoiceField):
    """The optional "Project" choice; refusals come in the destination's words."""

    def __init__(self, *, org: Any, **kwargs: Any):
        self.org = org
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        if value and not self.valid_value(value):
            words = _destination.refusal(self.org, str(value)) if _destination is not None else ""
            raise forms.ValidationError(words or "Choose one of your open projects, or No project.", code="invalid")
        super().validate(value)


def field(org: Any, *, initial: str = "") -> PlacementField | None:
    """The "Project" field for ``org``; None when no destination is registered."""
    if _destination is None:
        return None
    return PlacementField(
        org=org,
        required=False,
        label="Project",
        choices=[("", "No project"), *_destination.choices(org)],
        initial=initial or "",
        help_text="Optional: what this makes is added to the project as well as the library.",
    )


def add_field(form: F, org: Any, *, initial: str = "") -> F:
    """Add the "Project" field to ``form`` (preselected with ``initial``, e.g. ``?project=``)."""
    if (made := field(org, initial=initial)) is not None:
        form.fields[FIELD] = made
        if initial and not form.is_bound:
            form.initial[FIELD] = initial
    return form


def form_choice(form: forms.BaseForm) -> str:
    """The project a valid ``form`` chose ("" for none)."""
    return str(form.cleaned_data.get(FIELD) or "")


def form_for(org: Any, data: Any = None, *, initial: str = "", prefix: str | None = None) -> forms.Form:
    """A form of the "Project" field alone, for pages that read their other inputs without a form
    (``prefix``: for a page with two such choices, ``upscale-project``)."""
    return add_field(forms.Form(data, prefix=prefix), org, initial=initial)


def bound_field(form: forms.BaseForm) -> forms.BoundField | None:
    """``form``'s "Project" field to render (``includes/project_field.html``), if it has one."""
    return form[FIELD] if FIELD in form.fields else None


def form_error(form: forms.BaseForm) -> str:
    """Why the chosen project was refused, when it was ("" otherwise)."""
    errors = form.errors.get(FIELD) if form.is_bound else None
    return str(errors[0]) if errors else ""


# --- Starting and landing -----------------------------------------------------------------------------


@contextmanager
def chosen(value: str | None) -> Iterator[None]:
    """Run the start of a piece of work for the chosen project ("" or None: none)."""
    token = _chosen.set(str(value or ""))
    try:
        yield
    finally:
        _chosen.reset(token)


@contextmanager
def working_for(origin: Any) -> Iterator[None]:
    """Run a worker's step for ``origin`` (a provider call, a job, an upload): what it starts or
    makes goes where ``origin``'s work was meant to go."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def started(work: Any) -> None:
    """A job or upload was created (inside its transaction). Refusals (``DomainError``) for a
    chosen project propagate, rolling the start back; an origin's lookup never fails the start."""
    if _destination is None:
        return
    value, origin = _chosen.get(), _origin.get()
    if value:
        _destination.started(work, chosen=value, origin=None)
    elif origin is not None:
        try:
            _destination.started(work, chosen="", origin=origin)
        except Exception:
            log.exception("placement: couldn't follow %r started for %r", work, origin)


def landed(obj: Any) -> None:
    """A result was made. Never raises: the result stays in the library whatever happens here."""
    if _destination is None:
        return
    value, origin = _chosen.get(), _origin.get()
    if not value and origin is None:
        return
    try:
        _destination.landed(obj, chosen=value, origin=origin)
    except Exception:
        log.exception("placement: couldn't place %r", obj)
