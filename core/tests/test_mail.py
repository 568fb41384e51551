from datetime import timedelta
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail
from django.utils import timezone

from core.emails import email_render, email_send
from core.mail import stored_mail_get
from orgs.models import Invitation, Role
from tests.factories import OrganizationFactory, UserFactory

# --- The development mailbox backend ----------------------------------------------------------


def test_it_writes_one_eml_file_per_message_with_both_parts(mailbox, settings):
    messages = []
    for n in range(2):
        message = EmailMultiAlternatives(subject=f"Hello {n}", body=f"Plain {n}", to=[f"p{n}@example.com"])
        message.attach_alternative(f"<p>Rich {n}</p>", "text/html")
        messages.append(message)

    assert messages[0].get_connection().send_messages(messages) == 2

    files = sorted(Path(settings.EMAIL_FILE_PATH).glob("*.eml"))
    assert len(files) == 2
    first, second = mailbox.all()
    assert (first.subject, first.to, first.text.strip(), first.html.strip()) == (
        "Hello 0",
        "p0@example.com",
        "Plain 0",
        "<p>Rich 0</p>",
    )
    assert second.subject == "Hello 1"
    assert first.sender == settings.DEFAULT_FROM_EMAIL


def test_it_reads_a_text_only_message(mailbox):
    send_mail("Plain", "Just text", None, ["p@example.com"])

    mail = mailbox.only()
    assert mail.text.strip() == "Just text"
    assert mail.html == ""


def test_it_finds_a_stored_message_by_id_and_nothing_outside_the_mailbox(mailbox):
    send_mail("Plain", "Just text", None, ["p@example.com"])
    mail = mailbox.only()

    assert stored_mail_get(mail.id).subject == "Plain"
    assert stored_mail_get("does-not-exist") is None
    assert stored_mail_get("../../etc/passwd") is None


def test_an_empty_mailbox_lists_nothing(mailbox):
    assert mailbox.all() == []


# --- Templated emails -------------------------------------------------------------------------


@pytest.fixture
def invitation_context(db):
    inviter = UserFactory(name="Ada Admin", email="ada@example.com")
    org = OrganizationFactory(name="Northstar Talent")
    invitation = Invitation(
        org=org, email="kim@example.com", role=Role.VIEWER, expires_at=timezone.now() + timedelta(days=7)
    )
    return {"invitation": invitation, "org": org, "inviter": inviter, "url": "http://testserver/invitations/abc/"}


def test_it_renders_the_invitation_with_a_subject_text_and_html(invitation_context):
    subject, text, html = email_render("invitation", invitation_context)

    assert subject == "Ada Admin invited you to Northstar Talent on Personae"
    assert "as viewer" in text
    assert "Accept the invitation: http://testserver/invitations/abc/" in text
    assert 'href="http://testserver/invitations/abc/"' in html
    assert "<strong>Northstar Talent</strong>" in html


def test_it_escapes_what_people_typed_in_the_html_but_not_the_text(invitation_context):
    invitation_context["org"].name = "<b>Tom & Jerry</b>"

    _subject, text, html = email_render("invitation", invitation_context)

    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html
    assert "<b>Tom & Jerry</b>" in text


def test_it_sends_templated_email_only_after_the_commit(
    invitation_context, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        email_send(prefix="invitation", to=["kim@example.com"], context=invitation_context)
        assert mailbox.all() == []

    for callback in callbacks:
        callback()
    mail = mailbox.only("kim@example.com")
    assert mail.subject == "Ada Admin invited you to Northstar Talent on Personae"
    assert "http://testserver/invitations/abc/" in mail.text
    assert 'href="http://testserver/invitations/abc/"' in mail.html


def test_it_sends_the_welcome_email_with_both_parts_and_the_dashboard_link(
    mailbox, django_capture_on_commit_callbacks, db
):
    user = UserFactory(name="Sam", email="sam@example.com")
    org = OrganizationFactory(name="Acme", slug="acme")

    with django_capture_on_commit_callbacks(execute=True):
        email_send(
            prefix="welcome", to=[user.email], context={"user": user, "org": org, "url": "http://testserver/o/acme/"}
        )

    mail = mailbox.only("sam@example.com")
    assert mail.subject == "Welcome to Personae, Sam"
    assert "Open your dashboard: http://testserver/o/acme/" in mail.text
    assert 'href="http://testserver/o/acme/"' in mail.html
    assert "<strong>Acme</strong>" in mail.html
