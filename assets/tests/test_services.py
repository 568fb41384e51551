"""The library's service API, as other apps use it: assets from bytes, URLs and provider outputs
(with lineage), and the rules behind tags, collections, duplicates and storage keys."""

from unittest import mock

import httpx
import pytest
import respx
from django.db import transaction

from assets import media, selectors, services, storage
from assets.models import Asset, Tag, Upload
from assets.selectors import LibraryFilters
from assets.tests import media_samples as samples
from assets.tests.factories import (
    AssetFactory,
    AssetRowFactory,
    UploadFactory,
    asset_files,
    jpeg_bytes,
    provider_output,
    stored_files,
)
from core.exceptions import DomainError

URL = "https://outputs.provider.test/outputs/abc123.jpg"


# --- Creating assets -----------------------------------------------------------------------------


def test_an_image_becomes_an_asset_with_its_facts_and_renditions(org, people, media_root):
    data = jpeg_bytes((1600, 1200), seed=70)

    asset = services.asset_create_from_bytes(org=org, data=data, filename="Maya_beach_01.jpg", created_by=people.member)

    assert (asset.kind, asset.source, asset.mime) == ("image", "upload", "image/jpeg")
    assert (asset.title, asset.original_filename) == ("Maya beach 01", "Maya_beach_01.jpg")
    assert (asset.width, asset.height, asset.bytes) == (1600, 1200, len(data))
    assert asset.sha256 == media.sha256_file(media_root / asset.original_key)
    assert asset.phash is not None
    assert set(asset.variants) == {"preview", "thumb"}
    assert asset.original_key == f"orgs/{org.public_id}/assets/{asset.public_id}/original.jpg"
    assert stored_files(media_root) == asset_files(asset)
    assert asset.stored_bytes == sum((media_root / k).stat().st_size for k in asset_files(asset))
    assert asset.created_by == people.member
    assert "media" in asset.metadata


def test_a_video_becomes_an_asset_with_a_poster_and_duration(org, media_root, tmp_path):
    data = samples.mp4(tmp_path / "clip.mp4", seconds=2).read_bytes()

    asset = services.asset_create_from_bytes(org=org, data=data, filename="clip.mp4")

    assert (asset.kind, asset.mime, asset.width, asset.height) == ("video", "video/mp4", 320, 240)
    assert asset.duration == pytest.approx(2.0, abs=0.2)
    assert set(asset.variants) == {"poster", "thumb", "scrub"}
    assert stored_files(media_root) == asset_files(asset)


def test_a_refused_file_raises_and_leaves_nothing(org, media_root, tmp_path):
    data = samples.png_bomb(tmp_path / "bomb.png").read_bytes()

    with pytest.raises(media.MediaError) as refused:
        services.asset_create_from_bytes(org=org, data=data, filename="bomb.png")

    assert refused.value.code == "too_many_pixels"
    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


def test_files_written_before_a_failed_save_are_removed(org, media_root):
    with (
        mock.patch("assets.services.pipeline.asset_reindex", side_effect=RuntimeError("database went away")),
        pytest.raises(RuntimeError),
    ):
        services.asset_create_from_bytes(org=org, data=jpeg_bytes(seed=71), filename="a.jpg")

    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


def test_deleted_files_stay_if_the_delete_is_rolled_back(org, media_root):
    asset = AssetFactory(org=org)
    files = asset_files(asset)

    def delete_then_fail():
        with transaction.atomic():
            services.asset_delete(asset=Asset.objects.get(pk=asset.pk))
            raise RuntimeError("something later in the same transaction failed")

    with pytest.raises(RuntimeError):
        delete_then_fail()

    assert Asset.objects.filter(pk=asset.pk).exists()
    assert stored_files(media_root) == files


