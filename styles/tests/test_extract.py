"""Extracting a style: one credit on the job engine, the vision model's JSON validated into a recipe
(xAI emulated behind the real HTTP client), the palette measured from the pixels, an unreadable
answer asked again and then failed with the credit returned, and the demo provider's recipe
measured locally and labelled as such."""

import json

import pytest

from assets.models import Asset
from assets.tests.factories import AssetFactory, AssetRowFactory
from billing.models import Hold
from billing.services import credits_available, ledger_problems
from characters.tests import photos
from core.exceptions import DomainError
from providers.contracts import contract_for
from styles import recipe, services
from styles.models import FIELDS, StyleRecipe
from usage.selectors import org_usage

pytestmark = pytest.mark.django_db

ANSWER = {
    "pose": "walking towards the camera, hands in pockets",
    "outfit": "oversized cream knit sweater, straight blue jeans",
    "lighting": "soft overcast daylight, even and diffused",
    "camera": "35 mm lens at eye level, f/2.8, slight motion",
    "composition": "vertical, subject centred, street leading lines",
    "background": "a narrow cobbled street with old shopfronts",
    "mood": "relaxed, candid, autumnal",
}


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="street.jpg", size=(320, 480))


def extract(capture, org, user, asset, key=""):
    with capture(execute=True):
        style = services.style_extract(org=org, user=user, asset=asset, key=key)
    style.refresh_from_db()
    return style


