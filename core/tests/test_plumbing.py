"""The dev inbox, the health check, the 403 and 404 pages and HTMX message delivery."""

import importlib

import pytest
from django.core.mail import send_mail
from django.urls import clear_url_caches

from core.tests.pages import text_of
from orgs.models import Role
from tests.factories import MembershipFactory
from tests.more_factories import StaffUserFactory

# --- Development inbox ------------------------------------------------------------------------


@pytest.fixture
def debug_urls(settings):
    """The site's URLs as a DEBUG run mounts them (the dev inbox is only mounted then)."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_it_does_not_mount_the_dev_inbox_when_debug_is_off(client, db, mailbox):
    send_mail("Reset your password", "Body", None, ["p@example.com"])
    mail_id = mailbox.only().id
    client.force_login(StaffUserFactory())

    for url in ("/dev/mail/", f"/dev/mail/{mail_id}/", f"/dev/mail/{mail_id}/html/"):
        assert client.get(url).status_code == 404


def test_it_shows_every_message_in_the_dev_inbox_when_debug_is_on(client, db, mailbox, debug_urls):
    send_mail("Hello there", "Body", None, ["p@example.com"], html_message="<p>Rich body</p>")
    mail_id = mailbox.only().id

    assert "Hello there" in text_of(client.get("/dev/mail/"))
    assert "Plain-text version" in text_of(client.get(f"/dev/mail/{mail_id}/"))
    html = client.get(f"/dev/mail/{mail_id}/html/")
    assert "<p>Rich body</p>" in html.content.decode()
    assert html["Content-Security-Policy"].startswith("default-src 'none'")
    assert html["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/dev/mail/no-such-mail/").status_code == 404


def test_it_never_serves_the_dev_inbox_with_a_real_provider(client, db, mailbox, debug_urls, settings):
    settings.EMAIL_PROVIDER = "postmark"

    assert client.get("/dev/mail/").status_code == 404


# --- Health -----------------------------------------------------------------------------------


def test_it_reports_health_to_anonymous_load_balancers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


# --- Errors and messages ----------------------------------------------------------------------


def test_it_explains_a_403_in_words(client, people):
    client.force_login(people.member)

    response = client.post("/o/northstar/settings/members/invite/", {"email": "kim@example.com", "role": "member"})

    assert response.status_code == 403
    page = text_of(response)
    assert "You can't do that here" in page
    assert "Only owners and admins can do this. Ask one of them if you need it done." in page


def test_it_gives_the_same_404_for_a_missing_org_and_someone_elses(client, people):
    client.force_login(people.owner)

    missing = client.get("/o/no-such-org/")
    theirs = client.get("/o/rival/")

    assert missing.status_code == theirs.status_code == 404
    assert text_of(missing) == text_of(theirs)


def test_it_delivers_messages_with_htmx_responses_once(client, people, org):
    member = MembershipFactory(org=org, role=Role.VIEWER)
    client.force_login(people.owner)
    headers = {"HX-Request": "true", "HX-Target": "members-panel"}

    response = client.post(
        f"/o/northstar/settings/members/{member.public_id}/role/", {"role": "viewer"}, headers=headers
    )
    response = client.post(f"/o/northstar/settings/members/{member.public_id}/remove/", headers=headers)

    body = response.content.decode()
    assert body.count('id="messages"') == 1
    assert 'hx-swap-oob="beforeend"' in body
    assert "was removed from Northstar Talent" in text_of(response)
    assert "is now viewer" not in text_of(response)
    assert "HX-Request" in response["Vary"]
    assert "was removed from" not in text_of(client.get("/o/northstar/"))


def test_it_renders_the_whole_page_when_htmx_targets_something_else(client, people):
    client.force_login(people.owner)

    response = client.get("/o/northstar/settings/members/", headers={"HX-Request": "true", "HX-Target": "elsewhere"})

    assert "<html" in response.content.decode()