def test_from_url_streams_the_file_into_the_library(org, media_root):
    data = jpeg_bytes((300, 200), seed=72)

    with respx.mock:
        route = respx.get(URL).mock(return_value=httpx.Response(200, content=data))
        asset = services.asset_create_from_url(org=org, url=URL, source=Asset.Source.IMPORT)

    assert route.called
    assert (asset.title, asset.original_filename, asset.source) == ("abc123", "abc123.jpg", "import")
    assert (media_root / asset.original_key).read_bytes() == data


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(404), "The file couldn't be fetched (the server answered 404)."),
        (httpx.Response(503), "The file couldn't be fetched (the server answered 503)."),
        (httpx.ConnectError("refused"), "The file couldn't be fetched (ConnectError)."),
        (httpx.ReadTimeout("slow"), "The file couldn't be fetched (ReadTimeout)."),
    ],
)
def test_from_url_explains_a_failed_fetch(org, media_root, response, message):
    def answer(request):
        if isinstance(response, Exception):
            raise response
        return response

    with pytest.raises(DomainError) as failed:
        services.asset_create_from_url(org=org, url=URL, client=httpx.Client(transport=httpx.MockTransport(answer)))

    assert failed.value.message == message
    assert stored_files(media_root) == set()


def test_from_url_stops_reading_past_the_size_cap(org, media_root):
    sent = []

    def endless():
        for _ in range(100):
            sent.append(1)
            yield b"\xff" * 65536

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=endless())))

    with pytest.raises(DomainError) as refused:
        services.asset_create_from_url(org=org, url=URL, max_bytes=200_000, client=client)

    assert refused.value.message == "The file is larger than 195.3 KB."
    assert len(sent) < 100
    assert not Asset.objects.exists()


def test_from_url_still_sniffs_what_arrived(org, media_root, tmp_path):
    data = samples.svg_with_script(tmp_path / "x.svg").read_bytes()
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, content=data)))

    with pytest.raises(media.MediaError) as refused:
        services.asset_create_from_url(org=org, url=URL, client=client)

    assert refused.value.code == "svg"


def test_a_provider_output_keeps_its_recipe_and_lineage(org):
    reference = AssetFactory(org=org, filename="reference.jpg")

    output = provider_output(org, prompt="Maya at the beach, golden hour", seed=73, parents=[reference])

    assert output.source == Asset.Source.GENERATED
    assert output.recipe == {"prompt": "Maya at the beach, golden hour", "model": "flux-dev", "seed": 73}
    assert output.prompt == "Maya at the beach, golden hour"
    assert list(output.parents.all()) == [reference]
    assert list(reference.children.all()) == [output]
    found = selectors.asset_queryset(org, LibraryFilters(q="golden beach"))
    assert list(found) == [output]


def test_an_edit_records_its_source_and_parent(org):
    original = AssetFactory(org=org)

    edit = provider_output(org, prompt="remove background", seed=74, parents=[original], source=Asset.Source.EDITED)

    assert edit.source == Asset.Source.EDITED
    assert list(edit.parents.all()) == [original]


# --- Duplicates stay within an org --------------------------------------------------------------


def test_the_same_file_in_another_org_is_not_a_duplicate(org, people, media_root):
    data = jpeg_bytes(seed=75)
    theirs = AssetFactory(org=people.other_org, data=data)
    upload = UploadFactory(org=org, data=data, status=Upload.Status.RECEIVED)

    services.upload_process(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE
    assert upload.asset.org == org
    assert upload.asset.near_duplicate_of is None
    assert upload.asset != theirs


def test_a_near_duplicate_is_found_only_in_the_same_org(org, people):
    data = jpeg_bytes((400, 300), seed=76)
    AssetFactory(org=people.other_org, data=data)

    mine = AssetFactory(org=org, data=jpeg_bytes((400, 300), seed=76, quality=50))

    assert mine.near_duplicate_of is None


# --- Tags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("beach, summer", ["beach", "summer"]),
        ("#beach,#Beach , BEACH", ["beach"]),
        ("golden   hour\nportrait,, ,", ["golden hour", "portrait"]),
        ("x" * 80, ["x" * 50]),
        ("", []),
    ],
)
def test_tags_are_parsed_trimmed_and_deduplicated(text, tags):
    assert services.parse_tags(text) == tags


