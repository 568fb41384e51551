"""Adult content for wizard characters (PRODUCT.md §9): the org setting, an owner's attestation,
and a face that matches no real person in the organisation — checked with the real face fixtures."""

import pytest
from django.urls import reverse

from characters import identity, synthetic
from characters.models import Character, SyntheticAttestation
from characters.services import nsfw_permitted, nsfw_problems
from characters.tests import photos
from characters.tests.factories import DatasetImageFactory
from core.tests.pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def face(analyse_once):
    """``face("person-a-1")``: the 128-d embedding of the largest face in a fixture photo."""

    def embed(name: str) -> list[float]:
        return identity.analyse(photos.FACES_DIR / f"{name}.jpg")[0].embedding

    return embed


@pytest.fixture
def adult_org(org):
    org.adult_content = True
    org.save()
    return org


def _wizard(org, people, embedding, name="Nova Reyes") -> Character:
    character = Character.objects.create(
        org=org, name=name, origin=Character.Origin.WIZARD, created_by=people.member, gender="female", age=27
    )
    if embedding is not None:
        identity.reference_set(character, [embedding], source="base")
    return character


def _real_person(org, name, embeddings, *, reference=True) -> Character:
    character = Character.objects.create(org=org, name=name, origin=Character.Origin.PHOTOS)
    for embedding in embeddings:
        DatasetImageFactory(character=character, embedding=embedding)
    if reference:
        identity.reference_set(character, embeddings, source="dataset")
    return character


def _url(name, org, character):
    return reverse(f"characters:{name}", args=[org.slug, character.public_id])


def _attest(character, user):
    return synthetic.attestation_record(character=character, user=user, ip="203.0.113.9", user_agent="Firefox")


def test_a_wizard_character_needs_an_attestation_then_may_allow_adult_content(adult_org, people, face):
    nova = _wizard(adult_org, people, face("person-b-1"))
    _real_person(adult_org, "Ava Stone", [face("person-a-1"), face("person-a-2")])  # someone else entirely
    assert nsfw_problems(nova, None) == [
        "An owner must attest that Nova Reyes is fictional, an adult and not made to resemble a real person (below)."
    ]
    attestation = _attest(nova, people.owner)
    assert (attestation.user_email, attestation.ip, attestation.text_version) == (
        people.owner.email,
        "203.0.113.9",
        synthetic.ATTESTATION_VERSION,
    )
    assert attestation.text == synthetic.ATTESTATION_TEXT
    assert nsfw_problems(nova, None) == []
    nova.nsfw_allowed = True
    nova.save()
    assert nsfw_permitted(nova)


def test_a_face_like_a_real_person_in_the_org_blocks_adult_content_and_says_whom(adult_org, people, face):
    ava = _real_person(adult_org, "Ava Stone", [face("person-a-1"), face("person-a-2")])
    lookalike = _wizard(adult_org, people, face("person-a-3"), name="Mara Quinn")  # the same real person
    _attest(lookalike, people.owner)
    problems = nsfw_problems(lookalike, None)
    assert len(problems) == 1
    assert problems[0].startswith(
        "Mara Quinn's face looks like Ava Stone, a real person in this organisation (likeness"
    )
    assert "so adult content can't be allowed. Choose another face." in problems[0]
    match = synthetic.real_person_match(lookalike)
    assert match is not None
    assert match.character == ava
    assert match.distance < identity.SAME_PERSON


def test_a_consent_photo_alone_is_enough_to_match(adult_org, people, face):
    _real_person(adult_org, "Ava Stone", [face("person-a-2")], reference=False)  # photos, no face model yet
    lookalike = _wizard(adult_org, people, face("person-a-4"))
    match = synthetic.real_person_match(lookalike)
    assert match is not None
    assert match.source == "photo"
    assert "with a training photo" in nsfw_problems(lookalike, None)[-1]


def test_real_people_of_another_org_dont_count(adult_org, people, face):
    _real_person(people.other_org, "Someone Else", [face("person-a-1")])
    nova = _wizard(adult_org, people, face("person-a-3"))
    assert synthetic.real_person_match(nova) is None


def test_a_real_person_added_later_revokes_what_was_permitted(adult_org, people, face):
    nova = _wizard(adult_org, people, face("person-a-3"))
    _attest(nova, people.owner)
    nova.nsfw_allowed = True
    nova.save()
    assert nsfw_permitted(nova)
    _real_person(adult_org, "Ava Stone", [face("person-a-1")])
    assert not nsfw_permitted(nova)


def test_without_a_face_there_is_nothing_to_check_so_no_adult_content(adult_org, people):
    nova = _wizard(adult_org, people, None)
    _attest(nova, people.owner)
    assert nsfw_problems(nova, None) == [
        "Nova Reyes has no face to check yet. Choose a base image first: its face is compared with the real people "
        "in this organisation."
    ]


def test_the_org_setting_is_still_needed(org, people, face):
    nova = _wizard(org, people, face("person-b-1"))
    _attest(nova, people.owner)
    assert nsfw_problems(nova, None) == [
        "Adult content is switched off for the organisation. An owner can switch it on in Settings."
    ]


def test_an_owner_attests_on_the_character_page_then_allows_adult_content(client, adult_org, people, face):
    nova = _wizard(adult_org, people, face("person-b-1"))
    client.force_login(people.owner)
    page = client.get(_url("detail", adult_org, nova))
    assert synthetic.ATTESTATION_TEXT in text_of(page)
    assert "Record the attestation" in text_of(page)

    unticked = client.post(_url("attest", adult_org, nova), {}, follow=True)
    assert "Tick the box to confirm" in text_of(unticked)
    assert not SyntheticAttestation.objects.exists()

    done = client.post(_url("attest", adult_org, nova), {"confirm": "on"}, follow=True)
    text = text_of(done)
    assert "Attestation recorded." in text
    assert "Attested by" in text
    allowed = client.post(_url("nsfw", adult_org, nova), {"allowed": "1"}, follow=True)
    assert "Adult content is allowed for Nova Reyes." in text_of(allowed)
    nova.refresh_from_db()
    assert nova.nsfw_allowed


def test_the_page_says_why_a_lookalike_cannot_allow_adult_content(client, adult_org, people, face):
    _real_person(adult_org, "Ava Stone", [face("person-a-1"), face("person-a-2")])
    mara = _wizard(adult_org, people, face("person-a-4"), name="Mara Quinn")
    _attest(mara, people.owner)
    client.force_login(people.member)
    refused = client.post(_url("nsfw", adult_org, mara), {"allowed": "1"}, follow=True)
    assert "Mara Quinn's face looks like Ava Stone" in text_of(refused)
    mara.refresh_from_db()
    assert not mara.nsfw_allowed


def test_only_an_owner_attests_and_only_for_wizard_characters(client, adult_org, people, face):
    nova = _wizard(adult_org, people, face("person-b-1"))
    client.force_login(people.member)
    assert client.post(_url("attest", adult_org, nova), {"confirm": "on"}).status_code == 403
    assert "An owner of the organisation records it." in text_of(client.get(_url("detail", adult_org, nova)))
    client.force_login(people.outsider)
    assert client.post(_url("attest", adult_org, nova), {"confirm": "on"}).status_code == 404
    photo_character = Character.objects.create(org=adult_org, name="Ava Stone", origin=Character.Origin.PHOTOS)
    client.force_login(people.owner)
    refused = client.post(_url("attest", adult_org, photo_character), {"confirm": "on"}, follow=True)
    assert "carry a consent record instead" in text_of(refused)
    assert not SyntheticAttestation.objects.exists()
