"""The wizard: four candidates → choose a base image (face-swap mode at once) → character sheet →
sheet check → training → HD mode by itself. On the demo provider end to end, and against the fal
emulator with real faces so the sheet check keeps the base image's person and drops another."""

import io
import zipfile

import pytest

from assets.tests.factories import AssetFactory
from billing.models import Hold
from billing.services import InsufficientCredits, credits_available, ledger_problems
from characters import pipeline, wizard
from characters.models import Character, CharacterJob, TrainingRun
from characters.tests import photos
from core.exceptions import DomainError
from notifications.models import Notification
from providers import gateway
from providers.models import ProviderCall
from tests.fal_emulator import FalEmulator
from tests.provider_fixtures import provider_fetch

pytestmark = pytest.mark.django_db


def _run(capture, fn, **kwargs):
    with capture(execute=True):
        return fn(**kwargs)


def _candidates(capture, character, user):
    job = _run(capture, wizard.wizard_candidates_start, character=character, user=user, key="candidates")
    job.refresh_from_db()
    return job


def test_the_wizard_runs_end_to_end_on_the_demo_provider(
    wizard_character, people, org, fund, django_capture_on_commit_callbacks, mailoutbox
):
    fund(376)  # 16 candidates + 60 sheet + 300 training
    job = _candidates(django_capture_on_commit_callbacks, wizard_character, people.member)
    assert job.status == "succeeded"
    items = list(job.items.all())
    assert len(items) == 4
    assert all(i.asset for i in items)
    calls = [ProviderCall.objects.get(pk=i.call_id) for i in items]
    assert {c.endpoint_id for c in calls} == {"fal-ai/flux/dev"}
    prompt = calls[0].input["prompt"]
    assert "27 year old East Asian woman, with long wavy black hair" in prompt
    assert "a black leather jacket over a band tee" in prompt
    assert prompt.endswith("head and shoulders portrait, looking at the camera, neutral background, soft natural light")
    assert len({c.input["seed"] for c in calls}) == 4
    assert all(c.input["image_size"] == "portrait_4_3" and c.input["enable_safety_checker"] for c in calls)
    assert items[0].asset.recipe["model"] == "Labelled placeholder (demo provider, not AI)"
    assert credits_available(org) == 360

    chosen = items[2].asset
    sheet = _run(
        django_capture_on_commit_callbacks,
        wizard.wizard_choose,
        character=wizard_character,
        asset=chosen,
        user=people.member,
        key="choose",
    )
    assert sheet is not None
    character = Character.objects.get(pk=wizard_character.pk)
    assert character.base_image == chosen
    assert character.avatar == chosen

    sheet.refresh_from_db()
    assert sheet.kind == "sheet"
    assert sheet.status == "succeeded"
    sheet_items = list(sheet.items.select_related("asset"))
    assert len(sheet_items) == 8
    assert [i.label for i in sheet_items][:3] == ["Front, neutral", "3/4 left, smiling", "3/4 right"]
    assert all(list(i.asset.parents.all()) == [chosen] for i in sheet_items)
    pulid = ProviderCall.objects.get(pk=sheet_items[0].call_id)
    assert pulid.endpoint_id == "fal-ai/flux-pulid"
    assert pulid.input["reference_image_url"] == {"$asset": str(chosen.public_id), "variant": "preview"}
    # The demo's placeholders have no face, so identity can't be verified: all kept, and said so.
    assert sheet.params["identity_verified"] is False
    assert len(sheet.params["kept"]) == 8
    assert "couldn't be checked" in sheet.params["check"]["note"]

    run = TrainingRun.objects.get(character=character)
    assert run.source == "sheet"
    assert run.images == 9
    assert run.status == "succeeded", run.error
    assert run.hold_id == sheet.params["training_hold"]
    assert character.mode == "hd"  # switched by itself
    references = CharacterJob.objects.get(character=character, kind="references")
    assert references.items.filter(asset__isnull=False).count() == 4

    assert credits_available(org) == 0
    holds = Hold.objects.filter(org=org).order_by("pk")
    assert [(h.operation, h.status, h.captured_amount) for h in holds] == [
        ("wizard_candidates", "captured", 16),
        ("character_sheet", "captured", 60),
        ("lora_training", "captured", 300),
    ]
    assert ledger_problems(org) == []
    assert Notification.objects.get(user=people.member).title == "Demo run finished for Mara Quinn (no model trained)"
    # (Holding the last credits for training also sent the low-credit email; billing tests cover it.)
    assert [m.subject for m in mailoutbox if "low on credits" not in m.subject] == [
        "Demo run finished for Mara Quinn (no model trained)"
    ]


