"""Project pages: create, rename, archive, delete with what goes listed (storage included), delete
refused while a job runs, the workspace, the script and breakdown pages, exports and the zip."""

import io
import zipfile

import pytest

from assets.tests.factories import AssetFactory
from characters.tests.factories import CharacterFactory
from projects import breakdowns, services
from projects.models import Breakdown, Passage, Project, Script
from projects.tests import screenplays
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    return ProjectFactory(org=org, name="Lighthouse", description="A storm drama")


def base(project):
    return f"/o/{project.org.slug}/projects/{project.public_id}/"


def test_it_creates_a_project_and_opens_its_workspace(login, org):
    client = login("member")

    response = client.post(
        f"/o/{org.slug}/projects/new/", {"name": "  Lagos   Nights ", "description": ""}, follow=True
    )

    project = Project.objects.get()
    assert project.name == "Lagos Nights"
    assert project.org == org
    assert response.redirect_chain[-1][0] == project.get_absolute_url()
    assert b"Upload script" in response.content
    assert b"Ask the assistant" in response.content


def test_a_nameless_project_is_refused_in_the_form(login, org):
    response = login("member").post(f"/o/{org.slug}/projects/new/", {"name": "   "})

    assert response.status_code == 400
    assert Project.objects.count() == 0


def test_archive_makes_it_read_only_and_restore_undoes_it(login, project, people):
    client = login("member")

    client.post(base(project) + "archive/", {"archived": "1"})
    project.refresh_from_db()
    response = client.post(
        base(project) + "scripts/", {"file": io.BytesIO(screenplays.SHORT.encode())}, format="multipart"
    )
    listed = client.get(f"/o/{project.org.slug}/projects/?archived=1")

    assert project.is_archived
    assert response.status_code == 400
    assert b"archived" in response.content
    assert b"Lighthouse" in listed.content
    client.post(base(project) + "archive/", {"archived": "0"})
    project.refresh_from_db()
    assert not project.is_archived


def test_uploading_a_script_shows_its_cost_before_anything_starts(login, project, fund):
    fund(50)
    client = login("member")
    upload = io.BytesIO(screenplays.long_fountain(120).encode())
    upload.name = "long.fountain"

    response = client.post(base(project) + "scripts/", {"file": upload, "title": "Long one"}, follow=True)

    script = Script.objects.get()
    estimate = breakdowns.estimate(script)
    assert script.title == "Long one"
    assert script.pages == 120
    assert f"{estimate.credits} credits".encode() in response.content
    assert Breakdown.objects.count() == 0


def test_a_bad_upload_says_why_on_the_workspace(login, project):
    upload = io.BytesIO(screenplays.scanned_pdf())
    upload.name = "scan.pdf"

    response = login("member").post(base(project) + "scripts/", {"file": upload})

    assert response.status_code == 400
    assert b"no text layer" in response.content
    assert Script.objects.count() == 0


def test_the_breakdown_page_has_tabs_sorting_exports_and_a_character_link(
    login, project, people, fund, django_capture_on_commit_callbacks
):
    fund(10)
    script = services.script_upload(
        project=project, user=people.member, filename="l.fountain", data=screenplays.SHORT.encode()
    )
    client = login("member")
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(base(project) + f"scripts/{script.public_id}/breakdown/")
    job = Breakdown.objects.get()
    url = job.get_absolute_url()

    characters = client.get(url + "?tab=characters&sort=-scenes")
    props = client.get(url + "?tab=props&sort=name").content.decode()
    csv = client.get(url + "export.csv?tab=scenes")
    exported = client.get(url + "export.json")

    assert started.url == url
    assert b"Demo breakdown" in characters.content
    assert b"Create a character from this" in characters.content
    assert b"characters/new/wizard/?name=Ada&amp;notes=ADA+%2840s%29" in characters.content
    assert props.index(">lantern<") < props.index(">telescope<")
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[1].startswith("1,INT. LIGHTHOUSE KITCHEN - NIGHT,INT,Night,1,1,")
    assert exported.json() == job.result


def test_the_wizard_opens_filled_in_from_a_breakdown_character(login, org):
    response = login("member").get(f"/o/{org.slug}/characters/new/wizard/?name=Ada&notes=A+keeper&gender=female&age=44")

    assert response.status_code == 200
    assert b'value="Ada"' in response.content
    assert b"A keeper</textarea>" in response.content
    assert b'value="44"' in response.content


def test_delete_lists_what_goes_and_removes_it_with_its_files(
    login, project, people, media_root, django_capture_on_commit_callbacks
):
    script = services.script_upload(
        project=project, user=people.member, filename="l.fountain", data=screenplays.SHORT.encode()
    )
    asset = AssetFactory(org=project.org, filename="still.jpg")
    services.project_assets_add(project=project, assets=[asset])
    character = CharacterFactory(org=project.org)
    services.project_character_add(project=project, character=character)
    client = login("admin")
    stored = list(media_root.rglob(f"{script.public_id}.fountain"))
    assert stored

    page = client.get(base(project) + "delete/").content.decode()
    wrong = client.post(base(project) + "delete/", {"confirm_name": "lighthouse"})
    assert wrong.status_code == 400
    assert Project.objects.filter(pk=project.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        with_files = client.post(base(project) + "delete/", {"confirm_name": "Lighthouse"})

    assert "1 script: l, and their 1 stored file" in page
    assert "1 library item and 1 character" in page
    assert with_files.status_code == 302
    assert not Project.objects.exists()
    assert not Script.objects.exists()
    assert not Passage.objects.exists()
    assert not stored[0].exists()
    asset.refresh_from_db()  # the library keeps its items and characters
    character.refresh_from_db()


def test_deleting_a_project_while_its_breakdown_runs_is_refused_with_the_way_out(login, project, people, fund):
    fund(10)
    script = services.script_upload(
        project=project, user=people.member, filename="l.fountain", data=screenplays.SHORT.encode()
    )
    breakdowns.breakdown_start(script=script, user=people.member)  # queued: the task hasn't run
    client = login("admin")

    page = client.get(base(project) + "delete/").content.decode()
    response = client.post(base(project) + "delete/", {"confirm_name": "Lighthouse"})

    assert "is still running" in page
    assert response.status_code == 400
    assert b"Wait for the breakdown of" in response.content
    assert Project.objects.filter(pk=project.pk).exists()
    assert Breakdown.objects.get().status == "queued"


def test_a_viewer_can_read_but_not_change_a_project(login, project):
    client = login("viewer")

    assert client.get(base(project)).status_code == 200
    assert client.post(base(project) + "edit/", {"name": "Mine"}).status_code == 403
    assert client.get(base(project) + "delete/").status_code == 403


def test_the_zip_holds_scripts_breakdowns_conversation_and_library_items(
    login, project, people, fund, django_capture_on_commit_callbacks
):
    fund(10)
    script = services.script_upload(
        project=project, user=people.member, filename="l.fountain", data=screenplays.SHORT.encode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        breakdowns.breakdown_start(script=script, user=people.member)
    services.project_assets_add(project=project, assets=[AssetFactory(org=project.org, filename="still.jpg")])

    response = login("viewer").get(base(project) + "download/")

    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"scripts/l.fountain", "breakdowns/l/breakdown.json", "breakdowns/l/props.csv", "README.md"} <= names
    assert any(n.startswith("library/") for n in names)
    assert archive.read("scripts/l.fountain").decode() == screenplays.SHORT
