"""The style pages: extract from the asset page, watch it arrive, edit it (screened for minors like
typed prompts), use it in the Studio, delete it; viewers look but don't change; another org's style
is a 404."""

import html

import pytest

from assets.tests.factories import AssetFactory
from billing.services import credits_available
from core.jobs import JobStatus
from safety.models import SafetyEvent
from styles.models import StyleRecipe
from styles.tests.factories import WORDS, style_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="street.jpg", size=(160, 240))


def _edit(style, **changes):
    return {"name": style.name, **WORDS, **changes}


def test_the_asset_page_offers_extract_style_at_its_price(login, org, photo, fund):
    fund(3)
    page = login("member").get(f"/o/{org.slug}/library/{photo.public_id}/").content.decode()

    assert "Extract style" in page
    assert "1 credit" in page
    assert f"/o/{org.slug}/library/{photo.public_id}/style/" in page


def test_extract_style_runs_and_shows_the_recipe(login, org, photo, fund, django_capture_on_commit_callbacks):
    fund(3)
    client = login("member")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/{org.slug}/library/{photo.public_id}/style/", {"key": "k-1"})

    style = StyleRecipe.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/o/{org.slug}/styles/{style.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert style.name in page
    assert "Demo recipe" in page  # no vision model configured: measured from the pixels, and it says so
    assert "Use in Studio" in page
    assert 'class="swatch-chip"' in page
    assert credits_available(org) == 2
    listing = client.get(f"/o/{org.slug}/styles/").content.decode()
    assert style.name in listing


def test_without_credits_extracting_is_refused_on_the_asset_page(login, org, photo):
    client = login("member")

    response = client.post(f"/o/{org.slug}/library/{photo.public_id}/style/", follow=True)

    assert "Extracting a style needs 1 credit and you have 0 available. Nothing was charged." in html.unescape(
        response.content.decode()
    )
    assert StyleRecipe.objects.count() == 0


def test_a_running_extraction_polls_until_it_ends(login, org, photo):
    style = StyleRecipe.objects.create(org=org, source=photo, name="Working", operation="style_extraction")
    client = login("viewer")

    page = client.get(f"/o/{org.slug}/styles/{style.public_id}/").content.decode()
    assert "Reading the image" in page
    assert f'hx-get="/o/{org.slug}/styles/{style.public_id}/status/"' in page
    assert client.get(f"/o/{org.slug}/styles/{style.public_id}/status/").status_code == 200

    StyleRecipe.objects.filter(pk=style.pk).update(status=JobStatus.FAILED, error="The vision model timed out.")
    done = client.get(f"/o/{org.slug}/styles/{style.public_id}/status/")
    assert done.status_code == 286
    assert "The vision model timed out." in done.content.decode()


def test_editing_saves_the_words(login, org, photo):
    style = style_ready(org, source=photo)
    client = login("member")

    response = client.post(
        f"/o/{org.slug}/styles/{style.public_id}/", _edit(style, name="Bridge at dusk", pose="sitting on the steps")
    )

    assert response.status_code == 302
    style.refresh_from_db()
    assert (style.name, style.pose, style.edited_at is not None) == ("Bridge at dusk", "sitting on the steps", True)


def test_an_edit_naming_a_minor_is_refused_on_its_field_and_nothing_changes(login, org, photo):
    style = style_ready(org, source=photo)
    client = login("member")

    response = client.post(
        f"/o/{org.slug}/styles/{style.public_id}/", _edit(style, pose="a 12 year old girl on the steps")
    )

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "a 12 year old girl on the steps" in page  # what they typed is kept in the form
    assert "Style recipes can't" in page
    style.refresh_from_db()
    assert style.pose == WORDS["pose"]
    assert SafetyEvent.objects.filter(where="style_recipe").count() == 1


def test_an_aperture_in_the_camera_field_is_not_taken_for_an_age(login, org, photo):
    style = style_ready(org, source=photo)

    response = login("member").post(f"/o/{org.slug}/styles/{style.public_id}/", _edit(style, camera="50 mm at f/16"))

    assert response.status_code == 302
    style.refresh_from_db()
    assert style.camera == "50 mm at f16"


def test_an_empty_recipe_or_a_long_field_is_refused(login, org, photo):
    style = style_ready(org, source=photo)
    client = login("member")
    url = f"/o/{org.slug}/styles/{style.public_id}/"

    empty = client.post(url, {"name": "Nothing", **dict.fromkeys(WORDS, "")})
    long = client.post(url, _edit(style, mood="calm " * 100))

    assert empty.status_code == long.status_code == 400
    assert "A style needs words in at least one field." in empty.content.decode()
    assert "Keep this to 300 characters." in long.content.decode()
    style.refresh_from_db()
    assert style.mood == WORDS["mood"]


def test_use_in_studio_offers_it_and_goes_on_to_pick_a_character(login, org, photo):
    style = style_ready(org, source=photo)
    client = login("member")

    response = client.post(f"/o/{org.slug}/styles/{style.public_id}/studio/", {"offered": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/o/{org.slug}/studio/?style={style.public_id}"
    style.refresh_from_db()
    assert style.in_studio
    client.post(f"/o/{org.slug}/styles/{style.public_id}/studio/", {"offered": "0"})
    style.refresh_from_db()
    assert not style.in_studio


def test_a_failed_style_cannot_go_to_the_studio(login, org, photo):
    style = StyleRecipe.objects.create(org=org, source=photo, name="Failed", status=JobStatus.FAILED, error="x")

    response = login("member").post(f"/o/{org.slug}/styles/{style.public_id}/studio/", follow=True)

    assert "isn't ready" in html.unescape(response.content.decode())
    style.refresh_from_db()
    assert not style.in_studio


def test_a_viewer_sees_the_recipe_but_cannot_change_it(login, org, photo):
    style = style_ready(org, source=photo)
    client = login("viewer")

    page = client.get(f"/o/{org.slug}/styles/{style.public_id}/").content.decode()
    response = client.post(f"/o/{org.slug}/styles/{style.public_id}/", _edit(style, name="Changed"))

    assert "Save changes" not in page
    assert "Use in Studio" not in page
    assert response.status_code == 302
    style.refresh_from_db()
    assert style.name == "Sunset bridge"


def test_delete_removes_the_style(login, org, photo):
    style = style_ready(org, source=photo)

    response = login("member").post(f"/o/{org.slug}/styles/{style.public_id}/delete/")

    assert response.status_code == 302
    assert not StyleRecipe.objects.filter(pk=style.pk).exists()


def test_another_orgs_style_is_a_404_like_a_missing_one(login, org, people):
    theirs = style_ready(people.other_org)
    client = login("owner")

    for suffix, method in [("", "get"), ("status/", "get"), ("", "post"), ("studio/", "post"), ("delete/", "post")]:
        response = getattr(client, method)(f"/o/{org.slug}/styles/{theirs.public_id}/{suffix}")
        assert response.status_code == 404, suffix
    theirs.refresh_from_db()
    assert (theirs.name, theirs.in_studio) == ("Sunset bridge", False)


def test_the_list_says_what_to_do_when_there_are_no_styles(login, org):
    page = login("viewer").get(f"/o/{org.slug}/styles/").content.decode()

    assert "No styles yet" in page
    assert "Extract style" in page


def test_the_library_selection_extracts_a_style_from_each_image(
    login, org, people, fund, django_capture_on_commit_callbacks
):
    fund(5)
    first, second = AssetFactory(org=org, filename="one.jpg"), AssetFactory(org=org, filename="two.jpg")
    theirs = AssetFactory(org=people.other_org, filename="theirs.jpg")
    client = login("member")
    library = client.get(f"/o/{org.slug}/library/").content.decode()
    assert "Extract styles · 1 credit each" in library

    ids = ",".join(str(a.public_id) for a in (first, second, theirs))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{org.slug}/library/styles/", {"ids": ids, "key": "5d6c1f3e-0d5c-4a55-9d65-1ef5b5c7a001"}
        )

    assert response["Location"] == f"/o/{org.slug}/styles/"
    assert sorted(StyleRecipe.objects.values_list("source__title", "status")) == [
        ("one", "succeeded"),
        ("two", "succeeded"),
    ]
    assert credits_available(org) == 3


def test_the_selection_is_refused_whole_when_credits_are_short(login, org, fund):
    fund(1)
    ids = ",".join(str(AssetFactory(org=org).public_id) for _ in range(2))

    response = login("member").post(f"/o/{org.slug}/library/styles/", {"ids": ids}, follow=True)

    assert "Extracting 2 styles needs 2 credits and you have 1 available. Nothing was started." in html.unescape(
        response.content.decode()
    )
    assert StyleRecipe.objects.count() == 0


def test_a_selection_of_another_orgs_images_starts_nothing(login, org, people, fund):
    fund(5)
    theirs = AssetFactory(org=people.other_org)

    response = login("member").post(f"/o/{org.slug}/library/styles/", {"ids": str(theirs.public_id)}, follow=True)

    assert "Select at least one image" in response.content.decode()
    assert StyleRecipe.objects.count() == 0
    assert credits_available(org) == 5


def test_the_selection_is_refused_whole_beyond_the_plans_jobs_at_once(login, org, fund):
    fund(20)
    ids = ",".join(str(AssetFactory(org=org).public_id) for _ in range(7))  # the Studio plan runs 6 at once

    response = login("member").post(f"/o/{org.slug}/library/styles/", {"ids": ids}, follow=True)

    assert "so at most 6 styles can start now" in html.unescape(response.content.decode())
    assert StyleRecipe.objects.count() == 0
    assert credits_available(org) == 20