def test_short_of_credits_at_choose_the_character_is_still_usable_and_hd_can_finish_later(
    wizard_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(116)
    job = _candidates(django_capture_on_commit_callbacks, wizard_character, people.member)
    chosen = job.items.first().asset
    result = wizard.wizard_choose(character=wizard_character, asset=chosen, user=people.member, key="choose")
    assert result is None
    character = Character.objects.get(pk=wizard_character.pk)
    assert character.base_image == chosen
    assert character.mode == "face_swap"
    assert character.lora_status == "none"
    assert not CharacterJob.objects.filter(kind="sheet").exists()
    assert credits_available(org) == 100  # nothing held for a pipeline that didn't start
    assert not Hold.objects.filter(status="active").exists()

    with pytest.raises(InsufficientCredits) as exc:
        wizard.hd_pipeline_start(character=character, user=people.member, key="hd1")
    assert (exc.value.needed, exc.value.available) == (360, 100)

    fund(300)
    _run(
        django_capture_on_commit_callbacks,
        wizard.hd_pipeline_start,
        character=character,
        user=people.member,
        key="hd2",
    )
    character.refresh_from_db()
    assert character.mode == "hd"
    assert credits_available(org) == 40
    assert ledger_problems(org) == []


def test_only_this_characters_candidates_can_be_chosen(wizard_character, people, org, fund):
    stranger = AssetFactory(org=org, filename="someone.jpg")
    with pytest.raises(DomainError, match="candidate"):
        wizard.wizard_choose(character=wizard_character, asset=stranger, user=people.member, key="k")
    assert Character.objects.get(pk=wizard_character.pk).base_image is None


def test_a_photo_character_gets_no_candidates(org, people, fund):
    character = Character.objects.create(org=org, name="Real", origin=Character.Origin.PHOTOS)
    fund(16)
    with pytest.raises(DomainError, match="wizard"):
        wizard.wizard_candidates_start(character=character, user=people.member, key="k")
    assert credits_available(org) == 16


def test_a_second_set_of_candidates_waits_for_the_first(wizard_character, people, org, fund):
    fund(32)
    first = wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="a")
    assert wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="a") == first
    with pytest.raises(DomainError, match="already being made"):
        wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="b")
    assert credits_available(org) == 16


def test_cancelling_the_sheet_returns_the_sheet_and_training_credits(
    wizard_character, people, org, fund, django_capture_on_commit_callbacks
):
    fund(376)
    job = _candidates(django_capture_on_commit_callbacks, wizard_character, people.member)
    sheet = wizard.wizard_choose(character=wizard_character, asset=job.items.first().asset, user=people.member, key="c")
    assert credits_available(org) == 0
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.character_job_cancel(job=sheet, user=people.member)
    sheet.refresh_from_db()
    assert sheet.status == "cancelled"
    assert set(sheet.items.values_list("status", flat=True)) == {"cancelled"}
    assert set(ProviderCall.objects.filter(operation="image_pulid").values_list("status", flat=True)) == {"cancelled"}
    character = Character.objects.get(pk=wizard_character.pk)
    assert character.lora_status == "none"
    assert character.mode == "face_swap"
    assert not TrainingRun.objects.exists()
    assert credits_available(org) == 360
    assert ledger_problems(org) == []
    with pytest.raises(DomainError, match="already finished"):
        pipeline.character_job_cancel(job=sheet, user=people.member)


# --- Against the fal emulator, with real faces ----------------------------------------------------


def _jpeg_result(fal_emulator: FalEmulator, name: str, data: bytes) -> dict:
    url = fal_emulator.add_file(name, data, "image/jpeg")
    return {"images": [{"url": url, "content_type": "image/jpeg", "width": 1024, "height": 1024}], "seed": 7}