def test_at_most_30_tags(org):
    with pytest.raises(DomainError) as refused:
        services.parse_tags(",".join(f"t{i}" for i in range(31)))

    assert refused.value.field == "tags"


def test_tags_are_shared_case_insensitively_within_an_org_only(org, people):
    a, b = AssetRowFactory(org=org), AssetRowFactory(org=org)
    theirs = AssetRowFactory(org=people.other_org)

    services.asset_set_tags(asset=a, text="Beach")
    services.asset_set_tags(asset=b, text="beach, sunset")
    services.asset_set_tags(asset=theirs, text="beach")

    assert sorted(Tag.objects.for_org(org).values_list("name", flat=True)) == ["Beach", "sunset"]
    assert Tag.objects.for_org(people.other_org).count() == 1
    assert a.tags.get() == b.tags.get(name="Beach")
    services.asset_set_tags(asset=a, text="")
    assert not a.tags.exists()
    assert [t.name for t in selectors.tags_for_org(org)] == ["Beach", "sunset"]


# --- Collections -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_a_collection_needs_a_name(org, people, name):
    with pytest.raises(DomainError) as refused:
        services.collection_create(org=org, user=people.owner, name=name)

    assert (refused.value.message, refused.value.field) == ("Give the collection a name.", "name")


def test_collection_add_ignores_another_orgs_items(org, people):
    collection = services.collection_create(org=org, user=people.owner, name="Board")
    mine, theirs = AssetRowFactory(org=org), AssetRowFactory(org=people.other_org)

    added = services.collection_add(collection=collection, ids=[str(mine.public_id), str(theirs.public_id)])

    assert added == 1
    assert list(collection.assets.all()) == [mine]


# --- Names, keys and usage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "clean", "title"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg", "passwd"),
        ("C:\\Users\\maya\\IMG_0001.HEIC", "IMG_0001.HEIC", "IMG 0001"),
        ("\u202egpj.exe", "gpj.exe", "gpj"),
        (".hidden.jpg", "hidden.jpg", "hidden"),
        ("line\nbreak\t.jpg", "linebreak.jpg", "linebreak"),
        ("", "untitled", "untitled"),
        ("🌅.jpg", "🌅.jpg", "🌅"),
    ],
)
def test_filenames_are_cleaned_for_display(name, clean, title):
    assert services.clean_filename(name) == clean
    assert services.title_from_filename(name) == title


def test_keys_belong_only_to_their_org(org, people):
    asset = AssetRowFactory.build(org=org)
    key = storage.asset_key(org, asset, "original", "jpg")

    assert storage.key_belongs_to(org, key)
    assert not storage.key_belongs_to(people.other_org, key)
    assert not storage.key_belongs_to(org, f"orgs/{org.public_id}/../{people.other_org.public_id}/x.jpg")
    assert not storage.key_belongs_to(org, f"orgs/{org.public_id}")
    assert not storage.key_belongs_to(org, f"/orgs/{org.public_id}/assets/x.jpg")


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        ("beach.jpg", "attachment; filename=\"beach.jpg\"; filename*=UTF-8''beach.jpg"),
        ("été 🌅.jpg", "attachment; filename=\"_t_ _.jpg\"; filename*=UTF-8''%C3%A9t%C3%A9%20%F0%9F%8C%85.jpg"),
        ('a"b;c\\.jpg', "attachment; filename=\"a_b_c_.jpg\"; filename*=UTF-8''a%22b%3Bc%5C.jpg"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''"),
    ],
)
def test_downloads_name_the_file_per_rfc_6266(filename, header):
    assert storage.content_disposition(filename) == header


def test_storage_usage_counts_originals_and_renditions(org, people):
    AssetRowFactory(org=org, stored_bytes=1_000)
    AssetRowFactory(org=org, stored_bytes=2_500)
    AssetRowFactory(org=people.other_org, stored_bytes=10**9)

    usage = selectors.storage_usage(org)

    assert usage["used"] == 3_500
    assert usage["quota"] == org.plan.storage_bytes
    assert usage["percent"] == 0
