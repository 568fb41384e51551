"""The credit history page, the top bar's credits pill and the credits card on the billing page."""

import re

import pytest

from billing.models import LedgerEntry
from billing.services import credits_adjust, credits_grant, hold_capture, hold_release, hold_reserve
from core.tests.pages import text_of
from orgs.models import Membership
from tests.more_factories import StaffUserFactory

CREDITS = "/o/northstar/credits/"


def _grant(org, amount, key="grant:1", description="Studio plan credits"):
    return credits_grant(org=org, amount=amount, key=key, description=description)


def _hold(org, amount, key="job:1", **kwargs):
    kwargs.setdefault("description", "Upscale 4× of “beach.jpg”")
    return hold_reserve(org=org, amount=amount, key=key, operation="upscale", **kwargs)


def _rows(response) -> list[str]:
    body = response.content.decode()
    return re.findall(r'<tr data-kind="(\w+)">', body)


# --- The page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
def test_everyone_in_the_org_sees_the_credit_history(client, people, org, role):
    _grant(org, 6000)
    client.force_login(getattr(people, role))

    response = client.get(CREDITS)

    assert response.status_code == 200
    page = text_of(response)
    assert "Credits" in page
    assert "Grant Studio plan credits" in page
    assert "+6,000" in page


def test_an_outsider_gets_a_404(client, people, org):
    _grant(org, 100)
    client.force_login(people.outsider)

    assert client.get(CREDITS).status_code == 404


