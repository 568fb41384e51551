"""Spending with known numbers for tests: charges made through the real billing services, and
finished provider calls naming their job."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from billing.models import Hold, LedgerEntry
from billing.services import credits_grant, hold_capture, hold_release, hold_reserve
from providers.models import ProviderCall


def charge(job, credits, *, operation="image_draft", user=None, days_ago=0, capture=None) -> Hold:
    """Hold ``credits`` for ``job`` and capture ``capture`` of them (all by default; 0 releases the
    hold), ``days_ago`` days ago."""
    org = job.org
    credits_grant(org=org, amount=credits, key=f"test-grant:{job._meta.label}:{job.pk}", description="Test")
    hold = hold_reserve(
        org=org,
        amount=credits,
        key=f"test:{job._meta.label}:{job.pk}",
        operation=operation,
        description=str(job),
        subject=job,
        user=user,
    )
    # As jobs.engine.job_start leaves them: the job names its hold, and who started it.
    type(job).objects.filter(pk=job.pk).update(hold=hold, created_by=user)
    amount = credits if capture is None else capture
    if amount:
        hold_capture(hold=hold, amount=amount)
    else:
        hold_release(hold=hold, reason="Failed")
    LedgerEntry.objects.filter(hold=hold).update(created_at=timezone.now() - timedelta(days=days_ago))
    return hold


def provider_call(org, subject, usd, *, status="succeeded", operation="image_lora") -> ProviderCall:
    """A finished call for ``subject`` (a job or job item; None: no job named) that cost ``usd``
    (None: unknown)."""
    return ProviderCall.objects.create(
        org=org,
        operation=operation,
        provider="fal",
        endpoint_id="fal-ai/flux-lora",
        handler="test",
        status=status,
        cost_usd=None if usd is None else Decimal(usd),
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
    )
