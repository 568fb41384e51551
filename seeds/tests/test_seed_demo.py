"""``manage.py seed_demo``: the demo accounts the README names, safe to run again."""

from django.core.management import call_command

from billing.models import LedgerEntry
from billing.services import credits_available, ledger_problems
from orgs.models import Organization


def test_the_demo_org_gets_its_studio_credits_once(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    org = Organization.objects.get(slug="demo-agency")
    assert credits_available(org) == 6000
    assert LedgerEntry.objects.filter(org=org).count() == 1
    assert ledger_problems(org) == []
