"""Settings → Developers in a browser, under the real Content-Security-Policy: an admin makes a
key (shown once, copied), the key works against the API, they revoke it through the dialog, and add
a webhook endpoint; a refused address says why."""

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.models import ApiKey, WebhookEndpoint
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/personae-shots"))  # noqa: S108 -- a scratch folder


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_admin_makes_uses_and_revokes_a_key_and_adds_a_webhook(page: Page, site, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    admin = MembershipFactory(org=org, role="admin", user__name="Maya Okafor").user
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Developers").click()
    expect(page.get_by_role("heading", name="No API keys yet")).to_be_visible()

    page.get_by_label("Name").fill("Build server")
    page.get_by_label("Generate — Start and cancel packs, edits and videos. Spends credits.").check()
    page.get_by_role("button", name="Create key").click()
    shown = page.locator("#api-key-value")
    expect(shown).to_contain_text("pk_live_")
    whole = shown.inner_text().strip()
    _shot(page, "developers-key-created.png")
    answer = httpx.get(site.url + "/api/v1/assets/", headers={"Authorization": f"Bearer {whole}"})
    assert answer.status_code == 200

    page.reload()
    expect(page.locator("#api-key-value")).to_have_count(0)  # shown once
    row = page.locator("tr[data-key]")
    expect(row).to_contain_text("Read, Generate")
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.locator("tr[data-key]")).to_contain_text("Revoked")
    assert ApiKey.objects.get().revoked_at is not None
    answer = httpx.get(site.url + "/api/v1/assets/", headers={"Authorization": f"Bearer {whole}"})
    assert answer.status_code == 401

    page.get_by_label("Endpoint URL").fill("https://127.0.0.1/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#webhooks")).to_contain_text("private or local network")
    page.get_by_label("Endpoint URL").fill("https://93.184.215.14/personae")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("[data-endpoint]")).to_contain_text("https://93.184.215.14/personae")
    expect(page.locator("[data-endpoint] code")).to_contain_text("whsec_")
    assert WebhookEndpoint.objects.filter(org=org).count() == 1
    _shot(page, "developers-webhooks.png")
    assert violations == []
