"""Every tool accepts a project (issue #21): the "Project" choice on upload, the Studio, edits,
video and the tools; what they make lands in the project (and its timeline), their jobs are
listed with it; another organisation's project, an archived one and a project deleted while its
job runs are each handled without losing anything."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from assets.models import Asset, Upload
from assets.services import asset_create_from_bytes
from assets.tests.factories import jpeg_bytes
from billing.services import credits_available
from characters.models import Character
from core import placement
from core.exceptions import DomainError
from core.tests.pages import text_of
from generation import services as generation_services
from generation.models import EditJob, GenerationJob
from generation.tests import conftest as generation_fixtures
from projects import selectors, services
from projects.models import ProjectAsset, ProjectCharacter, ProjectWork
from projects.tests.factories import ProjectFactory
from tests.factories import OrganizationFactory
from tools import services as tool_services
from tools.models import ToolJob
from tools.tests import fixtures as tool_fixtures
from video.models import VideoJob

pytestmark = pytest.mark.django_db

# The Studio's characters (a real face, a trained face model), as the generation tests make them.
face_photo = generation_fixtures.face_photo
swap_character = generation_fixtures.swap_character
hd_character = generation_fixtures.hd_character


@pytest.fixture(autouse=True)
def _faces_once(analyse_once):
    """dlib analyses each distinct image once per session."""


@pytest.fixture
def project(org, people):
    return ProjectFactory(org=org, name="Lagos Nights", created_by=people.member)


@pytest.fixture
def chart(org, people):
    return asset_create_from_bytes(org=org, data=tool_fixtures.chart(), filename="chart.jpg", created_by=people.member)


@pytest.fixture
def photo(org, people):
    return asset_create_from_bytes(
        org=org, data=jpeg_bytes(size=(160, 120), seed=7), filename="beach.jpg", created_by=people.member
    )


def _in_project(project) -> list[Asset]:
    return list(Asset.objects.filter(project_links__project=project).order_by("pk"))


def _upload(client, org, project_value: str, data: bytes, name: str = "still.jpg", capture=None) -> dict:
    start = client.post(
        reverse("assets:upload_start", args=[org.slug]),
        {"filename": name, "size": len(data), "content_type": "image/jpeg", "project": project_value},
    )
    if start.status_code != 201:
        return {**start.json(), "http": start.status_code}
    started = start.json()
    assert client.put(started["target"]["url"], data, content_type="application/octet-stream").status_code == 200
    with capture(execute=True):
        assert client.post(started["complete_url"]).status_code == 200
    return {**client.get(started["status_url"]).json(), "http": 200}


# --- Library upload -----------------------------------------------------------------------------------


def test_an_upload_with_a_project_lands_in_it_and_its_timeline(login, org, project, django_capture_on_commit_callbacks):
    client = login("member")
    data = jpeg_bytes(size=(120, 90), seed=3)
    answer = _upload(client, org, str(project.public_id), data, capture=django_capture_on_commit_callbacks)
    assert answer["status"] == "done", answer
    [asset] = _in_project(project)
    assert ProjectAsset.objects.get(asset=asset).made_here
    page = text_of(client.get(project.get_absolute_url()))
    assert f"“{asset.title}” arrived in the project" in page

    # The same file again is "already in your library", and is in the project all the same (once).
    other = ProjectFactory(org=org, name="Second unit")
    again = _upload(client, org, str(other.public_id), data, capture=django_capture_on_commit_callbacks)
    assert again["status"] == "duplicate"
    assert _in_project(other) == [asset]
    assert _in_project(project) == [asset]


def test_an_upload_without_a_project_lands_in_none(login, org, project, django_capture_on_commit_callbacks):
    answer = _upload(login("member"), org, "", jpeg_bytes(seed=4), capture=django_capture_on_commit_callbacks)
    assert answer["status"] == "done"
    assert not ProjectAsset.objects.exists()
    assert not ProjectWork.objects.exists()


@pytest.mark.parametrize("whose", ["another org's", "made up", "archived"])
def test_an_upload_into_a_project_it_cannot_go_to_is_refused_and_nothing_starts(login, org, project, whose):
    if whose == "another org's":
        value = str(ProjectFactory(org=OrganizationFactory()).public_id)
        words = "isn't one of this organisation's"
    elif whose == "made up":
        value = str(uuid.uuid4())
        words = "isn't one of this organisation's"
    else:
        services.project_archive(project=project, archived=True)
        value = str(project.public_id)
        words = "“Lagos Nights” is archived"
    answer = _upload(login("member"), org, value, jpeg_bytes(seed=5))
    assert answer["http"] == 400
    assert words in answer["error"]
    assert not Upload.objects.exists()
    assert not ProjectWork.objects.exists()


def test_the_library_offers_open_projects_and_preselects_the_one_it_is_filtered_to(login, org, project):
    archived = ProjectFactory(org=org, name="Old show")
    services.project_archive(project=archived, archived=True)
    ProjectFactory(org=OrganizationFactory(), name="Their show")
    html = login("member").get(reverse("assets:library", args=[org.slug]) + f"?project={project.public_id}")
    body = html.content.decode()
    assert 'name="upload-project"' in body
    assert f'<option value="{project.public_id}" selected>Lagos Nights</option>' in body
    assert "Old show" not in body
    assert "Their show" not in body


# --- The Studio -------------------------------------------------------------------------------------


STUDIO_FORM = {
    "scene": "night_out",
    "environment": "urban_street",
    "outfit": "",
    "aspect_ratio": "9:16",
    "quality": "draft",
    "count": "1",
    "seed": "",
    "prompt_text": "",
}


def test_a_pack_started_in_a_project_is_one_of_its_jobs_and_its_images_land_in_it(
    login, org, project, hd_character, fund, django_capture_on_commit_callbacks
):
    fund(100)
    client = login("member")
    studio = reverse("generation:studio", args=[org.slug, hd_character.public_id])
    # "New pack" on the project page → the Studio's home → the character, with the project chosen.
    home = client.get(reverse("generation:studio_home", args=[org.slug]) + f"?project={project.public_id}")
    assert f"{studio}?project={project.public_id}" in home.content.decode()
    form = client.get(f"{studio}?project={project.public_id}").content.decode()
    assert f'<option value="{project.public_id}" selected>Lagos Nights</option>' in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(studio, {**STUDIO_FORM, "key": str(uuid.uuid4()), "project": str(project.public_id)})
    assert response.status_code == 302
    pack = GenerationJob.objects.get()
    assert pack.status == "succeeded", pack.error
    delivered = [image.asset for image in pack.images.all()]
    assert delivered
    assert _in_project(project) == delivered
    assert [job.pk for job in selectors.work_jobs(project)] == [pack.pk]
    page = text_of(client.get(project.get_absolute_url()))
    assert f"Image pack: {pack.centre_title()}" in page


def test_a_pack_into_an_archived_project_is_refused_in_the_form_with_nothing_held(
    login, org, project, hd_character, fund
):
    fund(100)
    services.project_archive(project=project, archived=True)
    studio = reverse("generation:studio", args=[org.slug, hd_character.public_id])
    response = login("member").post(
        studio, {**STUDIO_FORM, "key": str(uuid.uuid4()), "project": str(project.public_id)}
    )
    assert response.status_code == 400
    assert "“Lagos Nights” is archived, so nothing new starts in it" in text_of(response)
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100


# --- Edits ------------------------------------------------------------------------------------------


def test_an_upscale_started_in_a_project_lands_in_it(
    login, org, project, photo, fund, django_capture_on_commit_callbacks
):
    fund(20)
    client = login("member")
    detail = client.get(reverse("assets:detail", args=[org.slug, photo.public_id]) + f"?project={project.public_id}")
    assert f'<option value="{project.public_id}" selected>Lagos Nights</option>' in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("generation:upscale", args=[org.slug, photo.public_id]),
            {"factor": "2", "key": str(uuid.uuid4()), "upscale-project": str(project.public_id)},
        )
    job = EditJob.objects.get()
    assert job.status == "succeeded", job.error
    assert _in_project(project) == [job.result]
    assert photo not in _in_project(project)  # the source stays where it was


def test_an_inpaint_into_another_orgs_project_is_a_form_error_and_nothing_starts(login, org, photo, fund):
    fund(20)
    theirs = ProjectFactory(org=OrganizationFactory(), name="Their show")
    from generation.tests.edit_helpers import mask_file

    response = login("member").post(
        reverse("generation:inpaint", args=[org.slug, photo.public_id]),
        {"prompt": "a red hat", "mask": mask_file(), "project": str(theirs.public_id), "key": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert "That project isn't one of this organisation's" in text_of(response)
    assert not EditJob.objects.exists()
    assert not ProjectWork.objects.exists()
    assert credits_available(org) == 20


def test_a_project_archived_between_the_form_and_the_start_refuses_the_job(org, people, project, photo, fund):
    """The engine's check at the start: the form was fine, the project was archived meanwhile."""
    fund(20)
    services.project_archive(project=project, archived=True)
    with pytest.raises(DomainError, match="archived"), placement.chosen(str(project.public_id)):
        generation_services.upscale_start(org=org, user=people.member, asset=photo, factor=2)
    assert not EditJob.objects.exists()
    assert credits_available(org) == 20


