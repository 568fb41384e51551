import pytest

from accounts.models import User
from billing.models import Plan
from billing.services import org_create_on_default_plan
from core.exceptions import DomainError
from orgs import services
from orgs.models import Membership, Organization, Role
from tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(email="sam@example.com")


def test_it_makes_the_slug_from_the_name(user):
    org = org_create_on_default_plan(user=user, name="  Northstar Talent  ")

    assert org.name == "Northstar Talent"
    assert org.slug == "northstar-talent"


def test_it_numbers_slugs_that_are_taken(user):
    slugs = [org_create_on_default_plan(user=user, name="Acme").slug for _ in range(3)]

    assert slugs == ["acme", "acme-2", "acme-3"]


@pytest.mark.parametrize(("name", "slug"), [("Admin", "admin-org"), ("New", "new-org"), ("Settings", "settings-org")])
def test_it_never_hands_out_a_reserved_slug(user, name, slug):
    assert org_create_on_default_plan(user=user, name=name).slug == slug


def test_it_falls_back_to_a_plain_slug_for_names_without_letters(user):
    assert org_create_on_default_plan(user=user, name="!!!").slug == "org"


def test_it_makes_the_creator_the_owner_on_the_free_plan(user):
    org = org_create_on_default_plan(user=user, name="Acme")

    membership = Membership.objects.get(org=org)
    assert membership.user == user
    assert membership.role == Role.OWNER
    assert org.plan == Plan.objects.get(slug="free")
    assert org.plan.is_default
    assert org.plan_selected_at is None
    assert org.email == "sam@example.com"
    assert org.created_by == user


def test_it_remembers_the_new_org_as_the_users_current_one(user):
    org = org_create_on_default_plan(user=user, name="Acme")

    assert user.last_org == org
    assert User.objects.get(pk=user.pk).last_org == org


def test_it_refuses_a_blank_name(user):
    with pytest.raises(DomainError, match="Give your organisation a name") as e:
        org_create_on_default_plan(user=user, name="   ")

    assert e.value.field == "name"
    assert not Organization.objects.exists()


def test_it_lets_an_admin_rename_the_org_and_close_join_requests(org, members):
    services.org_update(
        org=org, actor=members.admin, name=" Northstar Studio ", email=org.email, allow_join_requests=False
    )

    org.refresh_from_db()
    assert org.name == "Northstar Studio"
    assert org.allow_join_requests is False


def test_it_lets_only_an_owner_change_the_billing_email(org, members):
    with pytest.raises(DomainError, match="Only an owner can change the billing email") as e:
        services.org_update(
            org=org, actor=members.admin, name=org.name, email="new@example.com", allow_join_requests=True
        )
    assert e.value.field == "email"

    services.org_update(org=org, actor=members.owner, name=org.name, email="new@example.com", allow_join_requests=True)
    org.refresh_from_db()
    assert org.email == "new@example.com"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_does_not_let_members_or_viewers_change_settings(org, members, role):
    with pytest.raises(DomainError, match="Only owners and admins"):
        services.org_update(
            org=org, actor=getattr(members, role), name="Hijacked", email=org.email, allow_join_requests=True
        )

    org.refresh_from_db()
    assert org.name == "Northstar Talent"


def test_it_lets_an_owner_choose_the_free_plan(org, members):
    # Free has one seat: the owner's. Viewers are free, so they may stay.
    for role in ("admin", "member"):
        getattr(members, role).delete()

    services.org_select_plan(org=org, actor=members.owner, plan=Plan.objects.get(slug="free"))

    org.refresh_from_db()
    assert org.plan.slug == "free"
    assert org.plan_selected_at is not None


def test_it_refuses_the_free_plan_while_more_seats_are_in_use(org, members):
    with pytest.raises(DomainError, match="uses 3 seats and the Free plan includes 1"):
        services.org_select_plan(org=org, actor=members.owner, plan=Plan.objects.get(slug="free"))

    org.refresh_from_db()
    assert org.plan.slug == "studio"


def test_it_refuses_to_switch_on_a_paid_plan_without_checkout(org, members):
    org.plan = Plan.objects.get(slug="free")
    org.save()

    with pytest.raises(DomainError, match="The Agency plan is paid and needs checkout"):
        services.org_select_plan(org=org, actor=members.owner, plan=Plan.objects.get(slug="agency"))

    org.refresh_from_db()
    assert org.plan.slug == "free"


def test_it_lets_only_an_owner_choose_the_plan(org, members):
    with pytest.raises(DomainError, match="Only an owner can choose"):
        services.org_select_plan(org=org, actor=members.admin, plan=Plan.objects.get(slug="free"))

    org.refresh_from_db()
    assert org.plan.slug == "studio"
