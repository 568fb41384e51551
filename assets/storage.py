"""The only place that builds storage keys and URLs for media.

Keys: ``orgs/<org_public_id>/assets/<asset_public_id>/<variant>.<ext>``, uploads in flight under
``orgs/<org>/uploads/``, zip exports under ``orgs/<org>/exports/``, full data exports under
``orgs/<org>/data-exports/``, LoRAs under ``orgs/<org>/loras/``, training zips under
``orgs/<org>/training/``, images between generation steps under ``orgs/<org>/generation/``, edit
masks under ``orgs/<org>/masks/``.
Files are private. Browsers get short-lived signed URLs: presigned S3/R2 URLs when S3 is
configured, otherwise a signed URL to ``media_serve`` that also checks org membership.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.urls import reverse

SIGNED_URL_SALT = "personae.media"


def _org_prefix(org) -> str:
    return f"orgs/{org.public_id}"


def asset_key(org, asset, variant: str, extension: str) -> str:
    return f"{_org_prefix(org)}/assets/{asset.public_id}/{variant}.{extension}"


def upload_key(org, upload) -> str:
    return f"{_org_prefix(org)}/uploads/{upload.public_id}"


def export_key(org, export) -> str:
    return f"{_org_prefix(org)}/exports/{export.public_id}.zip"


def data_export_key(org, export) -> str:
    """An organisation's export of all its data (privacy/), kept until its link expires."""
    return f"{_org_prefix(org)}/data-exports/{export.public_id}.zip"


def org_prefix(org) -> str:
    """Where every stored file of ``org`` lives: what deleting the organisation empties."""
    return _org_prefix(org)


def lora_key(org, character) -> str:
    return f"{_org_prefix(org)}/loras/{character.public_id}.safetensors"


def training_zip_key(org, run) -> str:
    """The zip of a training run's images (and captions), read by the trainer, deleted once it ends."""
    return f"{_org_prefix(org)}/training/{run.public_id}.zip"


def generation_scratch_key(org, job, image) -> str:
    """A generated image waiting for its next step (a try-on), deleted once the final image is stored."""
    return f"{_org_prefix(org)}/generation/{job.public_id}/{image.position:02d}-{image.attempts}.jpg"


def edit_mask_key(org, job) -> str:
    """The mask of an inpaint or clothing change: white where the image changes."""
    return f"{_org_prefix(org)}/masks/{job.public_id}.png"


def project_prefix(org, project) -> str:
    """Where a project's own files (its scripts) live: what deleting the project empties."""
    return f"{_org_prefix(org)}/projects/{project.public_id}"


def script_key(org, project, script, extension: str) -> str:
    return f"{project_prefix(org, project)}/scripts/{script.public_id}.{extension}"


def key_belongs_to(org, key: str) -> bool:
    parts = PurePosixPath(key).parts
    return len(parts) > 2 and parts[0] == "orgs" and parts[1] == str(org.public_id) and ".." not in parts


def is_s3() -> bool:
    return settings.MEDIA_BACKEND == "s3"


def storage():
    return default_storage


def signed_url(org, key: str, *, download_name: str | None = None, expires: int | None = None) -> str:
    """A URL that serves ``key`` for a short while. ``download_name`` makes it an attachment."""
    expires = expires or settings.MEDIA_URL_EXPIRY
    if is_s3():
        params = {"ResponseContentDisposition": content_disposition(download_name)} if download_name else {}
        return storage().url(key, parameters=params, expire=expires)
    token = signing.dumps({"k": key, "o": str(org.public_id), "d": download_name or ""}, salt=SIGNED_URL_SALT)
    return reverse("media_serve", args=[token])


PROVIDER_URL_SALT = "personae.media.provider"


def provider_origin() -> str:
    """The origin on which providers fetch local media (``/media/p/``), or ''.

    ``PROVIDER_PUBLIC_URL`` as the operator set it (e.g. a tunnel to a laptop; the contract tests'
    live server), else ``SITE_URL`` when it is https.
    """
    if settings.PROVIDER_PUBLIC_URL:
        return settings.PROVIDER_PUBLIC_URL
    return settings.SITE_URL if settings.SITE_URL.startswith("https://") else ""


