"""The inpaint and change-clothes pages as people use them: offers, permissions, forms, refusals, job pages."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.models import Asset
from assets.tests.factories import AssetFactory, jpeg_bytes
from billing.services import credits_available
from generation import edits
from generation.models import EditJob
from generation.tests.edit_helpers import events, mask_file, mask_png, nothing_charged

# --- Pages ------------------------------------------------------------------------------------------------


def _url(name, org, asset):
    return reverse(f"generation:{name}", args=[org.slug, asset.public_id])


@pytest.mark.django_db
def test_the_asset_page_offers_both_edits_with_their_prices(login, org, fund, photo):
    fund(10)
    html = login("member").get(reverse("assets:detail", args=[org.slug, photo.public_id])).content.decode()
    assert _url("inpaint", org, photo) in html
    assert "Edit (inpaint)…" in html
    assert "8 credits" in html
    # 10 credits don't cover a clothing change: disabled, with the reason.
    assert _url("clothes", org, photo) not in html
    assert "Changing clothes needs 12 credits and you have 10 available" in html


@pytest.mark.django_db
def test_viewers_are_not_offered_the_edits(login, org, fund, photo):
    fund(20)
    html = login("viewer").get(reverse("assets:detail", args=[org.slug, photo.public_id])).content.decode()
    assert _url("inpaint", org, photo) not in html
    assert _url("clothes", org, photo) not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["inpaint", "clothes"])
def test_viewers_get_403_and_outsiders_404(client, people, org, fund, photo, name):
    fund(20)
    client.force_login(people.viewer)
    assert client.get(_url(name, org, photo)).status_code == 403
    assert client.post(_url(name, org, photo), {"outfit": "casual_jeans"}).status_code == 403
    client.force_login(people.outsider)
    assert client.get(_url(name, org, photo)).status_code == 404
    theirs = AssetFactory(org=people.other_org)
    client.force_login(people.member)
    assert client.get(_url(name, org, theirs)).status_code == 404
    assert not EditJob.objects.exists()


@pytest.mark.django_db
def test_the_inpaint_page_paints_at_the_originals_size_and_records_the_visit(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    with django_capture_on_commit_callbacks(execute=True):
        html = login("member").get(_url("inpaint", org, photo)).content.decode()
    assert '<canvas width="160" height="120"' in html
    assert 'name="mask"' in html
    assert 'name="prompt"' in html
    assert "Apply · 8 credits" in html
    assert "You have <strong>20</strong> credits available" in html
    assert events("image_edit_opened") == [{"influencer_id": None, "image_id": str(photo.public_id), "edit": "inpaint"}]


@pytest.mark.django_db
def test_applying_goes_to_the_job_page_which_shows_the_result_beside_the_original(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("inpaint", org, photo),
            {"prompt": "add a nano banana", "mask": mask_file(), "key": "8a1b1b1e-3333-4111-8111-111111111111"},
        )
    job = EditJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    html = client.get(job.get_absolute_url()).content.decode()
    assert 'alt="The original"' in html
    assert 'alt="The result"' in html
    assert "add a nano banana" in html
    assert "labelled placeholder painted into the mask, not AI" in html
    assert "8 credits charged" in html


@pytest.mark.django_db
def test_a_refused_mask_comes_back_with_the_reason_and_the_description_kept(login, org, fund, photo):
    fund(20)
    response = login("member").post(
        _url("inpaint", org, photo), {"prompt": "add a nano banana", "mask": mask_file(mask_png(size=(80, 60)))}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The mask is 80 × 60 px but the image is 160 × 120 px." in html
    assert ">add a nano banana</textarea>" in html
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_without_credits_the_page_says_the_numbers_and_keeps_the_mask(login, org, fund, photo):
    fund(5)
    response = login("member").post(_url("inpaint", org, photo), {"prompt": "a red scarf", "mask": mask_file()})
    html = response.content.decode()
    assert response.status_code == 400
    assert "This edit needs 8 credits and you have 5 available. Nothing was charged." in html
    assert 'data-mask-src="data:image/png;base64,' in html
    assert ">a red scarf</textarea>" in html
    nothing_charged(org, 5)


@pytest.mark.django_db
def test_a_double_click_starts_one_job(login, org, fund, photo):
    fund(20)
    client = login("member")
    data = {"prompt": "a scarf", "key": "8a1b1b1e-4444-4111-8111-111111111111"}
    first = client.post(_url("inpaint", org, photo), {**data, "mask": mask_file()})
    second = client.post(_url("inpaint", org, photo), {**data, "mask": mask_file()})
    assert first["Location"] == second["Location"]
    assert EditJob.objects.count() == 1
    assert credits_available(org) == 12


@pytest.mark.django_db
def test_a_video_has_no_edit_form(login, org, fund, photo):
    fund(20)
    Asset.objects.filter(pk=photo.pk).update(kind=Asset.Kind.VIDEO)
    html = login("member").get(_url("inpaint", org, photo)).content.decode()
    assert "This can't be inpainted" in html
    assert "this is a video" in html
    assert "<canvas" not in html


@pytest.mark.django_db
def test_a_failed_edit_can_be_painted_again_from_its_job(settings, login, start, org, photo):
    settings.DEMO_PROVIDER_FAILURE_RATE = 1.0
    failed = start(prompt="a red wool scarf")
    client = login("member")
    card = client.get(reverse("generation:job_card", args=[org.slug, failed.public_id])).content.decode()
    again_url = _url("inpaint", org, photo) + f"?from={failed.public_id}"
    assert again_url in card
    assert "Retry (8 credits)" in card
    html = client.get(again_url).content.decode()
    assert ">a red wool scarf</textarea>" in html
    assert 'data-mask-src="data:image/png;base64,' in html


@pytest.mark.django_db
def test_the_finished_card_brings_the_result_onto_the_job_page(login, start, org):
    job = start()
    response = login("member").get(reverse("generation:job_card", args=[org.slug, job.public_id]))
    html = response.content.decode()
    assert response.status_code == 286
    assert 'id="job-pair" hx-swap-oob="true"' in html
    assert 'id="job-details" hx-swap-oob="true"' in html
    assert 'alt="The result"' in html
    compact = login("member").get(reverse("generation:job_card", args=[org.slug, job.public_id]) + "?compact=1")
    assert "hx-swap-oob" not in compact.content.decode()


@pytest.mark.django_db
def test_the_clothes_page_shows_the_twenty_outfits_and_the_library(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    garment = AssetFactory(org=org, filename="jacket.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        html = login("member").get(_url("clothes", org, photo)).content.decode()
    assert html.count('name="outfit"') == 20
    assert "Cosy knit sweater" in html
    assert f'value="{garment.public_id}"' in html
    assert f'value="{photo.public_id}"' not in html  # not itself
    assert "Change clothes · 12 credits" in html
    assert events("image_edit_opened")[0]["edit"] == "clothes"


@pytest.mark.django_db
def test_picking_an_outfit_starts_the_change(login, org, fund, photo):
    fund(20)
    response = login("member").post(_url("clothes", org, photo), {"via": "outfit", "outfit": "business_suit"})
    job = EditJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.kind == "clothes"
    assert job.params["outfit_words"] == "a tailored business suit"


@pytest.mark.django_db
def test_an_uploaded_clothing_photo_is_kept_in_the_library_and_tried_on(
    login, org, fund, photo, django_capture_on_commit_callbacks
):
    fund(20)
    upload = SimpleUploadedFile("jacket.jpg", jpeg_bytes((90, 120), seed=7), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(
            _url("clothes", org, photo), {"via": "photo", "outfit": "casual_jeans", "clothing": upload}
        )
    assert response.status_code == 302
    job = EditJob.objects.get()
    garment = Asset.objects.get(title="Clothing for beach")
    assert garment.source == Asset.Source.UPLOAD
    assert job.reference == garment
    assert job.params["via"] == "photo"
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert set(job.result.parents.all()) == {photo, garment}


@pytest.mark.django_db
def test_a_clothing_file_that_is_not_an_image_is_refused_next_to_the_field(login, org, fund, photo):
    fund(20)
    upload = SimpleUploadedFile("jacket.jpg", b"GIF89a not really", content_type="image/jpeg")
    response = login("member").post(_url("clothes", org, photo), {"via": "photo", "clothing": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'<ul class="errors" id="clothing-errors">\s*<li>This file is a GIF image', html)
    nothing_charged(org, 20)


@pytest.mark.django_db
def test_choosing_a_library_image_and_a_refusal_keeps_the_choice(login, org, fund, photo):
    fund(5)
    garment = AssetFactory(org=org, filename="dress.jpg")
    response = login("member").post(
        _url("clothes", org, photo), {"via": "photo", "clothing_asset": str(garment.public_id)}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This edit needs 12 credits and you have 5 available." in html
    assert f'value="{garment.public_id}" checked' in html
    assert 'value="photo" id="via-photo" checked' in html
    nothing_charged(org, 5)


@pytest.mark.django_db
def test_neither_outfit_nor_photo_is_explained(login, org, fund, photo):
    fund(20)
    client = login("member")
    html = client.post(_url("clothes", org, photo), {"via": "outfit"}).content.decode()
    assert edits.NO_OUTFIT in html
    html = client.post(_url("clothes", org, photo), {"via": "photo"}).content.decode()
    assert edits.NO_CLOTHING in html
    nothing_charged(org, 20)
