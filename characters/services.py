"""Writes for characters and their training photos: create and edit a character, add, move,
replace and remove dataset photos, and record the consent attestation.

Dataset photos are library assets made by the same pipeline as any upload (type sniffing, size and
decompression-bomb limits, thumbnails). A photo belongs to its character: removing it from the
dataset deletes the asset too. While a training run is queued or running the dataset is frozen.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from django.db import transaction
from django.db.models import Max

from accounts.models import User
from analytics.services import track
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file, asset_delete, clean_filename
from audit import actions as audit_actions
from audit.services import record
from billing import limits
from characters import attributes as attrs
from characters import dataset, synthetic
from characters.models import Character, Consent, DatasetImage, TrainingRun
from characters.rules import BUCKET_KEYS, BUCKET_LABELS, MAX_IMAGES
from characters.selectors import characters_count
from core.exceptions import DomainError
from core.jobs import ACTIVE
from orgs.models import Organization
from orgs.services import org_lock
from safety.services import text_screen

# The attestation a person accepts before a character is trained on photos of a real person.
# Change the text → bump the version; every Consent row keeps the exact text it accepted.
CONSENT_VERSION = "2026-11"
CONSENT_TEXT = (
    "I confirm that I took these photos or hold the rights to use them, and that the person shown "
    "is an adult (18 or older) who has given me written permission to create an AI character of "
    "them, train a face model on these photos and publish images made with it. I will show that "
    "permission if Personae asks for it, and I will delete this character if it is withdrawn."
)
CONSENT_ADULT_TEXT = (
    "The permission also covers adult (NSFW) content of this person, which I will only make where "
    "my organisation has enabled it."
)

PHOTOS_ACCEPTED = "Training takes photos: JPEG, PNG, WebP or HEIC."

# Fields a person can edit on a character (the rest belong to training and the pipeline).
EDITABLE_FIELDS = (
    "name",
    "style",
    "gender",
    "age",
    "ethnicity",
    "hair_colour",
    "hair_style",
    "eye_colour",
    "body_type",
    "default_outfit",
    "notes",
)


# --- Characters --------------------------------------------------------------------------------


def characters_remaining(org: Organization) -> int | None:
    """How many more characters the org's plan allows; ``None`` for unlimited."""
    limit = org.plan.max_characters
    if limit is None:
        return None
    return max(limit - characters_count(org), 0)