def providers_can_fetch() -> bool:
    """Whether ``provider_url`` gives URLs an AI provider can reach over the internet: S3/R2, or an
    https origin (fal and Replicate fetch over https; a plain http address doesn't count)."""
    return is_s3() or provider_origin().startswith("https://")


def provider_url(org, key: str, *, expires: int = 6 * 3600) -> str | None:
    """A URL an AI provider can fetch ``key`` from while it works, or None if there is none.

    On S3/R2 a presigned GET. Locally, an absolute signed URL on ``provider_origin()`` (no login:
    the signature is the credential); None without one (the ``assets.E001`` check refuses to
    start with a provider key in that setup).
    """
    if is_s3():
        return storage().url(key, expire=expires)
    base = provider_origin()
    if not base:
        return None
    token = signing.dumps({"k": key, "o": str(org.public_id)}, salt=PROVIDER_URL_SALT)
    return base + reverse("media_provider", args=[token])


API_URL_SALT = "personae.media.api"


def api_url(org, key: str) -> str:
    """An absolute URL that serves ``key`` for ``MEDIA_URL_EXPIRY`` seconds to whoever holds it,
    for the JSON API's clients, which have a key but no session: on S3/R2 a presigned GET, locally
    a signed URL on ``SITE_URL`` (``media_api``; the signature is the credential, as S3's is)."""
    if is_s3():
        return storage().url(key, expire=settings.MEDIA_URL_EXPIRY)
    token = signing.dumps({"k": key, "o": str(org.public_id)}, salt=API_URL_SALT)
    return settings.SITE_URL + reverse("media_api", args=[token])


def read_api_token(token: str) -> dict:
    return signing.loads(token, salt=API_URL_SALT, max_age=settings.MEDIA_URL_EXPIRY)


def read_provider_token(token: str, max_age: int = 6 * 3600) -> dict:
    return signing.loads(token, salt=PROVIDER_URL_SALT, max_age=max_age)


def read_signed_token(token: str, max_age: int | None = None) -> dict:
    """The payload of a local signed URL, or ``signing.BadSignature`` (expired or forged)."""
    return signing.loads(token, salt=SIGNED_URL_SALT, max_age=max_age or settings.MEDIA_URL_EXPIRY)


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact name, percent-encoded."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def presigned_put(key: str, *, content_type: str, size: int) -> dict:
    """A direct-to-bucket PUT the browser can make; length and type are part of the signature."""
    client = storage().connection.meta.client
    url = client.generate_presigned_url(
        "put_object",
        Params={"Bucket": storage().bucket_name, "Key": key, "ContentType": content_type, "ContentLength": size},
        ExpiresIn=settings.UPLOAD_URL_EXPIRY,
    )
    return {"method": "PUT", "url": url, "headers": {"Content-Type": content_type}}


def delete(key: str) -> None:
    if key:
        storage().delete(key)


def size(key: str) -> int:
    return storage().size(key)


def delete_tree(prefix: str) -> int:
    """Delete every stored file under ``prefix`` (a folder such as ``org_prefix(org)``); returns how
    many. Safe to run again: what is already gone is skipped."""
    if not prefix.strip("/") or ".." in PurePosixPath(prefix).parts:
        raise ValueError(f"Refusing to delete the tree {prefix!r}.")
    store = storage()
    deleted = 0
    try:
        folders, files = store.listdir(prefix)
    except (FileNotFoundError, OSError):
        return 0
    for name in files:
        store.delete(f"{prefix}/{name}")
        deleted += 1
    for folder in folders:
        deleted += delete_tree(f"{prefix}/{folder}")
    if not is_s3():  # a local folder stays behind empty; S3 has no folders to remove
        shutil.rmtree(Path(settings.MEDIA_ROOT) / prefix, ignore_errors=True)
    return deleted
