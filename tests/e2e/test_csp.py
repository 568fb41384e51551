"""Every page a person can reach, in a real browser, under the real Content-Security-Policy: the
public site and blog, the sign-in screens, every page of an organisation's owner with a library,
characters, packs, jobs and a team, the local Stripe checkout, the development inbox, and the
support admin and Wagtail's editor. Any violation fails the test: the browser's own
``securitypolicyviolation`` events, its console ("Refused to …") and the reports it POSTs to
our ``report-uri`` endpoint are all checked."""

import importlib
import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import clear_url_caches
from playwright.sync_api import Page, expect

import core.csp
from assets.tests.factories import AssetFactory
from blog.models import BlogPostPage
from characters.tests.factories import CharacterFactory
from tests.factories import PASSWORD
from tests.more_factories import StaffUserFactory
from tests.test_tenant_isolation import ORG_URLS, _library_objects, _licensing_objects, _url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The browser records violations itself, so a blocked inline script can't hide them.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder
NOT_PAGES = {
    "assets:download",
    "assets:export_download",
    "usage:daily_csv",
    "usage:operations_csv",
    "orgs:audit_log_csv",
    "projects:download",
    "projects:breakdown_export",
    "projects:chat_stream",
}


class Walk:
    def __init__(self, page: Page, base: str):
        self.page, self.base = page, base
        self.problems: list[str] = []
        self.visited: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error {error}"))

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text or "Permissions-Policy" in text:
            self.problems.append(f"{self.page.url}: {text}")

    def visit(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None, path
        assert response.status < 500, f"{path} answered {response.status}"
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(150)  # htmx's first requests and deferred scripts
        self.settle()
        self.visited.append(path)

    def settle(self) -> None:
        for entry in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{self.page.url}: {entry}")
        self.page.evaluate("window.__csp = []")


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


@pytest.fixture
def csp_reports(monkeypatch) -> list[dict]:
    """The reports our endpoint received, as it logged them. Read from the endpoint's own logger
    call, not from the logging tree, which other tests' setups (Celery's worker) reconfigure."""
    received: list[dict] = []
    warning = core.csp.logger.warning

    def spy(message, *args, **kwargs):
        received.append(json.loads(args[0]))
        warning(message, *args, **kwargs)

    monkeypatch.setattr(core.csp.logger, "warning", spy)
    return received


def test_every_page_runs_under_the_policy_without_a_violation(
    page: Page, site, org, people, settings, tmp_path, csp_reports
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_site", stdout=io.StringIO())
    call_command("sync_plans", stdout=io.StringIO())
    other = people.other_org
    objects = {org.slug: _library_objects(org), other.slug: {"character": CharacterFactory(org=other)}}
    _licensing_objects(objects, org.slug, other.slug)  # the licensing pages need a licence each way
    for n in range(3):
        AssetFactory(org=org, filename=f"beach-{n}.jpg", size=(320, 240))
    staff = StaffUserFactory(email="support@example.com")
    walk = Walk(page, site.url)

    # The public site, the blog and the sign-in screens.
    for path in ("/", "/pricing/", "/terms/", "/privacy/", "/acceptable-use/", "/cookies/", "/blog/"):
        walk.visit(path)
    post = page.locator("a[href^='/blog/']:not([href='/blog/'])").first
    walk.visit(post.get_attribute("href"))
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/api/v1/docs"):
        walk.visit(path)

    # Every page of the owner's organisation (ORG_URLS lists them all, the tenancy test keeps it whole).
    _log_in(page, site.url, people.owner.email)
    walk.settle()
    for path in ("/app/", "/account/", "/orgs/new/", "/onboarding/about-you/", "/onboarding/plan/"):
        walk.visit(path)
    for name, (methods, _role, _post_role, _kind) in sorted(ORG_URLS.items()):
        if "GET" not in methods or name in NOT_PAGES:
            continue
        walk.visit(_url(name, org.slug, objects, user=people.owner))

    # The library's interactions: a selection opens the batch sidebar, loaded by htmx.
    walk.visit(f"/o/{org.slug}/library/")
    page.locator(".tile-check input").first.check()
    page.get_by_role("button", name="Generate with a character…").click()
    expect(page.locator("#batch-drawer")).to_be_visible()
    page.wait_for_timeout(500)
    walk.settle()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "csp-library-batch.png"))

    # The local test-mode Stripe: its checkout page.
    walk.visit(f"/o/{org.slug}/billing/")
    page.locator('[data-plan="agency"] button, [data-plan="creator"] button').first.click()
    expect(page.locator("body")).to_contain_text("Test mode — no card is charged")
    walk.settle()

    # Staff: the support admin and Wagtail, which run under their own looser policy.
    page.context.clear_cookies()
    _log_in(page, site.url, staff.email)
    for path in ("/admin/", "/admin/orgs/organization/", f"/admin/orgs/organization/{org.pk}/change/", "/cms/"):
        walk.visit(path)
        assert "/login/" not in page.url, f"{path} sent staff to a login page"
    post_page = BlogPostPage.objects.live().first()
    for path in ("/cms/pages/", "/cms/images/", f"/cms/pages/{post_page.pk}/edit/"):
        walk.visit(path)
    # Wagtail's editor really ran: its scripts drew the editing form and the page's fields.
    expect(page.locator("form[data-edit-form], form#page-edit-form").first).to_be_visible()
    expect(page.locator("input[name='title']")).to_have_value(post_page.title)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "csp-cms-edit.png"))

    page.wait_for_timeout(500)  # reports are sent after the page, asynchronously
    assert len(walk.visited) >= 60  # public, auth, 45 org pages, admin and CMS: the walk really walked
    assert walk.problems == [], "\n".join(walk.problems)
    assert csp_reports == []


def test_injected_markup_is_blocked_and_reported(page: Page, site, org, people, csp_reports):
    """The other direction: a script that got into a page without the nonce doesn't run, and the
    browser reports it to our endpoint."""
    walk = Walk(page, site.url)
    _log_in(page, site.url, people.owner.email)
    walk.visit(f"/o/{org.slug}/")

    page.evaluate(
        """() => {
          const s = document.createElement('script'); s.textContent = 'window.__pwned = true'; document.body.append(s);
          const b = document.createElement('img'); b.setAttribute('onerror', 'window.__pwned = true'); b.src = '/x.png';
          document.body.append(b);
        }"""
    )
    page.wait_for_timeout(800)

    assert page.evaluate("window.__pwned === undefined")
    for _ in range(40):  # the event is queued as a task; on a busy machine it can come late
        walk.settle()
        if any("script-src" in problem for problem in walk.problems):
            break
        page.wait_for_timeout(250)
    assert any("script-src" in problem for problem in walk.problems)
    for _ in range(40):
        if csp_reports:
            break
        page.wait_for_timeout(250)
    assert any(report["effective-directive"].startswith("script-src") for report in csp_reports)


@pytest.fixture
def debug_urls(settings):
    """The development inbox is mounted only with DEBUG on."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_the_development_inbox_shows_mail_under_the_policy(page: Page, site, org, people, debug_urls, csp_reports):
    from django.core.mail import send_mail

    send_mail("Your invitation", "Join us", None, ["kim@example.com"], html_message="<p style='color:red'>Join us</p>")
    walk = Walk(page, site.url)

    walk.visit("/dev/mail/")
    page.get_by_role("link", name="Your invitation").first.click()
    page.wait_for_load_state("load")
    expect(page.frame_locator("iframe").locator("p")).to_have_text("Join us")
    walk.settle()

    assert walk.problems == [], "\n".join(walk.problems)
    assert csp_reports == []
