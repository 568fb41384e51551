"""One organisation's people can't see or touch another's, and roles gate every action.

Every org-scoped URL (a pattern in the ``orgs`` namespace with ``org_slug``) must have a row in
ORG_URLS; a new one fails ``test_every_org_url_has_a_row`` until its rules are written down.
"""

import uuid

import pytest
from django.urls import URLResolver, get_resolver

from core.tests.pages import text_of
from orgs.models import ROLE_RANK, Invitation, JoinRequest, Membership, Organization, Role
from tests.factories import UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory

GET, POST = "GET", "POST"
VIEWER, ADMIN, OWNER = Role.VIEWER, Role.ADMIN, Role.OWNER

# name: (methods, role needed to reach the view, role needed for a POST to change anything,
#        the object the URL's public_id names)
ORG_URLS = {
    "dashboard": ({GET}, VIEWER, None, None),
    "section": ({GET}, VIEWER, None, None),
    "billing": ({GET, POST}, VIEWER, OWNER, None),
    "settings": ({GET, POST}, VIEWER, ADMIN, None),
    "members": ({GET}, VIEWER, None, None),
    "invite": ({POST}, ADMIN, ADMIN, None),
    "leave": ({POST}, VIEWER, VIEWER, None),
    "member_role": ({POST}, ADMIN, ADMIN, "membership"),
    "member_remove": ({POST}, ADMIN, ADMIN, "membership"),
    "ownership_transfer": ({POST}, OWNER, OWNER, "membership"),
    "invitation_revoke": ({POST}, ADMIN, ADMIN, "invitation"),
    "invitation_resend": ({POST}, ADMIN, ADMIN, "invitation"),
    "join_request_approve": ({POST}, ADMIN, ADMIN, "join_request"),
    "join_request_decline": ({POST}, ADMIN, ADMIN, "join_request"),
}


def _org_url_patterns():
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and top.namespace == "orgs":
            for pattern in top.url_patterns:
                if "org_slug" in pattern.pattern.converters:
                    yield pattern.name, str(pattern.pattern)


ROUTES = dict(_org_url_patterns())


def test_every_org_url_has_a_row():
    assert set(ROUTES) == set(ORG_URLS)


@pytest.fixture
def targets(org, people):
    """One of each addressable object in ``org`` and in the outsider's org."""
    other = people.other_org
    Organization.objects.filter(pk=org.pk).update(email="billing@northstar.example")
    return {
        org.slug: {
            "membership": Membership.objects.get(org=org, user=people.member),
            "invitation": InvitationFactory(org=org, email="kim@example.com"),
            "join_request": JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com")),
        },
        other.slug: {
            "membership": Membership.objects.get(org=other, user=people.outsider),
            "invitation": InvitationFactory(org=other, email="lee@example.com"),
            "join_request": JoinRequestFactory(org=other, user=UserFactory(email="max@example.com")),
        },
    }


def _url(name, slug, targets, object_slug=None):
    route = ROUTES[name]
    kind = ORG_URLS[name][3]
    url = "/" + route.replace("<slug:org_slug>", slug).replace("<slug:section>", "studio")
    if kind:
        url = url.replace("<uuid:public_id>", str(targets[object_slug or slug][kind].public_id))
    return url


POST_DATA = {
    "billing": {"plan": "free"},
    "settings": {"name": "Changed", "email": "billing@northstar.example", "allow_join_requests": ""},
    "invite": {"email": "new@example.com", "role": "viewer"},
    "member_role": {"role": "viewer"},
    "join_request_approve": {"role": "viewer"},
}


def _request(client, method, url, name):
    if method == POST:
        return client.post(url, POST_DATA.get(name, {}))
    return client.get(url)


def _state():
    return (
        sorted(Organization.objects.values_list("pk", "name", "email", "plan_id", "allow_join_requests")),
        sorted(Membership.objects.values_list("org_id", "user_id", "role")),
        sorted(Invitation.objects.values_list("org_id", "email", "status")),
        sorted(JoinRequest.objects.values_list("org_id", "user_id", "status")),
    )


@pytest.mark.parametrize("name", ORG_URLS)
def test_an_outsider_gets_404_everywhere(client, org, people, targets, name):
    methods = ORG_URLS[name][0]
    client.force_login(people.outsider)
    before = _state()

    for method in (GET, POST):
        response = _request(client, method, _url(name, org.slug, targets), name)
        assert response.status_code == (404 if method in methods else 405), f"{method} {name}"

    assert _state() == before


@pytest.mark.parametrize("name", ORG_URLS)
def test_a_missing_org_looks_the_same_as_someone_elses(client, org, people, targets, name):
    methods = ORG_URLS[name][0]
    client.force_login(people.outsider)
    url = _url(name, org.slug, targets)

    for method in methods:
        theirs = _request(client, method, url, name)
        missing = _request(client, method, url.replace("/o/northstar/", "/o/no-such-org/"), name)
        assert theirs.status_code == missing.status_code == 404
        assert text_of(theirs) == text_of(missing)


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
@pytest.mark.parametrize("name", ORG_URLS)
def test_each_role_reaches_only_what_it_may(client, org, people, targets, name, role):
    methods, needed, writes, _ = ORG_URLS[name]
    client.force_login(getattr(people, role))
    rank = ROLE_RANK[Role(role)]
    before = _state()

    for method in methods:
        response = _request(client, method, _url(name, org.slug, targets), name)
        if rank < ROLE_RANK[needed]:
            assert response.status_code == 403, f"{role} {method} {name}"
            assert _state() == before
        else:
            assert response.status_code in (200, 302), f"{role} {method} {name} → {response.status_code}"
            if method == POST and rank < ROLE_RANK[writes]:
                assert _state() == before, f"{role} changed something with POST {name}"


OBJECT_URLS = [name for name, row in ORG_URLS.items() if row[3]]


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_an_admin_cannot_reach_another_orgs_objects_through_their_own_org(client, org, people, targets, name):
    # The owner for owner-only actions, so the role check can't hide a missing org check.
    actor = people.owner if ORG_URLS[name][1] == Role.OWNER else people.admin
    client.force_login(actor)
    before = _state()

    response = client.post(_url(name, org.slug, targets, object_slug=people.other_org.slug), POST_DATA.get(name, {}))

    assert response.status_code == 404
    assert _state() == before


def test_a_made_up_id_is_a_404_too(client, org, people, targets):
    client.force_login(people.owner)

    response = client.post(f"/o/northstar/settings/members/{uuid.uuid4()}/remove/")

    assert response.status_code == 404
