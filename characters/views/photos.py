"""The photo path: name a character, build its 12-9-6-3 dataset, record consent, run the dataset
check, write captions, and start and watch training.

Photo actions answer JSON to the page's script (``Accept: application/json``) and redirect back to
the dataset page otherwise, so every button also works as a plain form.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from assets import media
from assets.services import uploaded_file_path
from billing.selectors import credit_summary
from billing.services import InsufficientCredits
from characters import captions as caption_services
from characters import dataset as photo_dataset
from characters import forms, services, training
from characters.models import Character, CharacterJob, DatasetImage, TrainingRun
from characters.rules import BUCKETS, MAX_IMAGES, MIN_IMAGES
from characters.selectors import character_or_404, characters_count, dataset_image_or_404, training_run_or_404
from characters.views import run_elapsed
from core import placement
from core.exceptions import DomainError, plain_text
from core.htmx import render_page
from core.http import OrgHttpRequest, one_time_key
from core.jobs import ACTIVE
from core.network import client_ip
from orgs.decorators import org_view
from orgs.models import Role

TEMPLATE = "characters/dataset.html"


# --- Step one: a name --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Role.MEMBER)
def photos_new(request: OrgHttpRequest):
    remaining = services.characters_remaining(request.org)
    form = forms.PhotosCharacterForm(request.POST or None)
    placement.add_field(form, request.org, initial=request.GET.get("project", ""))
    if request.method == "POST" and form.is_valid():
        try:
            with placement.chosen(placement.form_choice(form)):
                character = services.character_create(
                    org=request.org,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    origin=Character.Origin.PHOTOS,
                    **form.attributes(),
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{character.name} is created. Now add 20–30 photos of them.")
            return redirect("characters:dataset", request.org.slug, character.public_id)
    return render(
        request,
        "characters/photos_new.html",
        {
            "form": form,
            "remaining": remaining,
            "limit": request.org.plan.max_characters,
            "count": characters_count(request.org),
        },
        status=400 if form.errors else 200,
    )


# --- The dataset page --------------------------------------------------------------------------


def _dataset_context(request: OrgHttpRequest, character: Character) -> dict:
    status = photo_dataset.dataset_status(character)
    images = list(
        DatasetImage.objects.for_org(request.org).filter(character=character).select_related("asset", "character")
    )
    run = TrainingRun.objects.filter(character=character).select_related("call").first()
    active_run = run if run and run.status in ACTIVE else None
    captions_job = CharacterJob.objects.filter(character=character, kind=CharacterJob.Kind.CAPTIONS).first()
    consent = services.consent_current(character)
    editable = request.membership.can_create and active_run is None
    price = training.training_price(character)
    credits = credit_summary(request.org)
    train_reasons = list(status.reasons)
    if consent is None:
        train_reasons.append("Confirm the consent statement above.")
    if active_run is not None:
        train_reasons = ["A training run is already going; see its progress at the top of the page."]
    buckets = []
    for b in BUCKETS:
        bucket_images = [i for i in images if i.bucket == b.key]
        buckets.append(
            {
                "rule": b,
                "images": bucket_images,
                "minimum": status.minimums[b.key],
                "others": [o for o in BUCKETS if o.key != b.key],
                "count": len(bucket_images),
                "missing": max(status.minimums[b.key] - len(bucket_images), 0),
            }
        )
    checking = status.running
    captioning = bool(captions_job and captions_job.status in ACTIVE)
    return {
        "character": character,
        "status": status,
        "buckets": buckets,
        "images": images,
        "total": len(images),
        "total_missing": max(MIN_IMAGES - len(images), 0),
        "total_over": max(len(images) - MAX_IMAGES, 0),
        "min_images": MIN_IMAGES,
        "max_images": MAX_IMAGES,
        "run": run,
        "elapsed": run_elapsed(run) if run else "",
        "active_run": active_run,
        "captions_job": captions_job,
        "has_captions": any(i.caption for i in images),
        "consent": consent,
        "consent_text": services.CONSENT_TEXT,
        "consent_adult_text": services.CONSENT_ADULT_TEXT,
        "consent_version": services.CONSENT_VERSION,
        "editable": editable,
        "price": price,
        "credits": credits,
        "short_by": max(price - credits.available, 0),
        "train_reasons": train_reasons,
        "can_train": editable and status.can_train and consent is not None and price <= credits.available,
        "train_key": uuid.uuid4(),
        "checking": checking,
        "captioning": captioning,
        "polling": bool(status.pending or checking or captioning),
        "board_version": _board_version(status, captions_job),
    }


def _board_version(status, captions_job) -> str:
    """Changes whenever the tiles would look different after background work (analysis, the
    check, captions), so the page's script knows to refresh them."""
    check = status.check
    parts = [
        f"p{status.pending}",
        f"c{check.public_id}:{check.status}" if check else "c-",
        f"k{captions_job.public_id}:{captions_job.status}" if captions_job else "k-",
    ]
    return "|".join(parts)