def _finish(fal_emulator, calls, capture):
    for call in calls:
        fal_emulator.complete(call.request_id)
        with capture(execute=True):
            gateway.call_poll(call.pk)


def _sheet_with(fal_emulator, wizard_character, people, fund, capture, *, same: int, other: int):
    """Candidates of person A; choose one; the sheet comes back with ``same`` photos of A and
    ``other`` of person B. Returns the sheet job."""
    fund(376)
    fal_emulator.behave("fal-ai/flux/dev", result=_jpeg_result(fal_emulator, "a.jpg", photos.photo("person-a-1")))
    job = _candidates(capture, wizard_character, people.member)
    _finish(fal_emulator, [ProviderCall.objects.get(pk=i.call_id) for i in job.items.all()], capture)
    job.refresh_from_db()
    assert job.status == "succeeded"
    sheet = _run(
        capture,
        wizard.wizard_choose,
        character=wizard_character,
        asset=job.items.first().asset,
        user=people.member,
        key="choose",
    )
    calls = [ProviderCall.objects.get(pk=i.call_id) for i in sheet.items.order_by("position")]
    faces = photos.person_a_photos(same) + [photos.photo("person-b-1"), photos.photo("person-b-2")] * other
    for n, call in enumerate(calls):
        fal_emulator.request(call.request_id).result = _jpeg_result(fal_emulator, f"sheet-{n}.jpg", faces[n])
    _finish(fal_emulator, calls, capture)
    sheet.refresh_from_db()
    return sheet


def test_the_sheet_check_keeps_the_base_images_person_and_trains_on_them(
    fal_emulator, analyse_once, wizard_character, people, org, fund, django_capture_on_commit_callbacks
):
    sheet = _sheet_with(
        fal_emulator, wizard_character, people, fund, django_capture_on_commit_callbacks, same=6, other=1
    )
    character = Character.objects.get(pk=wizard_character.pk)
    assert sheet.status == "succeeded"
    assert sheet.params["identity_verified"] is True
    assert len(sheet.params["kept"]) == 6
    dropped = sheet.items.exclude(pk__in=sheet.params["kept"])
    assert [i.error for i in dropped] == ["Doesn't look like the base image.", "Doesn't look like the base image."]
    assert all(i.identity_distance > 0.6 for i in dropped)
    assert all(i.identity_distance < 0.6 for i in sheet.items.filter(pk__in=sheet.params["kept"]))
    # The identity reference: the base image's face and the six kept ones.
    assert character.identity_source == "sheet"
    assert character.identity_images == 7

    run = TrainingRun.objects.get(character=character)
    assert (run.source, run.status, run.images) == ("sheet", "queued", 7)
    assert character.lora_status == "training"
    train = next(r for r in fal_emulator.requests if r.endpoint_id == "fal-ai/flux-lora-fast-training")
    archive = zipfile.ZipFile(io.BytesIO(provider_fetch(train.arguments["images_data_url"])))
    assert archive.namelist() == ["01_base.jpg"] + [f"{n:02d}_sheet.jpg" for n in range(2, 8)]
    assert credits_available(org) == 0  # 16 + 60 charged, 300 still held for training
    assert ledger_problems(org) == []


def test_a_sheet_that_doesnt_show_the_same_person_stops_before_training_with_credits_back(
    fal_emulator, analyse_once, wizard_character, people, org, fund, django_capture_on_commit_callbacks, mailoutbox
):
    sheet = _sheet_with(
        fal_emulator, wizard_character, people, fund, django_capture_on_commit_callbacks, same=4, other=2
    )
    assert len(sheet.params["kept"]) == 4
    character = Character.objects.get(pk=wizard_character.pk)
    assert not TrainingRun.objects.exists()
    assert character.lora_status == "failed"
    assert character.mode == "face_swap"  # still usable
    assert Hold.objects.get(pk=sheet.params["training_hold"]).status == "released"
    assert credits_available(org) == 300
    note = Notification.objects.get(user=people.member)
    assert note.title == "HD mode couldn't be set up for Mara Quinn"
    assert "Only 4 of the 8 character-sheet images showed the same face" in note.body
    assert "300 credits held for training are available again" in note.body
    assert len([m for m in mailoutbox if "low on credits" not in m.subject]) == 1
    assert ledger_problems(org) == []
