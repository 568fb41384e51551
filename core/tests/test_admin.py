"""The support admin: every changelist loads with a search and a filter."""

import pytest

from accounts.models import QuestionnaireResponse
from billing.models import Plan
from core.tests.pages import text_of
from orgs.models import Role
from tests.factories import UserFactory
from tests.more_factories import InvitationFactory, JoinRequestFactory, StaffUserFactory


@pytest.fixture
def support(client, people, org):
    InvitationFactory(org=org, email="kim@example.com", role=Role.VIEWER, invited_by=people.admin)
    JoinRequestFactory(org=org, user=UserFactory(email="sam@example.com"))
    QuestionnaireResponse.objects.create(user=people.owner, skipped=True)
    QuestionnaireResponse.objects.create(user=people.admin, role="agency", team_size="2-5")
    staff = StaffUserFactory(email="support@personae.local")
    client.force_login(staff)
    return staff


CHANGELISTS = [
    ("accounts/user", "q=northstar&onboarded_at__isempty=0&is_staff__exact=0", "4 users"),
    ("orgs/organization", "q=northstar&allow_join_requests__exact=1", "1 organisation"),
    ("orgs/membership", "q=northstar&role__exact=owner", "1 membership"),
    ("orgs/invitation", "q=kim&status__exact=pending", "1 invitation"),
    ("orgs/joinrequest", "q=sam&status__exact=pending", "1 join request"),
    ("accounts/questionnaireresponse", "q=example.com&skipped__exact=1", "1 questionnaire response"),
    ("billing/plan", "q=studio&is_public__exact=1", "1 plan"),
]


@pytest.mark.parametrize(("model", "query", "found"), CHANGELISTS, ids=[c[0] for c in CHANGELISTS])
def test_it_searches_and_filters_every_changelist(client, support, model, query, found):
    response = client.get(f"/admin/{model}/?{query}")

    assert response.status_code == 200
    assert found in text_of(response)


def test_it_finds_an_organisation_by_its_id(client, support, org):
    response = client.get(f"/admin/orgs/organization/?q={org.public_id}&plan__id__exact={org.plan_id}")

    assert response.status_code == 200
    assert "1 organisation" in text_of(response)


def test_it_opens_a_user_and_an_organisation(client, support, people, org):
    user_page = client.get(f"/admin/accounts/user/{people.owner.pk}/change/")
    org_page = client.get(f"/admin/orgs/organization/{org.pk}/change/")

    assert user_page.status_code == org_page.status_code == 200
    assert "Northstar Talent" in text_of(user_page)
    assert people.viewer.email in text_of(org_page)


def test_it_keeps_people_who_are_not_staff_out(client, people):
    client.force_login(people.owner)

    for url in ("/admin/", "/admin/orgs/organization/", f"/admin/billing/plan/{Plan.objects.first().pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_staff_see_packs_refused_prompts_and_analytics(client, support, people, org):
    from analytics.models import Event as AnalyticsEvent
    from characters.tests.factories import CharacterFactory
    from generation.tests.factories import GenerationImageFactory, GenerationJobFactory
    from safety.models import SafetyEvent

    job = GenerationJobFactory(character=CharacterFactory(org=org, name="Nova Reyes", origin="wizard"))  # face swap
    GenerationImageFactory(job=job, seed=1, status="failed", error="Simulated failure")
    SafetyEvent.objects.create(org=org, user=people.member, where="studio", text="a teen at school", matched="teen")
    AnalyticsEvent.objects.create(name="studio_opened", org=org, user=people.member, properties={"mode": "hd"})

    packs_page = client.get("/admin/generation/generationjob/?q=nova&status__exact=queued&mode__exact=face_swap")
    assert "1 image pack" in text_of(packs_page)
    assert "Simulated failure" in text_of(client.get(f"/admin/generation/generationjob/{job.pk}/change/"))
    refusals = client.get("/admin/safety/safetyevent/?q=teen&where__exact=studio")
    assert "a teen at school" in text_of(refusals)
    events = client.get("/admin/analytics/event/?name__exact=studio_opened")
    assert "1 analytics event" in text_of(events)
