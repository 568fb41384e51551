import pytest

from billing.models import Plan
from core.tests.mailbox import mailbox  # noqa: F401
from orgs.models import Membership


class Memberships:
    """``members.admin`` is the admin's membership of ``org``, fresh from the database each time
    it is read, so a test sees what the last action stored."""

    def __init__(self, org, people):
        self._org, self._people = org, people

    def __getattr__(self, role: str) -> Membership:
        user = getattr(self._people, role)
        return Membership.objects.select_related("org__plan", "user").get(org=self._org, user=user)


@pytest.fixture
def members(org, people):
    return Memberships(org, people)


@pytest.fixture
def agency_plan(org):
    """Move ``org`` to the 10-seat Agency plan, so seat limits stay out of the way."""
    org.plan = Plan.objects.get(slug="agency")
    org.save(update_fields=["plan"])
    return org.plan
