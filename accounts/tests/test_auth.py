from accounts.models import User
from core.tests.pages import text_of
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-brand-new-passphrase"
SIGNUP_PASSWORD = "a-long-new-passphrase"


def _sign_up(client, email, password=SIGNUP_PASSWORD):
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password})


def test_it_answers_a_signup_for_a_taken_address_like_any_other(client, db, mailbox):
    UserFactory(email="taken@example.com")

    taken = _sign_up(client, "Taken@example.com")
    fresh = _sign_up(client.__class__(), "fresh@example.com")

    assert taken.status_code == fresh.status_code == 302
    assert taken["Location"] == fresh["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert "_auth_user_id" not in client.session
    # The owner of the address hears about it; the person signing up learns nothing.
    assert mailbox.only("taken@example.com")


def test_it_rejects_a_weak_password_and_says_why(client, db):
    response = _sign_up(client, "new@example.com", password="12345678")

    assert response.status_code == 200
    page = text_of(response)
    assert "This password is too short. It must contain at least 10 characters." in page
    assert "This password is entirely numeric." in page
    assert not User.objects.exists()


def test_it_shows_an_error_for_a_wrong_verification_link(client, db):
    response = client.get("/accounts/confirm-email/not-a-real-key/")

    assert "This confirmation link doesn't work" in text_of(response)

    response = client.post("/accounts/confirm-email/not-a-real-key/")
    assert "_auth_user_id" not in client.session


def test_it_shows_an_error_for_a_wrong_password_reset_link(client, db):
    user = UserFactory()

    response = client.get(f"/accounts/password/reset/key/{user.pk:x}-not-a-real-key/", follow=True)

    assert "This reset link doesn't work" in text_of(response)
    assert 'name="password1"' not in response.content.decode()


def test_it_resets_a_forgotten_password_end_to_end(client, db, mailbox):
    user = UserFactory(email="kim@example.com")

    response = client.post("/accounts/password/reset/", {"email": "kim@example.com"})
    assert response["Location"] == "/accounts/password/reset/done/"

    link = mailbox.link(mailbox.only("kim@example.com"), "/accounts/password/reset/key/")
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0]
    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/accounts/password/reset/key/done/"

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not client.login(email="kim@example.com", password=PASSWORD)
    response = client.post("/accounts/login/", {"login": "kim@example.com", "password": NEW_PASSWORD})
    assert response["Location"] == "/app/"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_it_does_not_reveal_whether_an_address_has_an_account_when_resetting(client, db, mailbox):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/accounts/password/reset/done/"
    assert not User.objects.exists()


def test_it_logs_in_with_the_right_password_only(client, db):
    UserFactory(email="kim@example.com")

    wrong = client.post("/accounts/login/", {"login": "kim@example.com", "password": "not-it"})
    assert wrong.status_code == 200
    assert "The email address and/or password you specified are not correct." in text_of(wrong)
    assert "_auth_user_id" not in client.session

    right = client.post("/accounts/login/", {"login": "KIM@example.com", "password": PASSWORD})
    assert right["Location"] == "/app/"


def test_it_holds_back_an_unverified_account_at_login(client, db, mailbox):
    UserFactory(email="kim@example.com", verified=False)

    response = client.post("/accounts/login/", {"login": "kim@example.com", "password": PASSWORD})

    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert mailbox.link(mailbox.only("kim@example.com"), "/accounts/confirm-email/")
