"""The extension's connect page: a member picks the organisation and approves; a key scoped for the
extension is made (audited) and handed over on a page that works under the strict CSP."""

import json
import re

import pytest

from api.models import ApiKey
from audit import actions
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_connect_page_lists_the_orgs_a_member_can_save_to(login, org, people):
    client = login("member")
    page = client.get("/extension/connect/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="/o/{org.slug}/extension/connect/"' in html
    assert people.other_org.name not in html


def test_a_viewer_is_told_what_to_do(login, org):
    html = login("viewer").get("/extension/connect/").content.decode()
    assert "viewers can't" in html
    assert f"/o/{org.slug}/extension/connect/" not in html


def test_signed_out_people_are_sent_to_log_in(client):
    response = client.get("/extension/connect/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_approving_makes_a_scoped_key_and_hands_it_over_under_the_csp(login, org, people, settings):
    settings.EXTENSION_ID = "abcdefghijklmnopabcdefghijklmnop"
    client = login("member")
    response = client.post(f"/o/{org.slug}/extension/connect/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    key = ApiKey.objects.get()
    assert (key.org, key.created_by, key.name) == (org, people.member, "Style Extractor (Chrome)")
    assert sorted(key.scopes) == ["assets:write", "generate", "read"]
    html = response.content.decode()
    handover = json.loads(re.search(r'id="extension-handover" type="application/json">(.*?)</script>', html).group(1))
    assert handover["apiKey"].startswith(settings.API_KEY_PREFIX)
    assert (handover["org"], handover["extensionId"]) == (org.name, settings.EXTENSION_ID)
    # The only executable script tags carry the page's nonce; no inline handlers.
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<script(?![^>]*application/json)[^>]*>", html):
        assert f'nonce="{nonce}"' in tag
    assert not re.search(r"\son[a-z]+=", html)
    assert AuditEntry.objects.filter(org=org, action=actions.API_KEY_CREATED).exists()
    # The key works with the API at once.
    me = client.get("/api/v1/extension/me", headers={"Authorization": f"Bearer {handover['apiKey']}"})
    assert me.json()["org_slug"] == org.slug


def test_a_viewer_or_an_outsider_cannot_approve(login, org, client, people):
    assert login("viewer").post(f"/o/{org.slug}/extension/connect/").status_code == 403
    client.force_login(people.outsider)
    assert client.post(f"/o/{org.slug}/extension/connect/").status_code == 404
    assert not ApiKey.objects.exists()
