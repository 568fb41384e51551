"""Allauth's account pages in the app's own style and in sentence case."""

import re

import pytest
from allauth.account.models import EmailAddress

from core.tests.pages import text_of

PAGES = {
    "/accounts/email/": "Email addresses",
    "/accounts/password/change/": "Change your password",
}
TITLE_CASE = ["Email Addresses", "Change Password", "Make Primary", "Re-send Verification", "Add Email", "Set Password"]


@pytest.mark.parametrize(("path", "heading"), PAGES.items())
def test_it_shows_the_account_pages_in_sentence_case_in_the_app_style(client, people, path, heading):
    EmailAddress.objects.update_or_create(
        user=people.member, email=people.member.email, defaults={"verified": True, "primary": True}
    )
    client.force_login(people.member)

    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf"<h1>\s*{heading}\s*</h1>", html)
    assert 'class="focus-card' in html  # the app's focus layout, like log in and sign up
    assert "static/account/js" not in html  # allauth's own scripts aren't used
    assert not [words for words in TITLE_CASE if words in text_of(response)]


def test_it_lists_each_address_with_its_state_and_the_actions(client, people):
    long_email = "a.very.long.address.for.the.agency.creative.team@subsidiary.example-holdings.test"
    EmailAddress.objects.update_or_create(
        user=people.member, email=people.member.email, defaults={"verified": True, "primary": True}
    )
    EmailAddress.objects.create(user=people.member, email=long_email, verified=False, primary=False)
    client.force_login(people.member)

    page = text_of(client.get("/accounts/email/"))

    assert "Primary" in page
    assert "Verified" in page
    assert "Not verified" in page
    assert long_email in page
    for action in ("Make primary", "Resend verification", "Remove", "Add address"):
        assert action in page


def test_the_sidebar_card_keeps_a_long_email_inside_it(client, people, org):
    people.member.email = "a.very.long.address.for.the.agency.creative.team@subsidiary.example-holdings.test"
    people.member.save()
    client.force_login(people.member)

    html = client.get(f"/o/{org.slug}/").content.decode()

    # Cut with an ellipsis by CSS (.switcher-role), the whole address in its title.
    assert f'<span class="switcher-role" title="{people.member.email}">' in html
