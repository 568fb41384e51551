"""What a provider is handed for our files: a URL it can fetch (presigned on S3/R2, signed on the
site's public https address), ``storage:<key>`` for the demo provider, inline only for xAI's small
vision inputs; with no reachable URL the call fails with the setting to fix. And the ``edit``
image, made once from the original."""

import base64
from unittest import mock

import pytest
from django.core.files.base import ContentFile

from assets import media, services, storage
from assets.checks import provider_media_check
from assets.models import Asset
from assets.tests.factories import AssetFactory, jpeg_bytes
from jobs.inputs import XAI_INLINE_MAX_BYTES
from providers import inputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def no_public_address(settings):
    settings.MEDIA_BACKEND = "local"
    settings.PROVIDER_PUBLIC_URL = ""
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="beach.jpg", data=jpeg_bytes((160, 120), seed=3))


def call_to(provider: str, org) -> ProviderCall:
    return ProviderCall.objects.create(org=org, operation="upscale", provider=provider, endpoint_id="x", handler="t")


def read(key: str) -> bytes:
    with storage.storage().open(key, "rb") as fh:
        return fh.read()


def test_with_no_public_address_a_file_is_refused_with_the_setting_to_fix(no_public_address, org, photo):
    for marker in ({"$asset": str(photo.public_id), "variant": "preview"}, {"$key": photo.original_key}):
        with pytest.raises(ProviderError) as refused:
            inputs.resolve(call_to("fal", org), {"image_url": marker})

        assert "MEDIA_BUCKET" in refused.value.message
        assert "PROVIDER_PUBLIC_URL" in refused.value.message
        assert not refused.value.transient


def test_an_http_public_address_is_used_as_set_but_refused_at_startup(no_public_address, settings, org, photo):
    """An operator's explicit origin is taken as given (the contract suite's live server is plain
    http); with a provider key, the startup check refuses a plain http one."""
    settings.PROVIDER_PUBLIC_URL = "http://laptop.example.com"

    url = inputs.resolve(call_to("replicate", org), {"$key": photo.original_key})

    assert url.startswith("http://laptop.example.com/media/p/")
    settings.REPLICATE_API_TOKEN = "r8_test"
    [error] = provider_media_check()
    assert error.id == "assets.E001"
    assert "isn't https" in error.msg


@pytest.mark.parametrize(
    ("setting", "value"), [("PROVIDER_PUBLIC_URL", "https://tunnel.example.com"), ("SITE_URL", "https://app.example")]
)
def test_a_public_https_address_gives_signed_urls(no_public_address, settings, org, photo, setting, value):
    setattr(settings, setting, value)

    url = inputs.resolve(call_to("fal", org), {"$asset": str(photo.public_id), "variant": "preview"})

    assert url.startswith(f"{value}/media/p/")


def test_xai_gets_a_small_preview_inline_even_with_a_public_address(settings, org, photo):
    settings.PROVIDER_PUBLIC_URL = "https://tunnel.example.com"

    uri = inputs.resolve(call_to("xai", org), {"$asset": str(photo.public_id), "variant": "preview"})

    assert uri.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == read(photo.variants["preview"])


def test_xai_inline_works_without_a_public_address(no_public_address, org, photo):
    uri = inputs.resolve(call_to("xai", org), {"$asset": str(photo.public_id), "variant": "preview"})

    assert uri.startswith("data:image/jpeg;base64,")


def test_xai_gets_a_url_for_anything_large_or_not_an_image(settings, org):
    settings.PROVIDER_PUBLIC_URL = "https://tunnel.example.com"
    large = storage.storage().save(
        f"orgs/{org.public_id}/masks/large.png", ContentFile(b"x" * (XAI_INLINE_MAX_BYTES + 1))
    )
    archive = storage.storage().save(f"orgs/{org.public_id}/training/run.zip", ContentFile(b"PK"))

    for key in (large, archive):
        assert inputs.resolve(call_to("xai", org), {"$key": key}).startswith("https://tunnel.example.com/media/p/")


def test_xai_with_a_large_file_and_no_public_address_is_refused(no_public_address, org):
    large = storage.storage().save(
        f"orgs/{org.public_id}/masks/large.png", ContentFile(b"x" * (XAI_INLINE_MAX_BYTES + 1))
    )

    with pytest.raises(ProviderError, match="PROVIDER_PUBLIC_URL"):
        inputs.resolve(call_to("xai", org), {"$key": large})


def test_the_demo_provider_reads_our_storage_including_the_edit_image(no_public_address, org, photo):
    resolved = inputs.resolve(call_to("demo", org), {"$asset": str(photo.public_id), "variant": "edit"})

    photo.refresh_from_db()
    assert resolved == f"storage:{photo.variants['edit']}"
    assert read(photo.variants["edit"])[:3] == b"\xff\xd8\xff"


# --- The edit image ----------------------------------------------------------------------------


def test_the_edit_image_is_made_once(settings, org, photo):
    settings.PROVIDER_PUBLIC_URL = "https://tunnel.example.com"
    marker = {"$asset": str(photo.public_id), "variant": "edit"}
    stored_bytes = photo.stored_bytes

    with mock.patch("assets.media.normalised_image", wraps=media.normalised_image) as made:
        inputs.resolve(call_to("fal", org), marker)
        inputs.resolve(call_to("fal", org), marker)

    assert made.call_count == 1
    photo.refresh_from_db()
    assert photo.variants["edit"] == storage.asset_key(org, photo, "edit", "jpg")
    assert photo.stored_bytes == stored_bytes  # a cache of ours, not counted as the org's storage


def test_the_edit_image_is_made_again_if_its_file_is_gone(org, photo):
    key = services.asset_edit_image(photo)
    storage.delete(key)

    assert services.asset_edit_image(Asset.objects.get(pk=photo.pk)) == key
    assert storage.storage().exists(key)


def test_the_edit_image_goes_with_the_asset(org, photo, django_capture_on_commit_callbacks):
    key = services.asset_edit_image(photo)
    photo.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.asset_delete(asset=photo)

    assert not storage.storage().exists(key)


def test_an_original_that_doesnt_match_the_recorded_size_fails_the_call(settings, org, photo):
    settings.PROVIDER_PUBLIC_URL = "https://tunnel.example.com"
    Asset.objects.filter(pk=photo.pk).update(width=120, height=160)

    with pytest.raises(ProviderError, match="160 × 120 px, not the 120 × 160 px"):
        inputs.resolve(call_to("fal", org), {"$asset": str(photo.public_id), "variant": "edit"})


def test_a_missing_original_fails_the_call(settings, org, photo):
    settings.PROVIDER_PUBLIC_URL = "https://tunnel.example.com"
    storage.delete(photo.original_key)

    with pytest.raises(ProviderError, match="original file of this image is missing"):
        inputs.resolve(call_to("fal", org), {"$asset": str(photo.public_id), "variant": "edit"})
