"""Factories for the invitation and join-request rows, and a staff user for the admin."""

import hashlib
from datetime import timedelta

import factory
from django.utils import timezone

from orgs.models import Invitation, JoinRequest, Role
from tests.factories import OrganizationFactory, UserFactory


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation. Pass ``token=`` to know the secret its link carries."""

    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-token-{n}")

    org = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    # The database keeps only the SHA-256 of the emailed token.
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class JoinRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JoinRequest

    org = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    message = "Hi, I'm on the content team"


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True
