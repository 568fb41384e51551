"""Characters by API key: list, read, create and edit; their face-model training with an ETA."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from api.auth import caller, scoped
from api.errors import ErrorOut
from api.models import Scope
from api.routers.jobs import IDEMPOTENCY, _key, _started
from api.routers.serialize import media_url
from characters import selectors, services, training
from characters.models import Character, TrainingRun
from jobs import engine

router = Router(tags=["characters"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 402: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
FIELDS = (
    *("name", "style", "gender", "age", "ethnicity", "hair_colour", "hair_style", "eye_colour", "body_type"),
    *("default_outfit", "notes"),
)


class CharacterOut(Schema):
    id: UUID
    name: str
    origin: str
    style: str
    gender: str
    age: int | None
    ethnicity: str
    hair_colour: str
    hair_style: str
    eye_colour: str
    body_type: str
    default_outfit: str
    notes: str
    face_model: str = Field(description="none, sheet, training, ready or failed")
    face_model_ready_at: datetime | None
    avatar_url: str | None
    created_at: datetime


class CharacterIn(Schema):
    name: str
    style: str = "photo"
    gender: str = ""
    age: int | None = None
    ethnicity: str = ""
    hair_colour: str = ""
    hair_style: str = ""
    eye_colour: str = ""
    body_type: str = ""
    default_outfit: str = "casual_jeans"
    notes: str = ""


class CharacterUpdateIn(Schema):
    name: str | None = None
    style: str | None = None
    gender: str | None = None
    age: int | None = None
    ethnicity: str | None = None
    hair_colour: str | None = None
    hair_style: str | None = None
    eye_colour: str | None = None
    body_type: str | None = None
    default_outfit: str | None = None
    notes: str | None = None


class TrainingOut(Schema):
    id: UUID
    status: str
    finished: bool
    images: int
    steps: int
    credits: int
    error: str
    queue_position: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    estimated_finish_at: datetime | None = Field(description="While queued or running; None once it ended.")
    estimated_seconds_left: int | None
    estimate_basis: str


def character_json(character: Character) -> dict:
    return {
        "id": character.public_id,
        **{name: getattr(character, name) for name in FIELDS},
        "origin": character.origin,
        "face_model": character.lora_status,
        "face_model_ready_at": character.lora_ready_at,
        "avatar_url": media_url(character.avatar) if character.avatar else None,
        "created_at": character.created_at,
    }


def training_json(run: TrainingRun) -> dict:
    eta = selectors.training_eta(run)
    return {
        "id": run.public_id,
        "status": run.status,
        "finished": not run.is_active,
        "images": run.images,
        "steps": run.steps,
        "credits": run.credits,
        "error": run.error,
        "queue_position": run.call.queue_position if run.call and run.is_active else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "estimated_finish_at": eta.finish_at,
        "estimated_seconds_left": eta.seconds_left,
        "estimate_basis": eta.basis,
    }


@router.get("", auth=scoped(Scope.READ), response={200: list[CharacterOut], **ERRORS}, summary="All characters")
def character_list(request: HttpRequest):
    """Scope: read."""
    who = caller(request)
    rows = Character.objects.for_org(who.org).select_related("avatar", "org").order_by("name")
    return [character_json(c) for c in rows]


@router.post(
    "", auth=scoped(Scope.CHARACTERS_WRITE), response={201: CharacterOut, **ERRORS}, summary="Create a character"
)
def character_create(request: HttpRequest, payload: CharacterIn):
    """A character to build from photos (add them on the character's page). Within the plan's
    character limit; adults only. Scope: characters:write."""
    who = caller(request)
    character = services.character_create(
        org=who.org, user=who.key.created_by, origin=Character.Origin.PHOTOS, **payload.dict()
    )
    return Status(201, character_json(selectors.character_or_404(who.org, character.public_id)))


@router.get("{character_id}", auth=scoped(Scope.READ), response={200: CharacterOut, **ERRORS}, summary="One character")
def character_get(request: HttpRequest, character_id: UUID):
    """Scope: read."""
    who = caller(request)
    return character_json(selectors.character_or_404(who.org, character_id))


@router.patch(
    "{character_id}",
    auth=scoped(Scope.CHARACTERS_WRITE),
    response={200: CharacterOut, **ERRORS},
    summary="Edit a character",
)
def character_update(request: HttpRequest, character_id: UUID, payload: CharacterUpdateIn):
    """Only the fields sent change. Scope: characters:write."""
    who = caller(request)
    character = selectors.character_or_404(who.org, character_id)
    fields = payload.dict(exclude_unset=True)
    if fields:
        services.character_update(character=character, user=who.key.created_by, **fields)
    return character_json(selectors.character_or_404(who.org, character_id))


@router.get(
    "{character_id}/training",
    auth=scoped(Scope.READ),
    response={200: TrainingOut, **ERRORS},
    summary="Training status and ETA",
)
def training_status(request: HttpRequest, character_id: UUID):
    """The latest training run of the character's face model, with an estimated finish while it is
    queued or running. 404 if it was never trained. Scope: read."""
    who = caller(request)
    run = selectors.latest_training_run(selectors.character_or_404(who.org, character_id))
    if run is None:
        raise HttpError(404, "This character's face model was never trained.")
    return training_json(run)


@router.post(
    "{character_id}/training",
    auth=scoped(Scope.CHARACTERS_WRITE),
    response={201: TrainingOut, 200: TrainingOut, **ERRORS},
    summary="Train",
)
def training_start(
    request: HttpRequest, response: HttpResponse, character_id: UUID, idempotency_key: str = IDEMPOTENCY
):
    """Train the face model on the character's checked photos (consent recorded on its page first).
    Spends credits. Scope: characters:write."""
    who = caller(request)
    character = selectors.character_or_404(who.org, character_id)
    key = _key(idempotency_key)
    replayed = bool(key) and engine.job_by_key(TrainingRun, who.org, key) is not None
    run = training.training_start(character=character, user=who.key.created_by, key=key)
    return _started(response, training_json(selectors.training_run_or_404(character, run.public_id)), replayed)


@router.post(
    "{character_id}/training/cancel",
    auth=scoped(Scope.CHARACTERS_WRITE),
    response={200: TrainingOut, **ERRORS},
    summary="Cancel training",
)
def training_cancel(request: HttpRequest, character_id: UUID):
    """Stops the running training; its credits are returned. Scope: characters:write."""
    who = caller(request)
    character = selectors.character_or_404(who.org, character_id)
    run = selectors.latest_training_run(character)
    if run is None:
        raise HttpError(404, "This character's face model was never trained.")
    training.training_cancel(run=run, user=who.key.created_by)
    return training_json(selectors.training_run_or_404(character, run.public_id))
