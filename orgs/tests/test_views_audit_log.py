"""Settings → Audit log: owners and admins read their organisation's log, filter it, page through
it and download it as CSV; nobody else does."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from audit import actions
from audit.services import record
from core.tests.pages import text_of

URL = "/o/northstar/settings/audit-log/"
CSV_URL = "/o/northstar/settings/audit-log.csv"


@pytest.fixture
def history(org, people):
    """Three entries on three days by three kinds of actor, and one in another organisation."""
    with time_machine.travel(datetime(2026, 5, 1, 9, tzinfo=UTC), tick=False):
        record(action=actions.INVITATION_SENT, summary="Ada invited kim@example.com", org=org, actor=people.admin)
    with time_machine.travel(datetime(2026, 5, 3, 9, tzinfo=UTC), tick=False):
        record(action=actions.MEMBER_ROLE_CHANGED, summary="Owner made Leo an admin", org=org, actor=people.owner)
    with time_machine.travel(datetime(2026, 5, 5, 9, tzinfo=UTC), tick=False):
        record(
            action=actions.CREDITS_ADJUSTED,
            summary="Support added 50 credits",
            org=org,
            actor=people.owner,
            by_staff=True,
        )
    record(
        action=actions.MEMBER_REMOVED,
        summary="A secret of the rival studio",
        org=people.other_org,
        actor=people.outsider,
    )


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_read_their_log_newest_first(login, history, role):
    page = text_of(login(role).get(URL))
    assert (
        page.index("Support added 50 credits")
        < page.index("Owner made Leo an admin")
        < page.index("Ada invited kim@example.com")
    )
    assert "A secret of the rival studio" not in page


@pytest.mark.parametrize(("role", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_nobody_else_reads_it(login, history, role, status):
    client = login(role)
    assert client.get(URL).status_code == status
    assert client.get(CSV_URL).status_code == status


def test_it_filters_by_action_member_and_date(login, history, people):
    client = login("admin")
    by_action = text_of(client.get(URL, {"action": actions.INVITATION_SENT}))
    assert "Ada invited" in by_action
    assert "Owner made Leo" not in by_action

    by_member = text_of(client.get(URL, {"actor": people.owner.email}))
    assert "Owner made Leo" in by_member
    assert "Ada invited" not in by_member
    assert "Support added" not in by_member  # support's actions aren't the owner's, whoever's account
    assert "Support added" in text_of(client.get(URL, {"actor": "staff"}))

    by_date = text_of(client.get(URL, {"since": "2026-05-02", "until": "2026-05-03"}))
    assert "Owner made Leo" in by_date
    assert "Ada invited" not in by_date
    assert "Support added" not in by_date


def test_malformed_filters_are_ignored_and_an_empty_result_says_so(login, history):
    client = login("admin")
    assert "Ada invited" in text_of(client.get(URL, {"since": "yesterday", "action": "nonsense"}))
    assert "Nothing matches these filters" in text_of(client.get(URL, {"since": "2030-01-01"}))


def test_it_pages_fifty_at_a_time(login, org, people):
    for n in range(55):
        record(action=actions.INVITATION_SENT, summary=f"Invitation number {n:02d}", org=org, actor=people.admin)
    client = login("admin")
    first = text_of(client.get(URL))
    assert "Invitation number 54" in first
    assert "Invitation number 04" not in first
    assert "Page 1 of 2" in first
    second = text_of(client.get(URL, {"page": 2}))
    assert "Invitation number 04" in second
    assert "Invitation number 05" not in second


def test_the_csv_has_the_filtered_entries(login, history, people):
    response = login("owner").get(CSV_URL, {"action": actions.MEMBER_ROLE_CHANGED})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["time (UTC)", "who", "actor kind", "action"]
    assert rows[1:] == [
        [
            "2026-05-03 09:00:00",
            people.owner.email,
            "user",
            "Role changed",
            actions.MEMBER_ROLE_CHANGED,
            "Owner made Leo an admin",
            "",
            "",
            "",
            "",
        ]
    ]


def test_the_tab_shows_for_admins_only(login, org):
    assert "Audit log" in text_of(login("admin").get("/o/northstar/settings/"))
    assert "Audit log" not in text_of(login("member").get("/o/northstar/settings/"))
