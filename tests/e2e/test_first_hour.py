"""A new person's first hour, in a browser, on the demo provider and a real worker: the landing
page → sign up → verify → workspace → the dashboard's first-run guide → a wizard character → a
finished pack, its image and the breadcrumbs back. Every page is photographed at desktop and phone
widths, and checked: nothing wider than the screen, no label cut off, no console errors."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from characters.models import Character
from generation.models import GenerationJob
from tests.e2e.conftest import mail_links

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "violet-harbour-lantern-42"
DESKTOP, PHONE = 1280, 390
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots" / "first-hour"

# Text cut off by its own box: wider than the box, with the overflow hidden and no ellipsis to say so.
CLIPPED_JS = """() => [...document.querySelectorAll('h1, h2, h3, label, button, .btn, .badge, .pack-title, a')]
  .filter(el => el.offsetParent !== null && el.getClientRects().length)
  .filter(el => !el.closest('.sr-only'))  // visually hidden on purpose, for screen readers
  .filter(el => {
    const style = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(style.overflowX);
    return hides && style.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1;
  })
  .map(el => (el.innerText || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 60))"""


@pytest.fixture
def demo_latency():
    return 0.3


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def check(page: Page, name: str, console_errors: list[str]) -> None:
    """Photograph the page at desktop and phone widths and check each: no horizontal overflow, no
    clipped labels, no console errors so far."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900 if width == DESKTOP else 844})
        page.wait_for_timeout(250)  # the navigation drawer slides away below 820 px
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} at {width} px is {overflow} px wider than the screen"
        assert page.evaluate(CLIPPED_JS) == [], f"{name} at {width} px cuts off these labels"
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    assert console_errors == [], f"console errors on {name}"


def test_a_new_user_goes_from_the_landing_page_to_a_finished_pack(page: Page, site, worker, console_errors):
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto(site.url)
    check(page, "01-landing", console_errors)
    page.get_by_role("link", name="Sign up free").click()

    page.get_by_label("Email").fill("rosa@agency.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    check(page, "02-signup", console_errors)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [confirm] = mail_links("rosa@agency.test", r"https?://\S+/accounts/confirm-email/\S+")
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Organisation name").fill("Rosa Creative")
    page.get_by_role("button", name="Create organisation").click()
    page.get_by_role("button", name="Skip for now").click()
    page.get_by_role("button", name="Start on Free").click()

    # The dashboard's first-run guide points at the first step not done.
    guide = page.locator(".first-run")
    expect(guide).to_contain_text("Create your first character")
    check(page, "03-dashboard", console_errors)
    guide.get_by_role("link", name="Characters").click()

    page.get_by_role("link", name="New character").click()
    page.get_by_role("link", name="Open the wizard").click()
    form = page.locator("form.wizard-form")
    form.get_by_label("Name", exact=True).fill("Nova Reyes")
    form.locator("label.chip", has_text="Woman").click()
    form.get_by_label("Age", exact=True).fill("27")
    form.locator("label.chip", has_text="Auburn").click()
    form.locator("label.outfit", has_text="Leather jacket").click()
    check(page, "04-wizard", console_errors)
    page.get_by_role("button", name="Make four faces").click()

    faces = page.get_by_role("button", name="Use this face")
    expect(faces).to_have_count(4, timeout=60_000)
    check(page, "05-faces", console_errors)
    faces.first.click()
    character = Character.objects.get(name="Nova Reyes")
    expect(page.locator("#mode-badge")).to_contain_text("Face swap")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Characters")
    check(page, "06-character", console_errors)

    # The Studio: a beach pack of five draft images, on the Free plan's credits.
    page.get_by_role("link", name="Open the Studio").first.click()
    page.locator("label.preset", has_text="Beach day").click()
    page.locator("label.chip", has_text="Beach").first.click()
    expect(page.locator("[data-cost-line]")).to_have_text("5 images · 20 credits")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#pack .pack-title")).to_have_text("5 images ready", timeout=120_000)
    check(page, "07-pack", console_errors)
    # On a phone, the jump to the pack stops below the sticky top bar: "5 images ready" is not hidden.
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.goto(page.url.split("#")[0] + "#pack")
    title = page.locator("#pack .pack-title")
    expect(title).to_be_in_viewport()
    box = title.bounding_box()
    bar = page.locator(".topbar").bounding_box()
    assert box is not None
    assert bar is not None
    assert box["y"] >= bar["y"] + bar["height"], "the top bar covers the pack's title"
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    job = GenerationJob.objects.get(character=character)
    assert job.status == "succeeded"

    # An image of the pack: its breadcrumbs lead back to the character and the pack.
    page.locator("#pack .tile a.tile-media").first.click()
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link", name="Nova Reyes", exact=True)).to_be_visible()
    expect(crumbs.get_by_role("link", name="Nova Reyes's pack")).to_be_visible()
    check(page, "08-image", console_errors)
    crumbs.get_by_role("link", name="Nova Reyes's pack").click()
    expect(page.locator("#pack .pack-title")).to_have_text("5 images ready")

    # The account pages are in the app's style, in sentence case.
    page.goto(site.url + "/accounts/email/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Email addresses")
    check(page, "09-email-addresses", console_errors)
    page.goto(site.url + "/accounts/password/change/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    check(page, "10-password", console_errors)
