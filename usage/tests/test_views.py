import csv
import io

import pytest
from django.urls import reverse

from characters.tests.factories import CharacterFactory
from generation.tests.factories import GenerationImageFactory, GenerationJobFactory
from tests.factories import UserFactory
from usage.tests.spending import charge, provider_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def spent(org, people):
    pack = GenerationJobFactory(character=CharacterFactory(org=org, name="Ava"), org=org)
    charge(pack, 96, operation="image_hq", user=people.member)
    charge(GenerationJobFactory(character=pack.character, org=org), 4, user=people.admin, days_ago=2)
    provider_call(org, GenerationImageFactory(job=pack), "0.0350")
    return pack


def _url(org, name="usage", days=None):
    url = reverse(f"usage:{name}", args=[org.slug])
    return f"{url}?days={days}" if days else url


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_it_shows_credits_per_day_as_an_svg_chart_with_its_numbers(login, org, spent):
    response = login("admin").get(_url(org))
    assert response.status_code == 200
    page = _text(response)
    assert '<svg class="daily-chart"' in page
    assert '<title id="daily-chart-title">Credits spent per day, last 30 days</title>' in page
    assert "100 credits from" in page  # the chart's description
    assert ">96</text>" in page  # the busiest day's value, printed on the chart
    assert ">100</text>" in page  # the axis ends at a round number
    assert 'data-field="credits">100<' in page
    assert 'data-field="provider-cost">$0.0350<' in page
    assert "Image, high quality" in page
    assert "Ava" in page


def test_it_switches_to_ninety_days(login, org, spent):
    page = _text(login("owner").get(_url(org, days=90)))
    assert "last 90 days" in page
    assert page.count('class="bar') == 2


def test_a_window_it_does_not_offer_falls_back_to_thirty_days(login, org, spent):
    assert "last 30 days" in _text(login("owner").get(_url(org, days=7)))


def test_with_nothing_spent_it_says_what_to_do_next(login, org):
    page = _text(login("owner").get(_url(org)))
    assert "No usage in the last 30 days" in page
    assert "Open the Studio" in page
    assert '<svg class="daily-chart"' not in page


def test_the_daily_csv_has_one_row_per_day(login, org, spent):
    response = login("admin").get(_url(org, "daily_csv", days=30))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["date", "credits"]
    assert len(rows) == 31
    assert [int(credits) for _day, credits in rows[1:]][-3:] == [4, 0, 96]


def test_the_operations_csv_has_the_table(login, org, spent):
    rows = list(csv.reader(io.StringIO(login("admin").get(_url(org, "operations_csv")).content.decode())))
    assert rows == [
        ["operation", "label", "charges", "credits"],
        ["image_hq", "Image, high quality", "1", "96"],
        ["image_draft", "Image, draft quality", "1", "4"],
    ]


@pytest.mark.parametrize("name", ["usage", "daily_csv", "operations_csv"])
@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_is_for_owners_and_admins_only(login, org, spent, name, role):
    response = login(role).get(_url(org, name))
    assert response.status_code == 403
    assert "Only owners and admins" in response.content.decode()


@pytest.mark.parametrize("name", ["usage", "daily_csv", "operations_csv"])
def test_an_outsider_gets_404(client, org, people, spent, name):
    client.force_login(people.outsider)
    assert client.get(_url(org, name)).status_code == 404


def test_the_sidebar_links_it_for_admins_only(login, org):
    assert "Usage</a>" in _text(login("admin").get(reverse("orgs:dashboard", args=[org.slug])))


def test_the_sidebar_hides_it_from_members(client, people, org):
    client.force_login(people.member)
    assert _url(org) not in client.get(reverse("orgs:dashboard", args=[org.slug])).content.decode()


# --- Staff's margin report -------------------------------------------------------------------------


def test_staff_see_the_margin_report_with_thin_operations_in_red(client, org, people):
    pack = GenerationJobFactory(character=CharacterFactory(org=org), org=org)
    charge(pack, 8, operation="image_hq", user=people.member)
    provider_call(org, pack, "0.09")  # $0.0996 of revenue: 1.11×
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:usage_marginreport_changelist") in index
    page = _text(client.get(reverse("admin:usage_marginreport_changelist") + "?days=7"))
    assert "Margins by operation, last 7 days" in page
    assert "$0.01245" in page
    assert '<tr class="thin" data-operation="image_hq">' in page
    assert "1.11× — under 2×" in page


def test_people_who_are_not_staff_cannot_open_it(login, org):
    response = login("owner").get(reverse("admin:usage_marginreport_changelist"))
    assert response.status_code == 302  # to the admin's login
