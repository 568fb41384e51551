"""Every licensed image carries its licence: in its recipe, in the XMP metadata of the stored file
(so downloads, the API and exports all have it), in a zip export's comment, and on its library page
as "Licensed likeness of …" with a link to the licence. Images made outside a licence carry none."""

import io
import zipfile

import pytest
from django.urls import reverse
from PIL import Image

from assets import storage
from assets.services import exports
from generation import packs
from generation.models import GenerationImage
from generation.packs import PackRecipe
from licensing import metadata
from licensing.models import RoyaltyEntry

pytestmark = pytest.mark.django_db


def licensed_assets(capture, licence, user, count=1):
    with capture(execute=True):
        job = packs.pack_start(
            character=licence.profile.character,
            user=user,
            recipe=PackRecipe(count=count),
            org=licence.org,
            use="commercial",
        )
    return [i.asset for i in GenerationImage.objects.filter(job=job).select_related("asset").order_by("position")]


def stored(asset) -> bytes:
    with storage.storage().open(asset.original_key, "rb") as fh:
        return fh.read()


def test_the_stored_file_of_each_licensed_image_carries_the_licence_in_xmp(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile())
    assets = licensed_assets(django_capture_on_commit_callbacks, licence, licensee.member, count=5)
    assert len(assets) == 5
    for asset in assets:
        asset.refresh_from_db()
        data = stored(asset)
        assert asset.bytes == len(data)
        assert asset.metadata["licence_xmp"] is True
        assert asset.metadata["recipe"]["license"] == str(licence.public_id)
        image = Image.open(io.BytesIO(data))
        description = image.getxmp()["xmpmeta"]["RDF"]["Description"]  # parsed as XML by Pillow
        assert description["LicenceId"] == str(licence.public_id)
        assert description["LicensedLikenessOf"] == "Maya Lindqvist"
        assert description["LicenceUse"] == "commercial"
        assert description["LicenceTermsVersion"] == str(licence.terms_version)
        assert description["Marked"] == "True"
        assert (image.width, image.height) == (asset.width, asset.height)
        image.load()  # the pixels still decode
    # The file before marking went once the delivery committed; the marked one is the original.
    assert all(asset.original_key.split("/")[-1].startswith("original-licensed") for asset in assets)
    assert RoyaltyEntry.objects.filter(license=licence).count() == 5
    # Likeness is scored against the creator's character, so the tiles don't wait for a score forever.
    assert all(GenerationImage.objects.filter(asset=asset).get().scored for asset in assets)


def test_an_unlicensed_image_of_the_creators_own_character_has_no_licence_mark(
    make_profile, creator_org, creator_user, django_capture_on_commit_callbacks
):
    from billing.services import credits_grant

    profile = make_profile()
    credits_grant(org=creator_org, amount=10, key="test-own-pack", description="Test")
    with django_capture_on_commit_callbacks(execute=True):
        job = packs.pack_start(character=profile.character, user=creator_user, recipe=PackRecipe(count=1))
    asset = GenerationImage.objects.get(job=job).asset
    assert "license" not in asset.metadata["recipe"]
    assert "licence_xmp" not in asset.metadata
    assert metadata.xmp_of(stored(asset)) == b""
    assert metadata.licence_summary(asset) == ""


def test_the_asset_page_says_whose_likeness_it_is_and_links_the_licence(
    client, make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile())
    asset = licensed_assets(django_capture_on_commit_callbacks, licence, licensee.member, count=1)[0]
    client.force_login(licensee.member)
    page = client.get(reverse("assets:detail", args=[licensee.org.slug, asset.public_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Licensed likeness of Maya Lindqvist" in html
    licence_url = reverse("licensing:license", args=[licensee.org.slug, licence.public_id])
    assert f'href="{licence_url}"' in html
    # The breadcrumbs lead to the licence, not to the creator's character (another organisation's).
    assert "Licence for Maya Lindqvist" in html
    character_url = reverse("characters:detail", args=[licensee.org.slug, licence.profile.character.public_id])
    assert character_url not in html
    assert "written into the file&#x27;s XMP metadata" in html or "written into the file's XMP metadata" in html
    assert client.get(licence_url).status_code == 200


def test_a_zip_export_keeps_the_xmp_and_names_the_licence_in_its_comment(
    make_profile, licence_for, licensee, django_capture_on_commit_callbacks
):
    licence = licence_for(make_profile())
    asset = licensed_assets(django_capture_on_commit_callbacks, licence, licensee.member, count=1)[0]
    export = exports.export_create(org=licensee.org, user=licensee.member, ids=[str(asset.public_id)])
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    with storage.storage().open(export.key, "rb") as fh, zipfile.ZipFile(fh) as archive:
        data = archive.read(archive.namelist()[0])
    assert str(licence.public_id).encode() in metadata.xmp_of(data)
    image = Image.open(io.BytesIO(data))
    comment = image.info["comment"].decode()
    assert "Licensed likeness of Maya Lindqvist" in comment
    assert str(licence.public_id) in comment


def test_xmp_goes_into_jpeg_after_jfif_and_into_png_and_is_read_back():
    packet = metadata.xmp_packet(licence_id="L-1", likeness_of="A & B <C>", use="personal", terms_version=3)
    jpeg, png = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (16, 8), "red").save(jpeg, "JPEG")
    Image.new("RGB", (16, 8), "blue").save(png, "PNG")

    marked_jpeg = metadata.with_xmp(jpeg.getvalue(), packet)
    assert marked_jpeg[2:4] == b"\xff\xe0"  # JFIF APP0 still first
    assert metadata.xmp_of(marked_jpeg) == packet
    parsed = Image.open(io.BytesIO(marked_jpeg)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert parsed["LicensedLikenessOf"] == "A & B <C>"  # escaped in the XML, read back as written

    marked_png = metadata.with_xmp(png.getvalue(), packet)
    image = Image.open(io.BytesIO(marked_png))
    image.load()  # chunk CRCs are right
    assert image.getxmp()["xmpmeta"]["RDF"]["Description"]["LicenceId"] == "L-1"
    assert metadata.xmp_of(marked_png) == packet

    assert metadata.with_xmp(b"GIF89a...", packet) == b"GIF89a..."
    assert metadata.xmp_of(b"GIF89a...") == b""


def test_making_a_licensed_image_again_from_its_lineage_stays_with_the_licensee_and_within_the_licence(
    make_profile, licence_for, licensee, creator_org, creator_user, django_capture_on_commit_callbacks
):
    from core.exceptions import DomainError
    from identity import reruns
    from licensing import services

    licence = licence_for(make_profile())
    asset = licensed_assets(django_capture_on_commit_callbacks, licence, licensee.member, count=1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        again = reruns.node_rerun(asset=asset, user=licensee.member)
    assert again.org_id == licensee.org.pk  # paid by and delivered to the licensee, not the creator
    made = GenerationImage.objects.get(job=again).asset
    assert made.org_id == licensee.org.pk
    assert made.metadata["recipe"]["license"] == str(licence.public_id)
    assert str(licence.public_id).encode() in metadata.xmp_of(stored(made))
    assert RoyaltyEntry.objects.filter(license=licence).count() == 2
    assert not GenerationImage.objects.filter(asset__org=creator_org).exists()

    services.licence_revoke(licence=licence, user=creator_user)
    with pytest.raises(DomainError, match="no active licence"):
        reruns.node_rerun(asset=asset, user=licensee.member)
