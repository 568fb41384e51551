"""Recording refusals: the safety event, the ``safety_refused`` signal, and the account review that
repeated refusals open (and staff clear in the admin)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from safety.models import AccountReview, SafetyEvent
from safety.screen import MinorsRefused
from safety.services import review_clear, text_screen
from safety.signals import safety_refused

pytestmark = pytest.mark.django_db


def refuse(org, user, text="a k.i.d in the bath", **kwargs):
    with pytest.raises(MinorsRefused) as refused:
        text_screen(text, org=org, user=user, where="studio", field="prompt_text", **kwargs)
    return refused.value


def test_a_refusal_is_recorded_with_the_rule_and_the_words(org, people):
    error = refuse(org, people.member, "a girl aged fourteen on a pier")
    assert error.field == "prompt_text"
    assert "“aged fourteen”" in error.message or "“girl aged fourteen”" in error.message
    event = SafetyEvent.objects.get()
    assert (event.org, event.user, event.where, event.field) == (org, people.member, "studio", "prompt_text")
    assert (event.rule, event.decided_by, event.nsfw) == ("age", "rules", False)
    assert event.text == "a girl aged fourteen on a pier"
    assert event.normalised.endswith("aged 14")


def test_allowed_text_records_nothing(org, people):
    text_screen(["an 18-year-old whisky", "", "kid leather gloves"], org=org, user=people.member, where="studio")
    assert not SafetyEvent.objects.exists()


def test_the_signal_is_sent_once_the_refusal_commits(org, people, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, event, org, user, where, **kwargs):
        received.append((sender, event.pk, org, user, where))

    safety_refused.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            refuse(org, people.member)
    finally:
        safety_refused.disconnect(receiver)
    event = SafetyEvent.objects.get()
    assert received == [(SafetyEvent, event.pk, org, people.member, "studio")]


def test_repeated_refusals_flag_the_account_for_review(org, people, settings):
    settings.SAFETY_REVIEW_THRESHOLD = 3
    refuse(org, people.member)
    refuse(org, people.member, "a teen in a bikini")
    assert not AccountReview.objects.exists()
    refuse(org, people.member, "an 8th grader")
    review = AccountReview.objects.get()
    assert (review.user, review.status, review.refusals) == (people.member, "open", 3)
    refuse(org, people.member, "a toddler")
    review.refresh_from_db()
    assert review.refusals == 4
    assert AccountReview.objects.count() == 1  # one open review per account
    refuse(org, people.admin)
    assert not AccountReview.objects.filter(user=people.admin).exists()  # someone else's one refusal


def test_only_refusals_within_the_window_count(org, people, settings):
    settings.SAFETY_REVIEW_THRESHOLD = 2
    settings.SAFETY_REVIEW_WINDOW_HOURS = 24
    refuse(org, people.member)
    SafetyEvent.objects.update(created_at=timezone.now() - timedelta(hours=25))
    refuse(org, people.member)
    assert not AccountReview.objects.exists()
    refuse(org, people.member)
    assert AccountReview.objects.filter(status="open").count() == 1


def test_a_cleared_review_counts_again_from_when_it_was_cleared(org, people, settings):
    settings.SAFETY_REVIEW_THRESHOLD = 2
    refuse(org, people.member)
    refuse(org, people.member)
    review = AccountReview.objects.get()
    assert review_clear(review=review, by=people.owner, note="Testing the screen on purpose.")
    assert not review_clear(review=review, by=people.owner)  # already cleared
    refuse(org, people.member)
    assert not AccountReview.objects.filter(status="open").exists()
    refuse(org, people.member)
    assert AccountReview.objects.filter(status="open").count() == 1


def test_staff_list_flagged_accounts_and_clear_them(client, org, people, settings):
    from tests.factories import UserFactory

    settings.SAFETY_REVIEW_THRESHOLD = 1
    refuse(org, people.member)
    review = AccountReview.objects.get()
    staff = UserFactory(email="support@personae.test", is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/safety/accountreview/?status__exact=open")
    assert people.member.email in listing.content.decode()
    events = client.get(f"/admin/safety/safetyevent/?user__exact={people.member.pk}&under_review=yes")
    assert "a k.i.d in the bath" in events.content.decode()
    response = client.post(
        "/admin/safety/accountreview/", {"action": "clear", "_selected_action": [review.pk]}, follow=True
    )
    assert "Cleared 1 review." in response.content.decode()
    review.refresh_from_db()
    assert (review.status, review.cleared_by) == ("cleared", staff)
    assert client.get("/admin/safety/safetyevent/add/").status_code == 403


def test_a_refusal_goes_in_the_organisations_audit_log_once_it_commits(org, people, django_capture_on_commit_callbacks):
    from audit.models import AuditEntry

    with django_capture_on_commit_callbacks(execute=True):
        refuse(org, people.member, "a girl aged fourteen on a pier")
    event = SafetyEvent.objects.get()
    entry = AuditEntry.objects.get(action="safety.refused")
    assert (entry.org_id, entry.actor_id) == (org.pk, people.member.pk)
    assert entry.data["channel"] == "studio"
    assert entry.data["text"] == "a girl aged fourteen on a pier"
    assert entry.data["event"] == str(event.public_id)
    assert "aged fourteen" in entry.summary


def test_a_refusal_that_rolls_back_leaves_no_audit_entry(org, people, django_capture_on_commit_callbacks):
    from django.db import transaction

    from audit.models import AuditEntry

    def work_that_fails():
        with transaction.atomic():
            refuse(org, people.member)
            raise RuntimeError("the caller's work failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        work_that_fails()
    assert not AuditEntry.objects.filter(action="safety.refused").exists()
