"""Shared fixtures: an organisation with an owner, admin, member and viewer, and an outsider
who belongs to another organisation."""

import hashlib
import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from orgs.models import Role
from tests.factories import MembershipFactory, OrganizationFactory

# The emulated AI providers (fal, Replicate, xAI) behind the real client libraries.
pytest_plugins = ["tests.provider_fixtures"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plans(request):
    """Transactional tests flush the tables that migrations seeded; put the plans back."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        from billing.models import Plan
        from billing.plans import plans_ensure

        request.getfixturevalue("transactional_db")
        plans_ensure(Plan)


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Northstar Talent", slug="northstar")


@pytest.fixture
def people(org):
    """One person per role in ``org``, plus an outsider who owns another org."""
    members = {role: MembershipFactory(org=org, role=role).user for role in Role.values}
    other = OrganizationFactory(name="Rival Studio", slug="rival")
    outsider = MembershipFactory(org=other, role=Role.OWNER).user
    return SimpleNamespace(
        owner=members[Role.OWNER],
        admin=members[Role.ADMIN],
        member=members[Role.MEMBER],
        viewer=members[Role.VIEWER],
        outsider=outsider,
        other_org=other,
    )


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """A MEDIA_ROOT of the test's own, so leftovers can be checked; packages make it autouse."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def demo_provider(settings):
    """No provider keys: the offline demo provider answers, at once, and never fails unless told to."""
    settings.FAL_KEY = ""
    settings.XAI_API_KEY = ""
    settings.DEMO_PROVIDER_LATENCY = 0
    settings.DEMO_PROVIDER_FAILURE_RATE = 0


@pytest.fixture
def fund(org):
    """``fund(100)``: grant ``org`` (or ``org=`` another) that many credits."""
    from billing.services import credits_grant

    def grant(amount: int, org=org):
        credits_grant(org=org, amount=amount, key=f"test-grant:{org.pk}:{amount}:{id(object())}", description="Test")

    return grant


@pytest.fixture
def login(client, people):
    """``login("viewer")``: the test client, signed in as that person of ``org``."""

    def sign_in(role: str):
        client.force_login(getattr(people, role))
        return client

    return sign_in


@pytest.fixture
def api_key(people):
    """``api_key(people.member, scopes=[...])``: request headers with a new API key of ``org`` (or
    ``org=``) acting as that person; every scope unless ``scopes`` is given."""
    from api.keys import api_key_create
    from api.models import Scope
    from orgs.models import Membership

    def make(user=None, *, scopes=None, org=None, **options):
        user = user or people.owner
        org = org or Membership.objects.filter(user=user).first().org
        _key, whole = api_key_create(
            org=org, user=user, name="Test key", scopes=list(scopes or Scope.values), **options
        )
        return {"Authorization": f"Bearer {whole}"}

    return make


_analysed: dict = {}


@pytest.fixture
def analyse_once(monkeypatch):
    """dlib runs once per distinct photo per session: its results, memoised by the file's bytes."""
    from characters import identity

    real = identity.photo_analyse

    def memoised(source, **options):
        if not hasattr(source, "read") and not isinstance(source, str | Path):
            return real(source, **options)  # a PIL image: nothing to key on
        data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
        key = hashlib.sha256(data + repr(sorted(options.items())).encode()).hexdigest()
        if key not in _analysed:
            _analysed[key] = real(io.BytesIO(data), **options)
        return _analysed[key]

    monkeypatch.setattr(identity, "photo_analyse", memoised)
