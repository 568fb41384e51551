"""The kohya layout: a zip of images with a ``.txt`` caption beside each, named like the seed's
``{character}-s{source}-t{target}[-nsfw]-enhanced.jpg``. Export the accepted set for people who
train elsewhere; import such a zip as a build whose results are ready to review.
"""

from __future__ import annotations

import io
import posixpath
import re
import tempfile
import zipfile
from pathlib import Path

from django.db import transaction

from accounts.models import User
from assets import media, storage
from assets.models import Asset
from assets.services import asset_create_from_file
from characters import identity
from characters.captions import MAX_CAPTION, caption_with_trigger
from core.exceptions import DomainError
from datasets import photos, rules, runner, services
from datasets.models import DatasetBuild, TargetPhoto
from orgs.models import Organization
from safety.screen import MinorsRefused
from safety.services import text_screen

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
MAX_ZIP_BYTES = 400 * 1024 * 1024
MAX_MEMBER_BYTES = 40 * 1024 * 1024
NAME = re.compile(r"-s(?P<source>\d+)-t(?P<target>\d+)(?P<nsfw>-nsfw)?(?:-enhanced)?$", re.IGNORECASE)


def export_zip(build: DatasetBuild) -> bytes:
    """The accepted results and their captions as a kohya zip. Raises ``DomainError`` if none."""
    chosen = services.accepted(build)
    if not chosen:
        raise DomainError("Accept at least one result before exporting.")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for target in chosen:
            assert target.result is not None
            name = runner.result_filename(target)
            with storage.storage().open(target.result.original_key, "rb") as fh:
                archive.writestr(name, fh.read())
            archive.writestr(name.rsplit(".", 1)[0] + ".txt", (target.caption or build.character.trigger_word) + "\n")
    return out.getvalue()


def _pairs(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, str]]:
    """(image member, caption) pairs; the caption is '' when the zip has no .txt for it."""
    members = {m.filename: m for m in archive.infolist() if not m.is_dir() and "__MACOSX" not in m.filename}
    pairs = []
    for name, member in sorted(members.items()):
        stem, ext = posixpath.splitext(name)
        if ext.lower() not in IMAGE_EXTENSIONS:
            continue
        if member.file_size > MAX_MEMBER_BYTES:
            raise DomainError(f"“{posixpath.basename(name)}” is larger than {MAX_MEMBER_BYTES // 2**20} MB.")
        text_member = members.get(stem + ".txt")
        caption = ""
        if text_member is not None:
            if text_member.file_size > 10_000:
                raise DomainError(f"The caption “{posixpath.basename(text_member.filename)}” is too long.")
            caption = archive.read(text_member).decode("utf-8", errors="replace")
        pairs.append((member, " ".join(caption.split())))
    return pairs


def import_zip(
    *, org: Organization, user: User, name: str, upload_path: Path, ip: str | None = None, user_agent: str = ""
) -> DatasetBuild:
    """A new character whose builder holds the zip's images as results to review, captions kept
    (the character's trigger word put first). Raises ``DomainError`` with what is wrong; nothing
    is kept then."""
    if upload_path.stat().st_size > MAX_ZIP_BYTES:
        raise DomainError(f"The zip is larger than {MAX_ZIP_BYTES // 2**20} MB.")
    try:
        archive = zipfile.ZipFile(upload_path)
    except zipfile.BadZipFile:
        raise DomainError("This file isn't a zip. Export the dataset as a zip of images and .txt captions.") from None
    with archive:
        pairs = _pairs(archive)
        if not pairs:
            raise DomainError("The zip has no JPEG, PNG or WebP images in it.")
        if len(pairs) > rules.MAX_TARGETS:
            raise DomainError(f"The zip has {len(pairs)} images; a set takes at most {rules.MAX_TARGETS}.")
        for _member, caption in pairs:
            if caption:
                try:
                    text_screen(caption, org=org, user=user, where="caption", field="file", subject="Captions")
                except MinorsRefused as exc:
                    raise DomainError(f"A caption in the zip was refused. {exc.message}") from None
        made: list[Asset] = []
        try:
            with transaction.atomic():
                build = services.build_create(
                    org=org, user=user, name=name, ip=ip, user_agent=user_agent, imported=True
                )
                trigger = build.character.trigger_word
                with tempfile.TemporaryDirectory(prefix="kohya-") as folder:
                    for position, (member, caption) in enumerate(pairs):
                        base = posixpath.basename(member.filename)
                        path = Path(folder) / f"{position}{posixpath.splitext(base)[1].lower()}"
                        path.write_bytes(archive.read(member))
                        try:
                            asset = asset_create_from_file(
                                org=org,
                                path=path,
                                filename=base,
                                created_by=user,
                                metadata={"dataset_build": str(build.public_id), "role": "imported"},
                            )
                        except media.MediaError as exc:
                            raise DomainError(f"“{base}” can't be used: {exc.message}") from None
                        made.append(asset)
                        Asset.objects.filter(pk=asset.pk).update(character=build.character)
                        _import_target(build, asset, position, base, caption, trigger)
                return build
        except Exception:
            for asset in made:
                services._discard(asset)
            raise


def _import_target(build: DatasetBuild, asset: Asset, position: int, base: str, caption: str, trigger: str) -> None:
    match = NAME.search(posixpath.splitext(base)[0])
    preview = photos._preview(asset)
    try:
        faces = identity.analyse(preview)
    except identity.UnreadablePhoto:
        faces = []
    # Boxes found on the preview are in its pixels: the face's share of the preview's height.
    share = (faces[0].box[3] - faces[0].box[1]) / max(1, preview.height) if faces else None
    TargetPhoto.objects.create(
        org=build.org,
        build=build,
        asset=asset,
        result=asset,
        position=position,
        caption=caption_with_trigger(caption, trigger)[:MAX_CAPTION] if caption else trigger,
        nsfw=bool(match and match.group("nsfw")),
        face_share=share,
        bucket=photos.bucket_for(share),
        review=TargetPhoto.Review.PENDING,
    )