# --- Video ------------------------------------------------------------------------------------------


def test_a_video_made_in_a_project_lands_in_it(login, org, project, fund, django_capture_on_commit_callbacks):
    from characters.tests import photos

    landscape = asset_create_from_bytes(
        org=org, data=photos.jpeg(photos.fixture("person-a-1").resize((640, 400))), filename="terrace.jpg"
    )
    fund(100)
    client = login("member")
    url = reverse("video:make", args=[org.slug, landscape.public_id])
    page = client.get(f"{url}?project={project.public_id}").content.decode()
    assert f'<option value="{project.public_id}" selected>Lagos Nights</option>' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "prompt": "a slow push-in",
                "seconds": "6",
                "shape": "16:9",
                "resolution": "1080p",
                "speed": "fast",
                "project": str(project.public_id),
            },
        )
    assert response.status_code == 302
    job = VideoJob.objects.get()
    assert job.status == "succeeded", job.error
    [clip] = _in_project(project)
    assert clip.kind == Asset.Kind.VIDEO
    assert [j.pk for j in selectors.work_jobs(project)] == [job.pk]


# --- Tools ------------------------------------------------------------------------------------------


def test_a_grade_started_in_a_project_lands_in_it_and_is_one_of_its_jobs(
    login, org, project, chart, fund, django_capture_on_commit_callbacks
):
    fund(50)
    client = login("member")
    url = reverse("tools:grade", args=[org.slug, chart.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"look": "moody", "saturation": "-20", "project": str(project.public_id)})
    assert response.status_code == 302
    job = ToolJob.objects.get()
    assert job.status == "succeeded", job.error
    assert _in_project(project) == [job.result]
    page = text_of(client.get(project.get_absolute_url()))
    assert f"{ToolJob.kind_label()}: {job.centre_title()}" in page


