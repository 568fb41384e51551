"""The usage page in a browser, with a month of spending: the chart, the breakdowns, the CSV link."""

import os
import random
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from characters.tests.factories import CharacterFactory
from generation.tests.factories import EditJobFactory, GenerationImageFactory, GenerationJobFactory
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory
from usage.tests.spending import charge, provider_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder


def test_an_admin_reads_where_the_credits_went(page: Page, site):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    admin = MembershipFactory(org=org, role="admin", user__name="Maya Okafor").user
    member = MembershipFactory(org=org, role="member", user__name="Leo Brandt").user
    characters = [CharacterFactory(org=org, name=name) for name in ("Ava Reyes", "Noor", "Kai Tanaka")]
    draw = random.Random(7)
    for day in range(29, -1, -1):
        for _ in range(draw.choice((0, 1, 1, 2, 3))):
            character = draw.choice(characters)
            user = draw.choice((admin, member, member))
            if draw.random() < 0.7:
                pack = GenerationJobFactory(character=character, org=org)
                quality = draw.choice(("image_draft", "image_hq"))
                charge(pack, draw.choice((4, 8)) * draw.randint(1, 5), operation=quality, user=user, days_ago=day)
                provider_call(org, GenerationImageFactory(job=pack), str(draw.choice((0.0085, 0.035))))
            else:
                edit = EditJobFactory(org=org, source__character=character, operation="upscale")
                charge(edit, 8, operation="upscale", user=user, days_ago=day)
                provider_call(org, edit, None if draw.random() < 0.3 else "0.02")

    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Usage").click()

    expect(page.get_by_role("heading", name="Usage", exact=True)).to_be_visible()
    expect(page.locator("svg.daily-chart rect.bar").first).to_be_visible()
    expect(page.locator("[data-breakdown=character]")).to_contain_text("Ava Reyes")
    expect(page.locator("[data-breakdown=member]")).to_contain_text("Leo Brandt")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "usage-30.png"), full_page=True)
    page.get_by_role("link", name="90 days").click()
    expect(page.locator("svg.daily-chart title").first).to_contain_text("last 90 days")
    page.set_viewport_size({"width": 420, "height": 900})
    page.reload()
    page.screenshot(path=str(SHOTS / "usage-90-narrow.png"), full_page=True)

    # Staff read the margins of the same spending in the admin.
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    page.set_viewport_size({"width": 1360, "height": 900})
    page.goto(site.url + "/admin/")
    page.get_by_role("link", name="Margin report").click()
    expect(page.locator("#margin-report")).to_contain_text("Upscale 2× or 4×")
    page.screenshot(path=str(SHOTS / "margin-report.png"), full_page=True)