def test_it_needs_a_login(client, org):
    response = client.get(CREDITS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_shows_balance_held_and_available(client, people, org):
    _grant(org, 100)
    _hold(org, 30)
    client.force_login(people.viewer)

    body = client.get(CREDITS).content.decode()

    assert re.search(r'data-field="available">\s*70\s*<', body)
    assert re.search(r'data-field="balance">\s*100\s*<', body)
    assert re.search(r'data-field="held">\s*30\s*<', body)


def test_it_tells_the_story_of_each_job(client, people, org, monkeypatch):
    job = Membership.objects.get(org=org, user=people.member)  # stands in for a generation job
    monkeypatch.setattr(
        Membership, "get_absolute_url", lambda self: f"/o/northstar/jobs/{self.public_id}/", raising=False
    )
    _grant(org, 100)
    captured = _hold(org, 40, key="job:1", subject=job, user=people.member, description="Pack of 5 images")
    hold_capture(hold=captured, amount=32)
    released = _hold(org, 8, key="job:2", user=people.admin, description="Upscale 4× of “beach.jpg”")
    hold_release(hold=released, reason="The provider timed out")
    _hold(org, 8, key="job:3", user=people.owner, description="Inpaint edit")
    credits_adjust(org=org, amount=-5, reason="Duplicate refund reversed", actor=StaffUserFactory(name="Sam Support"))
    client.force_login(people.viewer)

    response = client.get(CREDITS)

    page = text_of(response)
    assert _rows(response) == ["adjustment", "hold", "release", "hold", "capture", "hold", "grant"]
    assert "Hold Pack of 5 images" in page
    assert "Charge Pack of 5 images" in page
    assert "−32" in page
    assert "released 8" in page
    assert "held 40" in page
    assert "Release Upscale 4× of “beach.jpg” The provider timed out" in page
    assert "Adjustment Credits removed by Personae support Duplicate refund reversed" in page
    assert "Personae support" in page
    assert "Sam Support" not in page
    assert people.member.display_name in page
    assert f'href="/o/northstar/jobs/{job.public_id}/"' in response.content.decode()
    assert response.content.decode().count("View job") == 2  # the hold and the capture of that job


def test_it_never_shows_another_orgs_entries(client, people, org):
    _grant(org, 100, description="Northstar credits")
    _grant(people.other_org, 999, key="grant:rival", description="Rival credits")
    _hold(people.other_org, 50, key="job:rival", description="Rival's secret job")
    client.force_login(people.owner)

    page = text_of(client.get(CREDITS))

    assert "Northstar credits" in page
    assert "Rival" not in page
    assert "999" not in page


def test_it_filters_by_kind(client, people, org):
    _grant(org, 100)
    hold_capture(hold=_hold(org, 10))
    client.force_login(people.owner)

    assert _rows(client.get(CREDITS + "?kind=capture")) == ["capture"]
    assert _rows(client.get(CREDITS + "?kind=hold")) == ["hold"]
    assert _rows(client.get(CREDITS + "?kind=nonsense")) == ["capture", "hold", "grant"]
    empty = client.get(CREDITS + "?kind=adjustment")
    assert _rows(empty) == []
    assert "No adjustments here yet." in text_of(empty)


def test_it_pages_fifty_entries_at_a_time(client, people, org):
    for n in range(120):
        _grant(org, 1, key=f"promo:{n}", description=f"Promo {n}")
    client.force_login(people.owner)

    first = client.get(CREDITS)
    third = client.get(CREDITS + "?page=3")

    assert len(_rows(first)) == 50
    assert "Promo 119" in text_of(first)
    assert "Promo 69 " not in text_of(first)
    assert "1–50 of 120" in text_of(first)
    assert 'href="?page=2"' in first.content.decode()
    assert len(_rows(third)) == 20
    assert "Promo 0" in text_of(third)
    assert 'href="?page=2"' in third.content.decode()  # newer
    assert client.get(CREDITS + "?page=99").status_code == 200  # past the end: the last page


def test_paging_keeps_the_filter(client, people, org):
    for n in range(55):
        _grant(org, 1, key=f"promo:{n}")
    client.force_login(people.owner)

    body = client.get(CREDITS + "?kind=grant").content.decode()

    assert 'href="?kind=grant&amp;page=2"' in body


def test_it_reads_the_history_in_a_fixed_number_of_queries(client, people, org, django_assert_max_num_queries):
    _grant(org, 1000)
    for n in range(20):
        hold = _hold(org, 5, key=f"job:{n}", user=people.member, subject=Membership.objects.get(user=people.member))
        hold_capture(hold=hold)
    client.force_login(people.owner)

    with django_assert_max_num_queries(16):
        response = client.get(CREDITS)

    assert len(_rows(response)) == 41


def test_an_empty_history_explains_credits(client, people, org):
    client.force_login(people.owner)

    response = client.get(CREDITS)

    page = text_of(response)
    assert "No credit activity yet" in page
    assert "Credits pay for AI work" in page
    assert 'href="/o/northstar/billing/"' in response.content.decode()
    assert 'href="/pricing/#credits"' in response.content.decode()


def test_it_lists_what_things_cost(client, people, org):
    client.force_login(people.viewer)

    page = text_of(client.get(CREDITS))

    assert "What things cost" in page
    assert "Face model (LoRA) training 300 per character" in page
    assert "Image, high quality 8 per image" in page


# --- The credits pill in the top bar --------------------------------------------------------------


def _pill(response) -> str:
    match = re.search(r'<a class="credits-pill[^"]*".*?</a>', response.content.decode(), flags=re.S)
    assert match, "no credits pill"
    return match.group(0)


def test_the_top_bar_shows_available_and_held_credits(client, people, org):
    _grant(org, 1500)
    _hold(org, 8)
    client.force_login(people.member)

    pill = _pill(client.get("/o/northstar/"))

    assert 'href="/o/northstar/credits/"' in pill
    assert ">1,492</strong> credits" in pill
    assert "· 8 held" in pill
    assert "is-low" not in pill


def test_the_top_bar_warns_when_credits_run_low(client, people, org):
    _grant(org, 25)
    _hold(org, 8)
    client.force_login(people.viewer)

    pill = _pill(client.get("/o/northstar/billing/"))

    assert 'class="credits-pill is-low"' in pill
    assert ">17</strong> credits" in pill
    assert "Running low on credits" in pill


def test_the_top_bar_shows_zero_for_an_org_without_credits(client, people, org):
    client.force_login(people.owner)

    pill = _pill(client.get("/o/northstar/settings/"))

    assert ">0</strong> credits" in pill
    assert "held" not in pill.split("title=")[0]


def test_the_pill_costs_one_query(rf, people, org, django_assert_num_queries):
    from django.template import Context, Template

    _grant(org, 10)
    request = rf.get("/")
    request.org = org
    template = Template("{% load credits %}{% credits_pill %}")

    with django_assert_num_queries(1):
        html = template.render(Context({"request": request}))

    assert ">10</strong> credits" in html


# --- The billing page -----------------------------------------------------------------------------


def test_the_billing_page_links_to_the_credit_history(client, people, org):
    _grant(org, 6000)
    hold_reserve(org=org, amount=300, key="job:t", operation="lora_training", description="Training Mia")
    client.force_login(people.viewer)

    response = client.get("/o/northstar/billing/")

    page = text_of(response)
    assert "5,700 available · 300 held by running jobs" in page
    assert "Studio adds 6,000 credits each month." in page
    assert 'href="/o/northstar/credits/"' in response.content.decode()


def test_ledger_entries_are_labelled_for_people():
    assert LedgerEntry.Kind.CAPTURE.label == "Charge"