def test_the_vision_model_answers_a_recipe_and_the_palette_comes_from_the_pixels(
    xai_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    fund(5)
    xai_emulator.reply(json.dumps(ANSWER))

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert style.status == "succeeded", style.error
    assert {name: getattr(style, name) for name in FIELDS} == {**ANSWER, "camera": ANSWER["camera"].replace("f/", "f")}
    assert style.demo is False
    assert style.model_label == "Grok vision (grok-4-1-fast-non-reasoning)"
    assert style.asks == 1
    assert 1 <= len(style.palette) <= 6
    assert all(s["hex"].startswith("#") and len(s["hex"]) == 7 and s["name"] for s in style.palette)
    assert sum(s["share"] for s in style.palette) == pytest.approx(1, abs=0.06)
    assert style.name == "Style of street"
    assert style.source == photo
    # One credit, charged when the recipe arrived.
    assert credits_available(org) == 4
    assert Hold.objects.get(pk=style.hold_id).captured_amount == 1
    assert ledger_problems(org) == []
    # What was sent: the preview inline, the schema as structured output, within xAI's contract.
    (sent,) = xai_emulator.requests
    assert contract_for("xai", "chat/completions").errors(sent) == []
    image_part, text_part = sent["messages"][1]["content"]
    assert image_part["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert "pose, outfit, lighting, camera, composition, background, mood" in text_part["text"]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "style_recipe"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == list(FIELDS)


def test_a_fenced_answer_is_read_too(xai_emulator, org, people, photo, fund, django_capture_on_commit_callbacks):
    fund(1)
    xai_emulator.reply("```json\n" + json.dumps(ANSWER) + "\n```")

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert style.status == "succeeded"
    assert style.mood == ANSWER["mood"]


def test_invalid_json_is_asked_again_then_fails_clearly_with_the_credit_returned(
    xai_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    fund(3)
    for _ in range(services.MAX_ASKS):
        xai_emulator.reply('Here is the style: {"pose": "standing", "outfit": ')

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert style.status == "failed"
    assert style.asks == services.MAX_ASKS == 3
    assert len(xai_emulator.requests) == 3
    assert "didn't return a usable style recipe" in style.error
    assert "wasn't valid JSON" in style.error
    assert "your credit is back" in style.error
    assert credits_available(org) == 3
    assert Hold.objects.get(pk=style.hold_id).status == Hold.Status.RELEASED
    assert ledger_problems(org) == []


def test_an_unreadable_answer_then_a_good_one_succeeds_for_one_credit(
    xai_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    fund(2)
    xai_emulator.reply(json.dumps({"pose": "standing", "mood": 3}))  # fields missing, one mistyped
    xai_emulator.reply(json.dumps(ANSWER))

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert (style.status, style.asks, len(xai_emulator.requests)) == ("succeeded", 2, 2)
    assert style.pose == ANSWER["pose"]
    assert credits_available(org) == 1


def test_a_provider_error_fails_the_job_and_returns_the_credit(
    xai_emulator, org, people, photo, fund, django_capture_on_commit_callbacks
):
    fund(1)
    xai_emulator.fail(status=401, times=None)

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert style.status == "failed"
    assert "credentials" in style.error
    assert credits_available(org) == 1


def test_the_demo_recipe_is_measured_from_the_pixels_and_labelled(
    org, people, fund, django_capture_on_commit_callbacks
):
    fund(1)
    face = AssetFactory(org=org, filename="portrait.jpg", data=photos.jpeg(photos.fixture("person-a-1")))

    style = extract(django_capture_on_commit_callbacks, org, people.member, face)

    assert style.status == "succeeded", style.error
    assert style.demo is True
    assert "not AI" in style.model_label
    # It can't see a pose, clothes or a setting, and doesn't pretend to.
    assert (style.pose, style.outfit, style.background) == ("", "", "")
    assert "light" in style.lighting
    assert "contrast" in style.lighting
    assert "face" in style.composition
    assert "orientation" in style.composition or "square" in style.composition
    assert style.camera  # the framing, from the face dlib found
    assert style.palette
    assert credits_available(org) == 0


def test_the_demo_says_so_when_there_is_no_face(org, people, photo, fund, django_capture_on_commit_callbacks):
    fund(1)

    style = extract(django_capture_on_commit_callbacks, org, people.member, photo)

    assert style.status == "succeeded"
    assert "no face found" in style.composition
    assert style.camera == ""


def test_a_repeated_submit_starts_one_job(org, people, photo, fund, django_capture_on_commit_callbacks):
    fund(5)
    first = extract(django_capture_on_commit_callbacks, org, people.member, photo, key="k-1")
    again = extract(django_capture_on_commit_callbacks, org, people.member, photo, key="k-1")

    assert first.pk == again.pk
    assert StyleRecipe.objects.count() == 1
    assert credits_available(org) == 4


def test_without_credits_it_is_refused_and_nothing_is_queued(org, people, photo):
    with pytest.raises(DomainError) as refused:
        services.style_extract(org=org, user=people.member, asset=photo)

    assert refused.value.message == "Extracting a style needs 1 credit and you have 0 available."
    assert StyleRecipe.objects.count() == 0


def test_a_video_or_another_orgs_image_is_refused(org, people, fund):
    fund(5)
    video = AssetRowFactory(org=org, kind=Asset.Kind.VIDEO, mime="video/mp4")
    theirs = AssetRowFactory(org=people.other_org)

    with pytest.raises(DomainError, match="only be extracted from an image"):
        services.style_extract(org=org, user=people.member, asset=video)
    with pytest.raises(DomainError, match="isn't in this organisation"):
        services.style_extract(org=org, user=people.member, asset=theirs)
    assert credits_available(org) == 5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I can't help with that.", "wasn't valid JSON"),
        ("[1, 2]", "wasn't a JSON object"),
        (json.dumps({**ANSWER, "camera": None}), "mistyped camera"),
        (json.dumps(dict.fromkeys(FIELDS, "")), "was empty"),
    ],
)
def test_what_counts_as_unreadable(text, reason):
    with pytest.raises(recipe.RecipeUnreadable) as unreadable:
        recipe.answer_parse(text)
    assert reason in unreadable.value.reason


def test_an_answer_is_tidied_and_extra_keys_ignored():
    answer = recipe.answer_parse(json.dumps({**ANSWER, "pose": '  "arms   crossed" ', "notes": "x"}))
    assert answer.pose == "arms crossed"


@pytest.mark.parametrize(
    ("camera", "plain"),
    [("85 mm, f/1.8, bokeh", "85 mm, f1.8, bokeh"), ("F / 16 landscape", "f16 landscape"), ("1/200 s", "1/200 s")],
)
def test_apertures_are_written_so_the_minors_screen_reads_them_as_apertures(camera, plain):
    assert recipe.apertures_plain(camera) == plain


def test_the_usage_page_counts_the_credit_under_style_extraction_and_its_member(
    org, people, photo, fund, django_capture_on_commit_callbacks
):
    fund(2)
    extract(django_capture_on_commit_callbacks, org, people.member, photo)

    usage = org_usage(org)

    assert [(row.label, row.credits) for row in usage.by_operation] == [("Style extraction", 1)]
    assert [row.credits for row in usage.by_member] == [1]