def _clean_attributes(fields: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable character field")
        if name in attrs.ATTRIBUTES and value and value not in {v for v, _l, _w in attrs.ATTRIBUTES[name]}:
            raise DomainError(f"“{value}” isn't one of the choices.", field=name)
        cleaned[name] = value
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise DomainError("Give the character a name.", field="name")
        if len(cleaned["name"]) > 80:
            raise DomainError("Keep the name to 80 characters or fewer.", field="name")
    if "age" in cleaned:
        age = cleaned["age"]
        if age is None or age < attrs.MIN_AGE:
            raise DomainError(f"Characters are adults: the age must be {attrs.MIN_AGE} or more.", field="age")
        if age > attrs.MAX_AGE:
            raise DomainError(f"The age can be at most {attrs.MAX_AGE}.", field="age")
    return cleaned


# The words a person gives a character, screened for minors when saved (on their own field).
SCREENED_FIELDS = {"name": "A character's name", "notes": "A character's notes"}


def character_fields_screen(*, org: Organization, user: User | None, fields: dict) -> None:
    """Refuse (``MinorsRefused`` on the field) a name or notes that name or imply a minor; the
    notes go into every prompt of the character. Called before any transaction opens, so the
    refusal is kept."""
    for name, subject in SCREENED_FIELDS.items():
        if fields.get(name):
            text_screen(str(fields[name]), org=org, user=user, where="character", field=name, subject=subject)


def character_words_screen(*, character: Character, user: User | None, where: str, nsfw: bool = False) -> None:
    """Refuse what the character adds to every prompt (its notes and the appearance its attributes
    describe) if it names or implies a minor, with a message that says where to change it. Run when
    prompts are built: notes saved before the screen existed (or changed since) are caught here."""
    text_screen(
        [character.notes, attrs.describe(character)],
        org=character.org,
        user=user,
        where=where,
        nsfw=nsfw,
        subject=f"{character.name}'s notes",
        hint="Edit the notes on the character's page.",
    )


def character_create(*, org: Organization, user: User | None, name: str, origin: str, **fields) -> Character:
    """A new character, within the plan's character limit (refused with ``LimitReached`` when full).

    ``fields`` are appearance attributes (``gender``, ``age`` …); ages below 18 are refused, and so
    are a name or notes that name or imply a minor (``MinorsRefused``).
    """
    character_fields_screen(org=org, user=user, fields={"name": name, **fields})
    return _character_create(org=org, user=user, name=name, origin=origin, **fields)


@transaction.atomic
def _character_create(*, org: Organization, user: User | None, name: str, origin: str, **fields) -> Character:
    if origin not in Character.Origin.values:
        raise ValueError(f"unknown origin {origin!r}")
    cleaned = _clean_attributes({"name": name, **fields})
    org_lock(org.pk)  # two tabs can't both create the last allowed character
    limits.characters_check(org, count=characters_count(org))
    character = Character.objects.create(org=org, origin=origin, created_by=user, **cleaned)
    track("character_created", org=org, user=user, influencer_id=str(character.public_id), origin=origin)
    return character


def character_update(*, character: Character, user: User | None = None, **fields) -> Character:
    """Change a character's name or appearance (``EDITABLE_FIELDS``); the age stays 18 or more, and
    the name and notes can't name or imply a minor (``MinorsRefused``)."""
    character_fields_screen(org=character.org, user=user, fields=fields)
    return _character_update(character=character, **fields)


@transaction.atomic
def _character_update(*, character: Character, **fields) -> Character:
    cleaned = _clean_attributes(fields)
    for name, value in cleaned.items():
        setattr(character, name, value)
    character.save(update_fields=[*cleaned, "updated_at"])
    return character


# --- Adult content ---------------------------------------------------------------------------------


def nsfw_problems(character: Character, consent: Consent | None) -> list[str]:
    """What keeps this character from allowing adult content, in plain words; [] if it may.

    All of these are needed: the organisation's setting (switched on by an owner who confirmed
    they are 18 or older), and for a character from photos a consent record that covers adult
    content, for a wizard character an owner's attestation and a face that matches no real person
    in the organisation (``characters.synthetic``)."""
    problems = []
    if not character.org.adult_content:
        problems.append("Adult content is switched off for the organisation. An owner can switch it on in Settings.")
    if character.origin == Character.Origin.WIZARD:
        problems += synthetic.synthetic_problems(character, synthetic.attestation_current(character))
    elif consent is None:
        problems.append(
            "There is no consent record for this character. Record one that covers adult content on the photos page."
        )
    elif not consent.covers_adult_content:
        problems.append("The consent record doesn't cover adult content. Record a new one that does.")
    return problems


def nsfw_permitted(character: Character) -> bool:
    """Whether adult content may be made of ``character`` now: it allows it, and nothing in
    ``nsfw_problems`` stands in the way (the org setting may have been switched off since)."""
    if not character.nsfw_allowed:
        return False
    consent = Consent.objects.filter(character=character).order_by("-created_at", "-id").first()
    return not nsfw_problems(character, consent)


@transaction.atomic
def character_nsfw_set(*, character: Character, user: User, allowed: bool) -> None:
    """Allow or forbid adult content for ``character``. Allowing needs the organisation's adult-content
    setting and, for a character from photos, a consent record that covers it, for a wizard character
    an owner's attestation and a face unlike any real person in the organisation (PRODUCT.md §9);
    forbidding is always possible."""
    character = Character.objects.select_for_update(of=("self",)).select_related("org").get(pk=character.pk)
    if allowed:
        consent = Consent.objects.filter(character=character).order_by("-created_at", "-id").first()
        if problems := nsfw_problems(character, consent):
            raise DomainError(" ".join(problems))
    if character.nsfw_allowed == allowed:
        return
    character.nsfw_allowed = allowed
    character.save(update_fields=["nsfw_allowed", "updated_at"])
    record(
        action=audit_actions.ADULT_CONTENT_CHARACTER_CHANGED,
        summary=f"{user.display_name} {'allowed' if allowed else 'forbade'} adult content for {character.name}",
        org=character.org,
        actor=user,
        target=character,
        data={"character": character.name, "allowed": allowed},
    )


# --- The dataset -------------------------------------------------------------------------------


def _ensure_editable(character: Character) -> None:
    if TrainingRun.objects.filter(character=character, status__in=ACTIVE).exists():
        raise DomainError(
            "Training is running on these photos, so they can't change now. Wait for it to finish, or cancel it first."
        )


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKET_KEYS:
        raise DomainError("Choose one of the four groups: close-ups, half-body, full-body or variety.", field="bucket")


def _photo_from_file(*, character: Character, user: User | None, path: Path, filename: str) -> Asset:
    """Make the library asset for one dataset photo. Refuses non-images and this dataset's exact
    duplicates before any processing; media problems raise ``media.MediaError``."""
    try:
        sniffed = media.sniff(path)
    except media.MediaError as exc:
        raise media.MediaError(media.photos_only(exc.message, PHOTOS_ACCEPTED), exc.code) from None
    if sniffed.kind != "image":
        raise DomainError(
            f"“{clean_filename(filename)}” is a video. {PHOTOS_ACCEPTED}",
            field="file",
        )
    media.check_size("image", path.stat().st_size)
    sha256 = media.sha256_file(path)
    twin = DatasetImage.objects.filter(character=character, asset__sha256=sha256).first()
    if twin is not None:
        raise DomainError(
            f"This photo is already in the dataset ({BUCKET_LABELS[twin.bucket]}). Each photo can be used once.",
            field="file",
        )
    return asset_create_from_file(
        org=character.org,
        path=path,
        filename=filename,
        created_by=user,
        metadata={"character": str(character.public_id)},
    )


def _discard(asset: Asset) -> None:
    """Remove an asset made for a photo that was then refused (row and files)."""
    keys = [asset.original_key, *asset.variants.values()]
    Asset.objects.filter(pk=asset.pk).delete()
    for key in keys:
        with suppress(Exception):
            storage.delete(key)


def _lock(character: Character) -> Character:
    return Character.objects.select_for_update().get(pk=character.pk)


def dataset_add(*, character: Character, user: User | None, path: Path, filename: str, bucket: str) -> DatasetImage:
    """Add one photo (a local file) to ``bucket``; its analysis runs in the worker.

    Refused with ``DomainError`` (a 31st photo, a video, a photo already in the dataset, a frozen
    dataset) or ``media.MediaError`` (not an image we can read, too large …); a refused photo
    leaves nothing behind.
    """
    _check_bucket(bucket)
    _ensure_editable(character)
    _check_room(character)
    # The slow part (decode, thumbnails, storage) runs outside the lock; the count is re-checked
    # under it, so two uploads racing for the 30th place can't both win.
    asset = _photo_from_file(character=character, user=user, path=path, filename=filename)
    try:
        with transaction.atomic():
            _lock(character)
            _ensure_editable(character)
            _check_room(character)
            position = DatasetImage.objects.filter(character=character, bucket=bucket).aggregate(p=Max("position"))["p"]
            image = DatasetImage.objects.create(
                org=character.org,
                character=character,
                asset=asset,
                bucket=bucket,
                position=(position or 0) + 1,
            )
            dataset.analysis_enqueue(image)
    except BaseException:
        _discard(asset)
        raise
    return image


def _check_room(character: Character) -> None:
    count = DatasetImage.objects.filter(character=character).count()
    if count >= MAX_IMAGES:
        raise DomainError(
            f"The dataset is full: training takes at most {MAX_IMAGES} photos. "
            "Remove one before adding another, or replace a weaker photo.",
            field="file",
        )


@transaction.atomic
def dataset_move(*, image: DatasetImage, bucket: str) -> DatasetImage:
    """Put a photo in another bucket, at the end of it. The photo's analysis stays valid."""
    _check_bucket(bucket)
    _lock(image.character)
    _ensure_editable(image.character)
    if image.bucket == bucket:
        return image
    position = DatasetImage.objects.filter(character=image.character, bucket=bucket).aggregate(p=Max("position"))["p"]
    image.bucket, image.position = bucket, (position or 0) + 1
    image.save(update_fields=["bucket", "position", "updated_at"])
    return image


@transaction.atomic
def dataset_remove(*, image: DatasetImage) -> None:
    """Take a photo out of the dataset; its library asset is deleted with it."""
    _lock(image.character)
    _ensure_editable(image.character)
    _unset_avatar(image.character, image.asset_id)
    asset_delete(asset=image.asset)


def dataset_replace(*, image: DatasetImage, user: User | None, path: Path, filename: str) -> DatasetImage:
    """Swap a photo's file for another, keeping its bucket and place; the old asset is deleted and
    the new photo is analysed afresh (its check results and accepted warnings are reset)."""
    _ensure_editable(image.character)
    asset = _photo_from_file(character=image.character, user=user, path=path, filename=filename)
    try:
        with transaction.atomic():
            _lock(image.character)
            _ensure_editable(image.character)
            locked = DatasetImage.objects.select_for_update().select_related("asset").get(pk=image.pk)
            old = locked.asset
            _reset(locked, asset)
            _unset_avatar(image.character, old.pk)
            asset_delete(asset=old)
            dataset.analysis_enqueue(locked)
    except BaseException:
        _discard(asset)
        raise
    return locked


def _reset(image: DatasetImage, asset: Asset) -> None:
    image.asset = asset
    image.caption = ""
    image.analysis = DatasetImage.Analysis.PENDING
    image.width = image.height = image.face_count = image.face_box = image.embedding = image.sharpness = None
    image.analysis_ms = None
    image.analysis_error = ""
    image.issues, image.level = [], DatasetImage.Level.UNCHECKED
    image.identity_distance, image.warnings_accepted = None, False
    image.save()


def _unset_avatar(character: Character, asset_id: int) -> None:
    Character.objects.filter(pk=character.pk, avatar_id=asset_id).update(avatar=None)
    Character.objects.filter(pk=character.pk, base_image_id=asset_id).update(base_image=None)


@transaction.atomic
def dataset_clear(*, character: Character) -> int:
    """Remove every photo from the dataset (and their assets); returns how many went."""
    _lock(character)
    _ensure_editable(character)
    images = list(DatasetImage.objects.filter(character=character).select_related("asset"))
    for image in images:
        _unset_avatar(character, image.asset_id)
        asset_delete(asset=image.asset)
    return len(images)


# --- Consent -----------------------------------------------------------------------------------


def consent_text(*, adult: bool) -> str:
    return f"{CONSENT_TEXT}\n\n{CONSENT_ADULT_TEXT}" if adult else CONSENT_TEXT


@transaction.atomic
def consent_record(
    *, character: Character, user: User, ip: str | None, user_agent: str = "", covers_adult_content: bool = False
) -> Consent:
    """Record that ``user`` accepted the current attestation for ``character``, from where, and
    the exact text; the newest record is the one that counts. The audit log keeps a copy of the
    facts, which outlives the character (see the privacy policy)."""
    consent = Consent.objects.create(
        org=character.org,
        character=character,
        user=user,
        user_email=user.email,
        ip=ip or None,
        user_agent=(user_agent or "")[:300],
        text_version=CONSENT_VERSION,
        text=consent_text(adult=covers_adult_content),
        covers_adult_content=covers_adult_content,
    )
    record(
        action=audit_actions.CONSENT_RECORDED,
        summary=f"{user.email} recorded the consent attestation for {character.name}"
        + (", covering adult content" if covers_adult_content else ""),
        org=character.org,
        actor=user,
        target=character,
        data={
            "character": character.name,
            "consent": str(consent.public_id),
            "text_version": consent.text_version,
            "covers_adult_content": covers_adult_content,
            "ip": consent.ip,
        },
    )
    return consent


def consent_current(character: Character) -> Consent | None:
    """The newest consent for ``character`` that matches the current text version, if any."""
    return (
        Consent.objects.filter(character=character, text_version=CONSENT_VERSION)
        .select_related("user")
        .order_by("-created_at", "-id")
        .first()
    )
