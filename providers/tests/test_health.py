"""The staff health page: per endpoint over the last hour, calls, errors, latency and spend."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from providers.models import ProviderCall
from providers.selectors import endpoint_health
from providers.tests.factories import ProviderCallFactory
from tests.factories import UserFactory
from tests.more_factories import StaffUserFactory

pytestmark = pytest.mark.django_db
DRAFT = "fal-ai/z-image/turbo/lora"


def finished_call(*, minutes_ago, seconds, status="succeeded", cost="0.0085", operation="image_draft", **fields):
    now = timezone.now()
    call = ProviderCallFactory(operation=operation, status=status, cost_usd=Decimal(cost) if cost else None, **fields)
    submitted = now - timedelta(minutes=minutes_ago)
    ProviderCall.objects.filter(pk=call.pk).update(
        created_at=submitted, submitted_at=submitted, finished_at=submitted + timedelta(seconds=seconds)
    )
    return call


@pytest.fixture
def calls():
    finished_call(minutes_ago=50, seconds=2)
    finished_call(minutes_ago=30, seconds=4)
    finished_call(minutes_ago=10, seconds=10, status="failed", cost="0")
    finished_call(minutes_ago=90, seconds=60, cost="1")  # more than an hour ago: not counted
    ProviderCallFactory(operation="image_draft", status="queued")  # in flight
    finished_call(minutes_ago=5, seconds=1, operation="segment", cost="0.005")


def test_it_sums_each_endpoint_over_the_last_hour(calls):
    segment, draft = endpoint_health()  # by provider, then endpoint

    assert (draft.provider, draft.endpoint_id) == ("fal", DRAFT)
    assert (draft.calls, draft.finished, draft.errors) == (4, 3, 1)
    assert draft.error_rate == pytest.approx(1 / 3)
    assert draft.p50 == timedelta(seconds=4)
    assert draft.p95_seconds == pytest.approx(9.4)  # between 4 s and 10 s, 90 % of the way
    assert draft.spend_usd == Decimal("0.017")
    assert (segment.endpoint_id, segment.calls, segment.errors, segment.spend_usd) == (
        "fal-ai/evf-sam",
        1,
        0,
        Decimal("0.005"),
    )


def test_an_endpoint_with_nothing_finished_has_no_rate_or_latency():
    ProviderCallFactory(operation="image_draft", status="queued")

    [row] = endpoint_health()

    assert (row.calls, row.error_rate, row.p50, row.spend_usd) == (1, None, None, 0)


def test_staff_see_the_health_page_from_the_calls_list(client, calls):
    client.force_login(StaffUserFactory())

    changelist = client.get("/admin/providers/providercall/").content.decode()
    assert "/admin/providers/providercall/health/" in changelist
    page = client.get("/admin/providers/providercall/health/").content.decode()

    assert DRAFT in page
    assert "33%" in page
    assert "9.4 s" in page
    assert "$0.0170" in page


def test_people_who_are_not_staff_are_sent_to_log_in(client):
    client.force_login(UserFactory())

    response = client.get("/admin/providers/providercall/health/")

    assert response.status_code == 302
    assert "/admin/login/" in response.url
