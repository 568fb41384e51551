"""Every tool accepts a project, in a browser on the demo provider and a real Celery worker: from a
project's page, upload a photo and start a Studio pack with the project already chosen, and see
both arrive in the project (its items, its jobs, its activity)."""

import io
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assets.services import asset_create_from_bytes
from assets.tests.factories import jpeg_bytes
from billing.services import credits_grant
from characters import identity
from characters.models import Character
from characters.tests import photos
from generation.models import GenerationJob
from projects.models import ProjectAsset
from projects.tests.factories import ProjectFactory
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 0.3


def _character(org, member):
    face = photos.photo("person-a-1")
    base = asset_create_from_bytes(org=org, data=face, filename="nova.jpg", created_by=member)
    character = Character.objects.create(
        org=org,
        name="Nova Reyes",
        origin="wizard",
        gender="female",
        age=27,
        base_image=base,
        avatar=base,
        created_by=member,
    )
    identity.reference_set(character, [identity.analyse(io.BytesIO(face))[0].embedding], source="base")
    return character


def test_from_a_project_an_upload_and_a_pack_land_in_it(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=100, key="e2e-grant", description="Starter credits")
    _character(org, member)
    project = ProjectFactory(org=org, name="Lagos Nights", created_by=member)
    ProjectFactory(org=org, name="Another show")
    still = tmp_path / "rooftop.jpg"
    still.write_bytes(jpeg_bytes(size=(320, 240), seed=11))
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1440, "height": 1000})
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The project's page offers the tools.
    page.goto(site.url + project.get_absolute_url())
    page.screenshot(path=str(SHOTS / "project-tools.png"), full_page=True)

    # Upload: the library opens with the project chosen for the uploads.
    page.get_by_role("link", name="Upload", exact=True).click()
    expect(page.get_by_label("Project", exact=True)).to_have_value(str(project.public_id))
    page.set_input_files("#upload-input", [str(still)])
    expect(page.locator("#upload-list .upload-item")).to_contain_text("Added to the library.", timeout=30_000)
    page.screenshot(path=str(SHOTS / "project-upload.png"))

    # New pack: the Studio's home, the character, the form with the project chosen.
    page.goto(site.url + project.get_absolute_url())
    page.get_by_role("link", name="New pack").click()
    page.get_by_role("link", name="Nova Reyes").click()
    expect(page.get_by_label("Project", exact=True)).to_have_value(str(project.public_id))
    page.locator("label.chip", has_text="Draft").click()
    page.check("input[name='count'][value='1']", force=True)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#pack .pack-title")).to_contain_text("ready", timeout=90_000)
    pack = GenerationJob.objects.get()

    # Both are in the project: the photo and the pack's image among its items, the pack among its jobs.
    page.goto(site.url + project.get_absolute_url())
    links = ProjectAsset.objects.filter(project=project)
    assert links.count() == 1 + pack.images.count()
    assert all(link.made_here for link in links)
    expect(page.locator(".project-thumbs").first.locator("li")).to_have_count(links.count())
    expect(page.locator("#jobs-title").locator("xpath=../..")).to_contain_text("Image pack")
    expect(page.locator(".timeline")).to_contain_text("“rooftop” arrived in the project")
    page.screenshot(path=str(SHOTS / "project-after.png"), full_page=True)
    assert errors == []
