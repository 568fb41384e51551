"""Image → 3D pages: the Tools card, choosing an image, the form (faces, format, price, refusals
shown on the page), the job page (before, then the model in the viewer), the viewer page with
its downloads, and the cards on a library item."""

from django.urls import reverse

from assets.services import asset_create_from_bytes
from billing.services import credits_available
from core.jobs import JobStatus
from core.tests.pages import text_of
from tools.models import MeshJob
from tools.tests import fixtures


def test_the_tools_page_offers_image_to_3d_with_its_price(login, org):
    page = login("viewer").get(reverse("tools:home", args=[org.slug]))
    text = text_of(page)
    assert "Image to 3D" in text
    assert "25 credits a model" in text
    assert reverse("tools:mesh_choose", args=[org.slug]) in page.content.decode()


def test_choosing_an_image_lists_images_only(login, org, photo, video):
    page = login("member").get(reverse("tools:mesh_choose", args=[org.slug]))
    html = page.content.decode()
    assert reverse("tools:mesh_make", args=[org.slug, photo.public_id]) in html
    assert reverse("tools:mesh_make", args=[org.slug, video.public_id]) not in html


def test_making_a_model_from_the_page_shows_it_in_the_viewer(
    login, org, photo, fund, django_capture_on_commit_callbacks
):
    fund(100)
    client = login("member")
    form = client.get(reverse("tools:mesh_make", args=[org.slug, photo.public_id]))
    assert "Make the 3D model (25 credits)" in text_of(form)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tools:mesh_make", args=[org.slug, photo.public_id]), {"faces": "10000", "format": "obj"}
        )
    job = MeshJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.status == JobStatus.SUCCEEDED, job.error
    page = client.get(job.get_absolute_url())
    html = page.content.decode()
    assert "data-mesh-viewer" in html
    assert "tools/mesh-viewer.js" in html
    assert 'type="module"' in html
    assert "DEMO · a relief of the image" in text_of(page)
    card = client.get(reverse("tools:mesh_job_card", args=[org.slug, job.public_id]))
    assert card.status_code == 286
    viewer = client.get(reverse("tools:mesh_viewer", args=[org.slug, job.result.public_id]))
    assert viewer.status_code == 200
    assert "Download OBJ (zip)" in text_of(viewer)
    assert "Download GLB" in text_of(viewer)
    assert "by the offline demo provider (a relief of the image, not AI)" in text_of(viewer)
    assert "TRELLIS" not in text_of(viewer)
    # The library: the model's page shows its drawing and links to the viewer; the image's page offers a model.
    detail = client.get(reverse("assets:detail", args=[org.slug, job.result.public_id]))
    assert reverse("tools:mesh_viewer", args=[org.slug, job.result.public_id]) in detail.content.decode()
    assert "Open in the 3D viewer" in text_of(detail)
    source = client.get(reverse("assets:detail", args=[org.slug, photo.public_id]))
    assert reverse("tools:mesh_make", args=[org.slug, photo.public_id]) in source.content.decode()
    library = client.get(reverse("assets:library", args=[org.slug]))
    assert job.result.title in text_of(library)
    assert 'class="tile-file"' not in library.content.decode()  # the model's tile is its drawing, not an icon


def test_an_image_with_transparency_is_refused_on_the_page_and_nothing_is_held(login, org, fund):
    fund(100)
    cutout = asset_create_from_bytes(org=org, data=fixtures.chart(mode="RGBA", fmt="PNG"), filename="cutout.png")
    client = login("member")
    page = client.get(reverse("tools:mesh_make", args=[org.slug, cutout.public_id]))
    assert "has transparency" in text_of(page)
    assert "disabled" in page.content.decode()
    response = client.post(reverse("tools:mesh_make", args=[org.slug, cutout.public_id]), {"faces": "25000"})
    assert response.status_code == 400
    assert "has transparency" in text_of(response)
    assert not MeshJob.objects.exists()
    assert credits_available(org) == 100


def test_bad_choices_are_shown_by_their_fields(login, org, photo, fund):
    fund(100)
    response = login("member").post(
        reverse("tools:mesh_make", args=[org.slug, photo.public_id]), {"faces": "lots", "format": "fbx"}
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "Choose 10,000, 25,000 or 50,000 faces." in text
    assert "Choose GLB or OBJ." in text


def test_the_viewer_is_for_3d_models_only(login, org, photo):
    response = login("viewer").get(reverse("tools:mesh_viewer", args=[org.slug, photo.public_id]))
    assert response.status_code == 404


def test_the_tools_page_lists_a_3d_model_among_the_latest_runs(login, org, photo, fund):
    from tools.mesh_jobs import mesh_start

    fund(100)
    job = mesh_start(org=org, user=None, asset=photo)
    page = login("viewer").get(reverse("tools:home", args=[org.slug]))
    text = text_of(page)
    assert "No tool has run yet" not in text
    assert job.label in text
    assert job.get_absolute_url() in page.content.decode()