@require_GET
@org_view()
def dataset(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    return render_page(
        request, TEMPLATE, _dataset_context(request, character), partials=("dataset-board", "dataset-status")
    )


@require_GET
@org_view()
def dataset_status(request: OrgHttpRequest, public_id):
    """The check / consent / training panel, polled every second while photos are analysed, the
    check runs or captions are written; 286 stops the polling once nothing is going on."""
    character = character_or_404(request.org, public_id)
    context = _dataset_context(request, character)
    response = render(request, f"{TEMPLATE}#dataset-status", context)
    if not context["polling"]:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _wants_json(request: OrgHttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: OrgHttpRequest, character: Character, anchor: str = "") -> HttpResponse:
    response = redirect("characters:dataset", request.org.slug, character.public_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _refused(request: OrgHttpRequest, character: Character, message: str, *, anchor: str = "", status: int = 400):
    if _wants_json(request):
        return JsonResponse({"error": plain_text(message)}, status=status)
    messages.error(request, message)
    return _back(request, character, anchor)


def _tile(request: OrgHttpRequest, image: DatasetImage, *, editable: bool = True) -> str:
    return render_to_string(
        f"{TEMPLATE}#dataset-tile",
        {"image": image, "character": image.character, "editable": editable, "others": _other_buckets(image)},
        request=request,
    )


def _other_buckets(image: DatasetImage):
    return [b for b in BUCKETS if b.key != image.bucket]


def _counts(character: Character) -> dict:
    counts = {b.key: 0 for b in BUCKETS}
    for bucket in DatasetImage.objects.filter(character=character).values_list("bucket", flat=True):
        counts[bucket] += 1
    return counts


@require_POST
@org_view(Role.MEMBER)
def dataset_upload(request: OrgHttpRequest, public_id):
    """One photo into one bucket (the page sends each file on its own, two at a time)."""
    character = character_or_404(request.org, public_id)
    form = forms.PhotoUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        if "bucket" in form.errors:
            message = "Choose one of the four groups: close-ups, half-body, full-body or variety."
        else:
            message = "No file arrived. Choose a photo and try again."
        return _refused(request, character, message)
    upload = form.cleaned_data["file"]
    try:
        with uploaded_file_path(upload) as path:
            image = services.dataset_add(
                character=character,
                user=request.user,
                path=path,
                filename=upload.name,
                bucket=form.cleaned_data["bucket"],
            )
    except (DomainError, media.MediaError) as exc:
        return _refused(request, character, exc.message)
    if not _wants_json(request):
        messages.success(request, f"Added “{image.asset.title}” to {image.get_bucket_display()}.")
        return _back(request, character, f"bucket-{image.bucket}")
    return JsonResponse(
        {
            "id": str(image.public_id),
            "bucket": image.bucket,
            "tile": _tile(request, image),
            "counts": _counts(character),
        },
        status=201,
    )


@require_POST
@org_view(Role.MEMBER)
def dataset_move(request: OrgHttpRequest, public_id, image_id):
    character = character_or_404(request.org, public_id)
    image = dataset_image_or_404(character, image_id)
    form = forms.BucketForm(request.POST)
    if not form.is_valid():
        return _refused(request, character, "Choose one of the four groups to move the photo to.")
    try:
        services.dataset_move(image=image, bucket=form.cleaned_data["bucket"])
    except DomainError as exc:
        return _refused(request, character, exc.message)
    if _wants_json(request):
        return JsonResponse({"id": str(image.public_id), "bucket": image.bucket, "counts": _counts(character)})
    messages.success(request, f"Moved to {image.get_bucket_display()}.")
    return _back(request, character, f"bucket-{image.bucket}")


@require_POST
@org_view(Role.MEMBER)
def dataset_remove(request: OrgHttpRequest, public_id, image_id):
    character = character_or_404(request.org, public_id)
    image = dataset_image_or_404(character, image_id)
    try:
        services.dataset_remove(image=image)
    except DomainError as exc:
        return _refused(request, character, exc.message)
    if _wants_json(request):
        return JsonResponse({"id": str(image_id), "removed": True, "counts": _counts(character)})
    messages.success(request, "Photo removed from the dataset.")
    return _back(request, character, f"bucket-{image.bucket}")


@require_POST
@org_view(Role.MEMBER)
def dataset_replace(request: OrgHttpRequest, public_id, image_id):
    character = character_or_404(request.org, public_id)
    image = dataset_image_or_404(character, image_id)
    form = forms.PhotoReplaceForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, character, "No file arrived. Choose a photo and try again.")
    upload = form.cleaned_data["file"]
    try:
        with uploaded_file_path(upload) as path:
            image = services.dataset_replace(image=image, user=request.user, path=path, filename=upload.name)
    except (DomainError, media.MediaError) as exc:
        return _refused(request, character, exc.message)
    if _wants_json(request):
        return JsonResponse({"id": str(image.public_id), "bucket": image.bucket, "tile": _tile(request, image)})
    messages.success(request, "Photo replaced. It will be analysed again.")
    return _back(request, character, f"bucket-{image.bucket}")


@require_POST
@org_view(Role.MEMBER)
def dataset_clear(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    try:
        removed = services.dataset_clear(character=character)
    except DomainError as exc:
        return _refused(request, character, exc.message)
    if removed:
        messages.success(request, f"Removed all {removed} photo{'s' if removed != 1 else ''} from the dataset.")
    else:
        messages.info(request, "The dataset was already empty.")
    return _back(request, character)


# --- Consent, check, warnings, captions ----------------------------------------------------------


@require_POST
@org_view(Role.MEMBER)
def consent(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    form = forms.ConsentForm(request.POST)
    if not form.is_valid():
        return _refused(request, character, str(form.errors["confirm"][0]), anchor="consent")
    services.consent_record(
        character=character,
        user=request.user,
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
        covers_adult_content=form.cleaned_data["adult"],
    )
    messages.success(request, "Consent recorded.")
    return _back(request, character, "consent")


@require_POST
@org_view(Role.MEMBER)
def dataset_check(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    try:
        photo_dataset.dataset_check_start(character=character, user=request.user)
    except DomainError as exc:
        return _refused(request, character, exc.message, anchor="check")
    messages.success(request, "Checking the photos. Results appear on each photo in a few seconds.")
    return _back(request, character, "check")


@require_POST
@org_view(Role.MEMBER)
def warnings_accept(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    image_id = request.POST.get("image", "")
    ids = None
    if image_id:
        ids = [str(dataset_image_or_404(character, image_id).public_id)]
    try:
        photo_dataset.warnings_accept(character=character, image_ids=ids)
    except DomainError as exc:
        return _refused(request, character, exc.message, anchor="check")
    if _wants_json(request):
        return JsonResponse({"accepted": ids or "all"})
    messages.success(request, "Warning accepted." if ids else "All warnings accepted.")
    return _back(request, character, "check")


@require_POST
@org_view(Role.MEMBER)
def captions(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    try:
        caption_services.captions_start(character=character, user=request.user)
    except InsufficientCredits as exc:
        return _refused(request, character, f"{exc.message} Nothing was started.", anchor="captions", status=402)
    except DomainError as exc:
        return _refused(request, character, exc.message, anchor="captions")
    messages.success(request, "Writing captions. They appear under each photo when ready.")
    return _back(request, character, "captions")


@require_POST
@org_view(Role.MEMBER)
def caption_edit(request: OrgHttpRequest, public_id, image_id):
    character = character_or_404(request.org, public_id)
    image = dataset_image_or_404(character, image_id)
    form = forms.CaptionForm(request.POST)
    if not form.is_valid():
        return _refused(request, character, "Keep the caption to 1,000 characters or fewer.")
    try:
        caption_services.caption_set(image=image, text=form.cleaned_data["caption"], user=request.user)
    except DomainError as exc:
        return _refused(request, character, exc.message)
    image.refresh_from_db()
    if _wants_json(request):
        return JsonResponse({"id": str(image.public_id), "caption": image.caption, "tile": _tile(request, image)})
    messages.success(request, "Caption saved.")
    return _back(request, character, f"img-{image.public_id}")


# --- Training ----------------------------------------------------------------------------------


@require_POST
@org_view(Role.MEMBER)
def training_start(request: OrgHttpRequest, public_id):
    character = character_or_404(request.org, public_id)
    key = one_time_key(request)
    if not key:
        return _refused(request, character, "The form expired. Reload the page and press Start training again.")
    if services.consent_current(character) is None:
        return _refused(request, character, "Confirm the consent statement before training.", anchor="consent")
    has_captions = DatasetImage.objects.filter(character=character).exclude(caption="").exists()
    try:
        run = training.training_start(character=character, user=request.user, key=key, captions=has_captions)
    except InsufficientCredits as exc:
        return _refused(
            request,
            character,
            f"{exc.message} Nothing was started. Buy credits or upgrade your plan on the Billing page.",
            anchor="train",
            status=402,
        )
    except DomainError as exc:
        return _refused(request, character, exc.message, anchor="train")
    messages.success(request, f"Training started. {run.credits} credits are held until it finishes.")
    return _back(request, character, "training")


@require_GET
@org_view()
def training_status(request: OrgHttpRequest, public_id, run_id):
    """The training card, polled every 2 s while the run is queued or running; 286 once it ends."""
    character = character_or_404(request.org, public_id)
    run = training_run_or_404(character, run_id)
    response = render(request, "characters/_training_card.html", _training_context(character, run))
    if run.status not in ACTIVE:
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _training_context(character: Character, run: TrainingRun) -> dict:
    return {"character": character, "run": run, "elapsed": run_elapsed(run)}


@require_POST
@org_view(Role.MEMBER)
def training_cancel(request: OrgHttpRequest, public_id, run_id):
    character = character_or_404(request.org, public_id)
    run = training_run_or_404(character, run_id)
    try:
        training.training_cancel(run=run, user=request.user)
    except DomainError as exc:
        return _refused(request, character, exc.message, anchor="training")
    messages.success(request, f"Training cancelled. Your {run.credits} credits are available again.")
    return _back(request, character, "training")
