"""The job centre in a browser, for what isn't a paid job: an owner sees an import that worked (with
a link to the item), one that failed (tried again with one click) and the data export being built,
at desktop and phone widths, with nothing overflowing."""

import pytest
from playwright.sync_api import Page, expect

from assets.models import MediaImport
from assets.tests.factories import AssetRowFactory
from privacy.models import DataExport
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_imports_and_a_data_export_in_the_job_centre(page: Page, site, tmp_path, monkeypatch):
    from assets import fetching

    monkeypatch.setattr(fetching, "check_url", lambda url, policy: None)  # no DNS in tests
    monkeypatch.setattr("assets.services.imports._queue", lambda import_id: None)  # no worker
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    owner = MembershipFactory(org=org, role="owner").user
    photo = AssetRowFactory(org=org, title="Pinned summer look")
    done = MediaImport.objects.create(
        org=org,
        created_by=owner,
        media_url="https://i.pinimg.com/originals/aa/look.jpg",
        page_url="https://www.pinterest.com/pin/123/",
        status=MediaImport.Status.DONE,
        asset=photo,
    )
    failed = MediaImport.objects.create(
        org=org,
        created_by=owner,
        media_url="https://pins.example.org/gone.jpg",
        status=MediaImport.Status.FAILED,
        error="The site answered 404: the file is gone.",
    )
    export = DataExport.objects.create(
        org=org, requested_by=owner, status=DataExport.Status.RUNNING, progress=40, step="Adding the library"
    )

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/jobs/")

    row = page.locator(f"#job-{done.public_id}")
    expect(row).to_contain_text("Pinned summer look")
    expect(row).to_contain_text("From www.pinterest.com")
    expect(row.get_by_role("link", name="Open it")).to_have_attribute("href", f"/o/bright/library/{photo.public_id}/")
    running = page.locator(f"#job-{export.public_id}")
    expect(running).to_contain_text("Adding the library")
    expect(running.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "40")
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()  # laid out afresh at this width (no sidebar caught mid-slide)
        expect(page.locator(f"#job-{done.public_id}")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"overflow at {name}"
        page.screenshot(path=str(tmp_path / f"job-centre-activities-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator(f"#job-{failed.public_id}").get_by_role("button", name="Try again").click()
    expect(page.locator("#messages")).to_contain_text("started again")
    again = MediaImport.objects.exclude(pk__in=[done.pk, failed.pk]).get(org=org)
    expect(page.locator(f"#job-{again.public_id}")).to_contain_text("Queued")
