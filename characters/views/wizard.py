"""The wizard (PRODUCT.md §2 B): attributes → four candidate faces → choose one → face-swap mode at
once, while the sheet → check → training pipeline runs towards HD mode. Also the HD pipeline card
every character page shows, and "Unlock HD mode" for a wizard character that has no LoRA yet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets.selectors import asset_or_404
from billing.prices import operation_credits
from billing.selectors import credit_summary
from billing.services import InsufficientCredits
from characters import wizard as wizard_pipeline
from characters.forms import CharacterAttributesForm
from characters.models import Character, CharacterJob, TrainingRun
from characters.selectors import character_or_404
from characters.wizard import hd_price
from core.exceptions import DomainError
from core.htmx import render_page
from core.http import OrgHttpRequest, one_time_key
from core.jobs import ACTIVE, FINISHED, JobStatus
from orgs.decorators import org_view
from orgs.models import Role

# --- The attributes form (the wizard's first step and the edit page) -------------------------


def _form_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _credits_message(exc: InsufficientCredits, what: str) -> str:
    return exc.refusal(what) + " Nothing was charged."


# --- Start: the attributes form ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def wizard_start(request: OrgHttpRequest):
    form = CharacterAttributesForm(request.POST or None, wizard=True, initial=_prefill(request))
    key = one_time_key(request) if request.method == "POST" else str(uuid.uuid4())
    if request.method == "POST" and form.is_valid():
        try:
            job, created = wizard_pipeline.wizard_character_start(
                org=request.org, user=request.user, attributes=form.cleaned_data, key=key
            )
        except InsufficientCredits as exc:
            form.add_error(None, _credits_message(exc, "Making four faces"))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            character = job.character
            if created:
                messages.success(request, f"{character.name} is on the way: four faces are being made.")
            return redirect("characters:wizard_candidates", request.org.slug, character.public_id)
    return render_page(
        request,
        "characters/wizard.html",
        {
            "form": form,
            "key": key or str(uuid.uuid4()),
            "price": operation_credits("wizard_candidates"),
            "hd_price": hd_price(),
            "credits": credit_summary(request.org),
        },
        status=400 if form.errors else 200,
    )


def _prefill(request: OrgHttpRequest) -> dict:
    """A link may start the wizard filled in (a script breakdown's "Create a character from
    this"): name, notes, gender and an adult age from the query string; anything else is ignored."""
    if request.method != "GET":
        return {}
    initial: dict = {}
    if name := request.GET.get("name", "").strip()[:80]:
        initial["name"] = name
    if notes := request.GET.get("notes", "").strip()[:1000]:
        initial["notes"] = notes
    if request.GET.get("gender") in {"female", "male", "nonbinary"}:
        initial["gender"] = request.GET["gender"]
    age = request.GET.get("age", "")
    if age.isdigit() and 18 <= int(age) <= 80:
        initial["age"] = int(age)
    return initial


# --- Candidates ----------------------------------------------------------------------------------


@dataclass
class CandidateRound:
    job: CharacterJob
    items: list

    @property
    def active(self) -> bool:
        return self.job.status in ACTIVE

    @property
    def ready(self) -> list:
        return [item for item in self.items if item.status == JobStatus.SUCCEEDED and item.asset_id]


def _candidate_rounds(character: Character) -> list[CandidateRound]:
    jobs = (
        CharacterJob.objects.filter(character=character, kind=CharacterJob.Kind.CANDIDATES)
        .prefetch_related("items__asset")
        .order_by("-created_at", "-id")
    )
    return [CandidateRound(job, list(job.items.all())) for job in jobs]


def _candidates_context(request: OrgHttpRequest, character: Character) -> dict:
    rounds = _candidate_rounds(character)
    return {
        "character": character,
        "latest": rounds[0] if rounds else None,
        "earlier": [r for r in rounds[1:] if r.ready],
        "price": operation_credits("wizard_candidates"),
        "hd_price": hd_price(),
        "credits": credit_summary(request.org),
        "page_key": uuid.uuid4(),
    }


@require_GET
@org_view()
def wizard_candidates(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    if character.origin != Character.Origin.WIZARD:
        raise Http404
    return render_page(request, "characters/wizard_candidates.html", _candidates_context(request, character))


@require_GET
@org_view()
def wizard_candidates_status(request: OrgHttpRequest, public_id):
    """The four slots, polled every second while faces are being made; 286 once they've settled."""
    character = character_or_404(request.org, public_id)
    if character.origin != Character.Origin.WIZARD:
        raise Http404
    context = _candidates_context(request, character)
    response = render(request, "characters/wizard_candidates.html#candidates", context)
    if not (context["latest"] and context["latest"].active):
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_POST
@org_view(Role.MEMBER)
def wizard_regenerate(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    if character.origin != Character.Origin.WIZARD:
        raise Http404
    try:
        wizard_pipeline.wizard_candidates_start(
            character=character, user=request.user, key=one_time_key(request) or str(uuid.uuid4())
        )
    except InsufficientCredits as exc:
        messages.error(request, _credits_message(exc, "Four more faces"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Four more faces are being made. The earlier ones stay below.")
    return redirect("characters:wizard_candidates", request.org.slug, character.public_id)


@require_POST
@org_view(Role.MEMBER)
def wizard_choose(request: OrgHttpRequest, public_id, asset_id):
    character = character_or_404(request.org, public_id)
    asset = asset_or_404(request.org, asset_id)
    if character.origin != Character.Origin.WIZARD:
        raise Http404
    try:
        # One page shows several faces under one key: the key names the face too.
        key = f"choose:{asset.public_id}:{one_time_key(request) or uuid.uuid4()}"
        job = wizard_pipeline.wizard_choose(character=character, asset=asset, user=request.user, key=key)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("characters:wizard_candidates", request.org.slug, character.public_id)
    if job is None:
        messages.warning(
            request,
            f"{character.name} works now in face-swap mode. HD mode needs {hd_price():,} credits, more than you have "
            "available; unlock it from this page when you've added credits.",
        )
    else:
        messages.success(
            request,
            f"{character.name} works now in face-swap mode. The character sheet and training are running; "
            "HD mode switches on by itself when they finish.",
        )
    return redirect("characters:detail", request.org.slug, character.public_id)


@require_POST
@org_view(Role.MEMBER)
def hd_start(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    try:
        wizard_pipeline.hd_pipeline_start(
            character=character, user=request.user, key=one_time_key(request) or str(uuid.uuid4())
        )
    except InsufficientCredits as exc:
        messages.error(request, _credits_message(exc, "HD mode"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "The character sheet is being made; training follows. HD mode switches on by itself when both are done.",
        )
    return redirect("characters:detail", request.org.slug, character.public_id)


# --- The HD pipeline card ------------------------------------------------------------------------


@dataclass
class Stage:
    key: str
    label: str
    state: str = "waiting"  # waiting | active | done | failed | cancelled
    detail: str = ""  # short, under the stage's name
    title: str = ""  # the card's headline while this stage is the current one

    def set(self, state: str, detail: str, title: str = "") -> Stage:
        self.state, self.detail, self.title = state, detail, title or detail
        return self


@dataclass
class PipelineState:
    """What the character page says about the way to HD mode: sheet → check → training → ready."""

    stages: list[Stage] = field(default_factory=list)
    active: bool = False
    error: str = ""
    note: str = ""
    credits_returned: int = 0

    @property
    def visible(self) -> bool:
        return any(stage.state != "waiting" for stage in self.stages)

    @property
    def headline(self) -> str:
        current = next((s for s in self.stages if s.state in ("active", "failed", "cancelled")), None)
        if current and current.state == "active":
            return current.title
        if current:
            return f"Stopped at the {current.label[0].lower()}{current.label[1:]}"
        if self.stages and self.stages[-1].state == "done":
            return self.stages[-1].title
        return ""

    @property
    def signature(self) -> str:
        """Which stage is where; when it changes, the polling page reloads to show the new images."""
        return ".".join(f"{s.key}-{s.state}" for s in self.stages)


def _minutes(start, end=None) -> str:
    if start is None:
        return ""
    minutes = int(((end or timezone.now()) - start).total_seconds() // 60)
    return "under a minute" if minutes < 1 else f"{minutes} min"


def _sheet_stage(job: CharacterJob | None) -> Stage:
    stage = Stage("sheet", "Character sheet")
    if job is None:
        return stage
    items = list(job.items.all())
    settled = sum(1 for i in items if i.status in FINISHED)
    made = sum(1 for i in items if i.status == JobStatus.SUCCEEDED)
    if job.status in ACTIVE:
        return stage.set("active", f"{settled} of {len(items)}", f"Character sheet {settled} of {len(items)}")
    if job.status == JobStatus.SUCCEEDED:
        return stage.set("done", f"{made} images")
    if job.status == JobStatus.CANCELLED:
        return stage.set("cancelled", "Cancelled", "The character sheet was cancelled.")
    return stage.set("failed", "Failed", job.error or "The character sheet could not be made.")


def _check_stage(sheet: CharacterJob, run: TrainingRun | None, character: Character) -> Stage:
    """The sheet check: which sheet images show the chosen face (``params["check"]``)."""
    stage = Stage("check", "Sheet check")
    check = sheet.params.get("check")
    if check is None:
        if character.lora_status == Character.LoraStatus.SHEET:
            return stage.set("active", "Checking", "Checking the sheet images")
        return stage.set("cancelled", "Stopped", "HD mode was stopped before the sheet check.")
    kept, made = check.get("kept", 0), check.get("made", 0)
    if kept < wizard_pipeline.MIN_SHEET_KEPT:
        return stage.set(
            "failed",
            f"{kept} of {made} kept",
            f"Only {kept} of the {made} sheet images showed the same face as the chosen one; training needs at "
            f"least {wizard_pipeline.MIN_SHEET_KEPT}.",
        )
    if run is None and character.lora_status == Character.LoraStatus.FAILED:
        return stage.set("failed", "Not started", "Training couldn't start: the credits reserved for it were released.")
    return stage.set("done", f"{kept} of {made} kept")


def _training_stage(run: TrainingRun | None) -> Stage:
    stage = Stage("training", "Training")
    if run is None:
        return stage
    if run.status == JobStatus.QUEUED:
        position = run.call.queue_position if run.call is not None else None
        where = f"position {position + 1} in the queue" if position is not None else "waiting for a GPU"
        return stage.set("active", where.capitalize(), f"Training: {where}")
    if run.status == JobStatus.RUNNING:
        elapsed = _minutes(run.started_at or run.created_at)
        return stage.set("active", elapsed.capitalize(), f"Training, {elapsed}")
    if run.status == JobStatus.SUCCEEDED:
        return stage.set("done", f"Took {_minutes(run.started_at or run.created_at, run.finished_at)}")
    if run.status == JobStatus.CANCELLED:
        return stage.set("cancelled", "Cancelled", "Training was cancelled.")
    return stage.set("failed", "Failed", run.error or "Training failed.")


def pipeline_state(character: Character) -> PipelineState:
    """The stages on the way to HD mode and where the character is now."""
    sheet = (
        CharacterJob.objects.filter(character=character, kind=CharacterJob.Kind.SHEET)
        .prefetch_related("items")
        .order_by("-created_at", "-id")
        .first()
    )
    run = TrainingRun.objects.filter(character=character).select_related("call").order_by("-created_at", "-id").first()
    if sheet and run and run.created_at < sheet.created_at:
        run = None  # an earlier attempt's run; this attempt hasn't reached training yet
    references = (
        CharacterJob.objects.filter(character=character, kind=CharacterJob.Kind.REFERENCES)
        .order_by("-created_at", "-id")
        .first()
    )
    state = PipelineState()
    if character.origin == Character.Origin.WIZARD:
        sheet_stage = _sheet_stage(sheet)
        check = Stage("check", "Sheet check")
        if sheet and sheet_stage.state == "done":
            check = _check_stage(sheet, run, character)
            state.note = (sheet.params.get("check") or {}).get("note", "")
        state.stages += [sheet_stage, check]
    ready = Stage("ready", "HD mode")
    if character.mode == "hd":
        making = references is not None and references.status in ACTIVE
        # The demo provider trains nothing: its run is said to be a demo, never "HD mode ready".
        headline = "Demo run finished · no face model trained" if character.lora_demo else "HD mode ready"
        ready.set(
            "done",
            "Demo" if character.lora_demo else "Ready",
            headline + (" · making four reference images" if making else ""),
        )
    state.stages += [_training_stage(run), ready]
    state.active = bool(
        (sheet and sheet.status in ACTIVE)
        or (run and run.status in ACTIVE)
        or (references and references.status in ACTIVE)
        or any(s.state == "active" for s in state.stages)
    )
    failed = next((s for s in state.stages if s.state in ("failed", "cancelled")), None)
    if failed and not state.active:
        state.error = failed.title
        if run and run.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            state.credits_returned = run.credits
    return state


def pipeline_context(request: OrgHttpRequest, character: Character) -> dict:
    return {
        "character": character,
        "pipeline": pipeline_state(character),
        "hd_price": hd_price(),
        "can_unlock_hd": character.origin == Character.Origin.WIZARD
        and character.base_image_id is not None
        and character.mode != "hd",
        "page_key": uuid.uuid4(),
    }


@require_GET
@org_view()
def pipeline_status(request: OrgHttpRequest, public_id) -> HttpResponse:
    """The HD pipeline card, polled every 2 seconds while something runs; 286 once it has settled.

    When a stage finishes the page reloads (``HX-Refresh``), so its sheet, training history and
    library sections show what that stage made."""
    character = character_or_404(request.org, public_id)
    context = pipeline_context(request, character)
    response = render(request, "characters/_pipeline.html", context)
    seen = request.GET.get("seen")
    if request.htmx and seen and seen != context["pipeline"].signature:
        response["HX-Refresh"] = "true"
    if not context["pipeline"].active:
        response.status_code = HttpResponseStopPolling.status_code
    return response