def test_a_grade_into_another_orgs_project_is_refused_with_nothing_held(login, org, chart, fund):
    fund(50)
    theirs = ProjectFactory(org=OrganizationFactory())
    response = login("member").post(
        reverse("tools:grade", args=[org.slug, chart.public_id]),
        {"look": "moody", "project": str(theirs.public_id)},
    )
    assert response.status_code == 400
    assert "That project isn't one of this organisation's" in text_of(response)
    assert not ToolJob.objects.exists()
    assert not ProjectAsset.objects.exists()
    assert credits_available(org) == 50


def test_a_project_deleted_while_its_job_runs_leaves_the_result_in_the_library(
    login, org, people, project, chart, fund, django_capture_on_commit_callbacks
):
    fund(50)
    client = login("member")
    client.post(
        reverse("tools:grade", args=[org.slug, chart.public_id]),
        {"look": "moody", "project": str(project.public_id)},
    )  # queued: the worker hasn't run it
    job = ToolJob.objects.get()
    assert ProjectWork.objects.filter(project=project).count() == 1
    services.project_delete(project=project, user=people.owner, confirm_name=project.name)
    assert not ProjectWork.objects.exists()

    tool_services.tool_run(job.pk)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert Asset.objects.filter(pk=job.result_id).exists()
    assert not ProjectAsset.objects.exists()


# --- Characters -------------------------------------------------------------------------------------


def test_a_character_created_with_a_project_is_in_it(login, org, project):
    client = login("member")
    page = client.get(reverse("characters:new_photos", args=[org.slug]) + f"?project={project.public_id}")
    assert f'<option value="{project.public_id}" selected>Lagos Nights</option>' in page.content.decode()
    response = client.post(
        reverse("characters:new_photos", args=[org.slug]),
        {"name": "Ada Obi", "gender": "female", "age": "31", "project": str(project.public_id)},
    )
    assert response.status_code == 302
    character = Character.objects.get(name="Ada Obi")
    link = ProjectCharacter.objects.get(project=project, character=character)
    assert link.made_here
    assert "Created the character Ada Obi" in text_of(client.get(project.get_absolute_url()))


# --- The project page -------------------------------------------------------------------------------


def test_the_project_page_offers_the_tools_with_the_project_chosen(login, org, project):
    page = login("member").get(project.get_absolute_url()).content.decode()
    pid = project.public_id
    assert f"{reverse('assets:library', args=[org.slug])}?project={pid}#dropzone" in page
    assert f"{reverse('generation:studio_home', args=[org.slug])}?project={pid}" in page
    assert f"{reverse('characters:new', args=[org.slug])}?project={pid}" in page
    services.project_archive(project=project, archived=True)
    assert "Make something for this project" not in login("member").get(project.get_absolute_url()).content.decode()
