from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from characters.tests.factories import CharacterFactory
from generation.tests.factories import EditJobFactory, GenerationImageFactory, GenerationJobFactory
from usage import charts, selectors
from usage.tests.spending import charge, provider_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def ava(org):
    return CharacterFactory(org=org, name="Ava")


@pytest.fixture
def spending(org, people, ava):
    """Over 30 days: Ava's pack (member, today and 3 days ago), an upscale of an image of Ava (admin),
    a failed pack (released), and a pack 40 days ago (outside the 30-day window)."""
    today_pack = GenerationJobFactory(character=ava, org=org)
    charge(today_pack, 8, operation="image_hq", user=people.member)
    older_pack = GenerationJobFactory(character=ava, org=org)
    charge(older_pack, 12, operation="image_draft", user=people.member, days_ago=3)
    upscale = EditJobFactory(org=org, source__character=ava, operation="upscale")
    charge(upscale, 8, operation="upscale", user=people.admin, days_ago=3)
    failed = GenerationJobFactory(character=ava, org=org)
    charge(failed, 4, user=people.member, capture=0)
    old = GenerationJobFactory(character=ava, org=org)
    charge(old, 50, user=people.member, days_ago=40)
    image = GenerationImageFactory(job=today_pack)
    provider_call(org, image, "0.0350")
    provider_call(org, image, "0.0100", status="failed")
    provider_call(org, upscale, None)
    provider_call(org, None, "0.5")  # made before calls named their job
    return today_pack


def _by(rows):
    return {row.label: (row.credits, row.charges, row.provider_usd, row.unknown_calls) for row in rows}


def test_it_adds_up_what_was_charged_by_operation_character_member_and_day(spending, org, people):
    usage = selectors.org_usage(org, days=30)
    assert (usage.credits, usage.charges) == (28, 3)
    assert _by(usage.by_operation)["Image, high quality"][:2] == (8, 1)
    assert _by(usage.by_operation)["Image, draft quality"][:2] == (12, 1)
    assert _by(usage.by_operation)["Upscale 2× or 4×"][:2] == (8, 1)
    assert _by(usage.by_character)["Ava"][:2] == (28, 3)
    assert _by(usage.by_member)[people.member.display_name][:2] == (20, 2)
    assert _by(usage.by_member)[people.admin.display_name][:2] == (8, 1)
    daily = dict(usage.daily)
    assert len(usage.daily) == 30
    assert daily[timezone.localdate()] == 8
    assert daily[timezone.localdate() - timedelta(days=3)] == 20
    assert sum(daily.values()) == 28


def test_ninety_days_reach_further_back(spending, org):
    usage = selectors.org_usage(org, days=90)
    assert len(usage.daily) == 90
    assert usage.credits == 78


def test_provider_cost_rolls_up_per_character_and_member_failed_attempts_included(spending, org, people):
    usage = selectors.org_usage(org, days=30)
    assert usage.provider_usd == Decimal("0.5450")
    assert usage.unknown_calls == 1
    assert _by(usage.by_character)["Ava"][2:] == (Decimal("0.0450"), 1)
    assert _by(usage.by_member)[people.member.display_name][2] == Decimal("0.0450")
    assert _by(usage.by_operation)["Image, high quality"][2] == Decimal("0.0450")
    assert _by(usage.by_operation)["Upscale 2× or 4×"][3] == 1
    assert _by(usage.by_operation)["Not attributed"][2] == Decimal("0.5")


def test_it_never_counts_another_organisations_spending(spending, org, people):
    rival_pack = GenerationJobFactory(character=CharacterFactory(org=people.other_org), org=people.other_org)
    charge(rival_pack, 100, user=people.outsider)
    provider_call(people.other_org, rival_pack, "9")
    usage = selectors.org_usage(org, days=30)
    assert usage.credits == 28
    assert usage.provider_usd == Decimal("0.5450")
    assert people.outsider.display_name not in _by(usage.by_member)


def test_an_organisation_that_spent_nothing_is_empty(org):
    usage = selectors.org_usage(org, days=30)
    assert usage.is_empty
    assert [credits for _day, credits in usage.daily] == [0] * 30


def test_the_daily_chart_scales_to_a_round_number_and_marks_the_busiest_day():
    today = timezone.localdate()
    chart = charts.daily_chart([(today - timedelta(days=2), 0), (today - timedelta(days=1), 37), (today, 12)])
    assert [tick.value for tick in chart.ticks] == [0, 25, 50]
    assert chart.peak.value == 37
    assert chart.bars[0].height == 0
    assert chart.bars[1].height > chart.bars[2].height > 0
    assert chart.total == 49


# --- The margin report -------------------------------------------------------------------------------


def test_the_margin_report_flags_operations_under_twice_their_provider_cost(org, people):
    pack = GenerationJobFactory(character=CharacterFactory(org=org), org=org)
    charge(pack, 8, operation="image_hq", user=people.member)  # 8 × $0.01245 = $0.0996
    provider_call(org, GenerationImageFactory(job=pack), "0.0350")  # 2.85×
    upscale = EditJobFactory(org=org, operation="upscale")
    charge(upscale, 8, operation="upscale", user=people.member)
    provider_call(org, upscale, "0.06", status="failed")
    provider_call(org, upscale, "0.02")  # $0.08 against $0.0996: 1.25×
    report = selectors.margin_report(days=30)
    rows = {row.operation: row for row in report.rows}
    assert report.rate.usd == Decimal("0.01245")
    assert "Agency" in report.rate.source
    assert rows["image_hq"].revenue_usd == Decimal("0.10")
    assert rows["image_hq"].margin == Decimal("2.86")
    assert not rows["image_hq"].is_thin
    assert rows["upscale"].provider_usd == Decimal("0.08")
    assert rows["upscale"].calls == 2
    assert rows["upscale"].is_thin
    assert report.thin == [rows["upscale"]]
