"""Projects in a browser, on the demo provider and a real Celery worker: create a project, upload a
Fountain script and a PDF, see each breakdown arrive (labelled demo), then ask the assistant a
question and watch the answer stream in, answered from the script with its source cited."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.services import credits_available, credits_grant
from projects.models import Breakdown, ChatMessage, Project
from projects.tests import screenplays
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_latency():
    return 1.5  # the demo's answer streams over this long


def test_a_member_breaks_a_script_down_and_asks_the_assistant(page: Page, site, worker, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=50, key="e2e-grant", description="Starter credits")
    fountain = tmp_path / "lighthouse.fountain"
    fountain.write_text(screenplays.SHORT)
    pdf = tmp_path / "lighthouse-draft.pdf"
    pdf.write_bytes(screenplays.pdf_of(screenplays.SHORT.replace("A sail, north by east.", "A sail, due west.")))
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1440, "height": 1000})
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Create the project from the sidebar.
    page.goto(f"{site.url}/o/bright/projects/")
    page.get_by_role("link", name="Create a project").click()
    page.get_by_label("Name").fill("The Lighthouse")
    page.get_by_role("button", name="Create project").click()
    expect(page.locator("h1")).to_contain_text("The Lighthouse")

    # Upload the Fountain script: the cost is shown before anything starts.
    page.get_by_label("Script file").set_input_files(str(fountain))
    page.get_by_role("button", name="Upload script").click()
    expect(page.locator("[data-cost]")).to_have_text("10 credits")
    page.get_by_role("button", name="Break down · 10 credits").click()

    # The breakdown arrives (polled), read from the script's structure and labelled as a demo.
    expect(page.locator(".breakdown-table")).to_contain_text("INT. LIGHTHOUSE KITCHEN - NIGHT", timeout=30_000)
    expect(page.get_by_text("Demo breakdown · not AI")).to_be_visible()
    page.locator("a[href='?tab=characters']").click()  # the breakdown's tab, not the sidebar
    expect(page.locator(".breakdown-table")).to_contain_text("Tomas")
    expect(page.get_by_role("link", name="Create a character from this").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "projects-breakdown.png"), full_page=True)

    # The PDF: its own text, its own breakdown.
    page.get_by_role("link", name="← The Lighthouse").click()
    page.screenshot(path=str(SHOTS / "projects-workspace.png"), full_page=True)
    page.get_by_label("Script file").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload script").click()
    expect(page.locator("h1")).to_have_text("lighthouse-draft")
    page.get_by_role("button", name="Break down · 10 credits").click()
    expect(page.locator(".breakdown-table")).to_contain_text("EXT. CLIFF PATH - DAY", timeout=30_000)
    assert Breakdown.objects.filter(status="succeeded").count() == 2

    # Ask the assistant: the answer streams in, then its sources are listed under it.
    project = Project.objects.get()
    page.goto(f"{site.url}/o/bright/projects/{project.public_id}/chat/")
    page.get_by_label("Your question").fill("What does Tomas polish in the lamp room?")
    page.get_by_role("button", name="Ask · 2 credits").click()
    answer = page.locator(".chat-message").last
    expect(answer.locator("[data-stop]")).to_be_visible()
    page.wait_for_function(
        "() => { const a = [...document.querySelectorAll('.chat-message')].pop();"
        " return a.dataset.streamUrl && a.querySelector('.chat-answer-text').textContent.length > 0; }",
        timeout=15_000,
    )  # part of the answer is on the page while it is still being written
    expect(answer.locator(".chat-answer-text")).to_contain_text("polishes the great LENS", timeout=15_000)
    expect(page.locator(".chat-message").last.locator(".chat-sources")).to_contain_text("scene 3", timeout=15_000)
    expect(page.locator(".chat-message").last).to_contain_text("Demo answer")
    expect(page.locator(".chat-message").last).to_contain_text("2 credits")
    page.screenshot(path=str(SHOTS / "projects-assistant.png"), full_page=True)

    message = ChatMessage.objects.get()
    assert message.status == "succeeded"
    assert "· scene 3" in message.sources[0]["title"]
    assert credits_available(org) == 50 - 10 - 10 - 2
    assert errors == []
