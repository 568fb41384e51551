"""Library factories and the browser's upload sequence, for tests and benchmarks.

``AssetFactory`` makes a real asset through ``asset_create_from_bytes`` (a small generated JPEG,
files in MEDIA_ROOT). ``AssetRowFactory`` makes only the row, with made-up storage keys: for grids,
filters and isolation checks that never open the files.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import factory
import httpx
from django.core.files.base import ContentFile
from django.test import TestCase
from django.urls import reverse

from assets import services, storage
from assets.models import Asset, Collection, Tag, Upload
from assets.tests import media_samples
from tests.factories import OrganizationFactory, UserFactory


def jpeg_bytes(size: tuple[int, int] = (96, 64), seed: int = 0, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    media_samples.photo(size, seed).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def stored_files(root: str | Path) -> set[str]:
    """Every file under ``root`` (a MEDIA_ROOT), as paths relative to it."""
    root = Path(root)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def asset_files(asset: Asset) -> set[str]:
    return {asset.original_key, *asset.variants.values()}


class AssetFactory(factory.Factory):
    class Meta:
        model = Asset

    org = factory.SubFactory(OrganizationFactory)
    filename = factory.Sequence(lambda n: f"photo-{n}.jpg")
    seed = factory.Sequence(lambda n: 1000 + n)
    size = (96, 64)

    @classmethod
    def _create(cls, model_class, *, org, filename, seed, size, data: bytes | None = None, **kwargs) -> Asset:
        data = data if data is not None else jpeg_bytes(size, seed)
        return services.asset_create_from_bytes(org=org, data=data, filename=filename, **kwargs)


def provider_output(org, *, prompt: str, seed: int = 0, parents=(), recipe: dict | None = None, **kwargs) -> Asset:
    """A generated asset, copied from a (mocked) provider URL the way generation jobs do."""
    data = jpeg_bytes((128, 96), seed)
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=data)))
    return services.asset_create_from_provider_output(
        org=org,
        url=f"https://outputs.provider.test/outputs/{seed}.jpg",
        recipe={"prompt": prompt, "model": "flux-dev", "seed": seed, **(recipe or {})},
        parents=parents,
        client=client,
        **kwargs,
    )


class AssetRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset
        skip_postgeneration_save = True

    org = factory.SubFactory(OrganizationFactory)
    public_id = factory.LazyFunction(uuid.uuid4)
    kind = Asset.Kind.IMAGE
    title = factory.Sequence(lambda n: f"Item {n}")
    original_filename = factory.LazyAttribute(lambda o: f"{o.title}.jpg")
    original_key = factory.LazyAttribute(lambda o: storage.asset_key(o.org, o, "original", "jpg"))
    variants = factory.LazyAttribute(
        lambda o: {name: storage.asset_key(o.org, o, name, "jpg") for name in ("preview", "thumb")}
    )
    mime = "image/jpeg"
    bytes = 1000
    stored_bytes = 1200
    width, height = 640, 480
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"row-{n}".encode()).hexdigest())

    @factory.post_generation
    def indexed(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            services.asset_reindex(obj.pk)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"tag {n}")


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Board {n}")


class UploadFactory(factory.django.DjangoModelFactory):
    """A declared upload (pending); ``data=`` also puts its file in storage, as a finished PUT would."""

    class Meta:
        model = Upload

    org = factory.SubFactory(OrganizationFactory)
    public_id = factory.LazyFunction(uuid.uuid4)
    filename = "photo.jpg"
    data = None
    declared_size = factory.LazyAttribute(lambda o: len(o.data) if o.data is not None else 1000)
    declared_type = "image/jpeg"
    key = factory.LazyAttribute(lambda o: storage.upload_key(o.org, o))
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, data: bytes | None = None, **kwargs) -> Upload:
        upload = super()._create(model_class, *args, **kwargs)
        if data is not None:
            storage.storage().save(upload.key, ContentFile(data))
        return upload


def upload_through_views(client, org_slug: str, filename: str, data: bytes, content_type: str = "") -> dict:
    """What the uploader does: POST uploads/ → PUT the bytes → POST complete → GET status.

    Returns the last JSON answer, with ``"http"`` set to its status code. Processing callbacks
    queued on commit run before the status is read (eager Celery does the work inline).
    """
    start = client.post(
        reverse("assets:upload_start", args=[org_slug]),
        {"filename": filename, "size": len(data), "content_type": content_type},
    )
    if start.status_code != 201:
        return {**start.json(), "http": start.status_code}
    started = start.json()
    put = client.put(started["target"]["url"], data, content_type="application/octet-stream")
    if put.status_code != 200:
        return {**put.json(), "http": put.status_code, "id": started["id"]}
    with TestCase.captureOnCommitCallbacks(execute=True):
        complete = client.post(started["complete_url"])
    if complete.status_code != 200:
        return {**complete.json(), "http": complete.status_code, "id": started["id"]}
    status = client.get(started["status_url"])
    return {**status.json(), "http": status.status_code}
