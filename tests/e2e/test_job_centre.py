"""The job centre in a browser: a queued upscale's progress moves by itself (the estimate from
recent upscales' durations), a member cancels it and gets the credits back; the bell in the top bar
counts a new notification without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assets.tests.factories import AssetFactory
from billing.services import credits_available, credits_grant
from config.celery import app
from core.jobs import JobStatus
from generation.models import EditJob
from generation.services import upscale_start
from generation.tests.factories import EditJobFactory
from notifications.services import notify
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_progress_moves_a_job_is_cancelled_and_the_bell_counts(page: Page, site, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=20, key="e2e-grant", description="Starter credits")
    now = timezone.now()
    for _ in range(3):  # upscales take about 40 s here
        done = EditJobFactory(org=org, status=JobStatus.SUCCEEDED)
        EditJob.objects.filter(pk=done.pk).update(
            created_at=now - timedelta(hours=1, seconds=40), finished_at=now - timedelta(hours=1)
        )
    photo = AssetFactory(org=org, filename="portrait.jpg", size=(400, 300))
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        job = upscale_start(org=org, user=member, asset=photo, factor=2)  # no worker: it stays queued
        _watch_and_cancel(page, site, tmp_path, org, member, job)
    finally:
        app.conf.task_always_eager = True
        app.control.purge()


def _watch_and_cancel(page, site, tmp_path, org, member, job):

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/jobs/")

    row = page.locator(f"#job-{job.public_id}")
    expect(row).to_contain_text("Upscale 2× of")
    expect(row).to_contain_text(f"{job.credits} held")
    bar = row.get_by_role("progressbar")
    first = int(bar.get_attribute("aria-valuenow"))
    page.wait_for_timeout(5000)
    later = int(row.get_by_role("progressbar").get_attribute("aria-valuenow"))
    assert later > first, (first, later)  # polled and moved without a reload
    expect(row.locator("[data-field=progress]")).to_contain_text("About")
    page.screenshot(path=str(tmp_path / "job-centre-running.png"), full_page=True)

    row.get_by_role("button", name="Cancel").click()
    expect(page.locator("#messages")).to_contain_text("cancelled")
    expect(page.locator(f"#job-{job.public_id}")).to_contain_text("Cancelled")
    assert EditJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    assert credits_available(org) == 20
    page.screenshot(path=str(tmp_path / "job-centre-cancelled.png"), full_page=True)

    bell = page.locator("#notification-bell")
    expect(bell).to_have_attribute("data-unread", "0")
    notify(org=org, user=member, kind="test", title="Your pack is ready", email=False)
    expect(page.locator("#notification-bell")).to_have_attribute("data-unread", "1", timeout=30_000)
    expect(page.locator("#notification-bell [data-field=unread]")).to_have_text("1")
