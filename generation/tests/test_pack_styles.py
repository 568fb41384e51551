"""Style recipes as Studio presets: a pack made with one builds its prompt from the recipe (with any
character), records the recipe with every image and links the source image in its lineage; the
Studio offers the org's styles under "Your styles" and refuses one it doesn't offer."""

import html

import pytest

from assets.tests.factories import AssetFactory
from generation import drafts, packs
from generation.models import GenerationImage, GenerationJob
from generation.packs import PackRecipe
from providers.models import ProviderCall
from styles.tests.factories import WORDS, style_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(org):
    return AssetFactory(org=org, filename="bridge.jpg", size=(120, 160))


@pytest.fixture
def style(org, source):
    return style_ready(org, source=source, in_studio=True)


def _start(capture, character, user, recipe):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=recipe)
    job.refresh_from_db()
    return job


def test_a_pack_with_a_style_is_prompted_from_the_recipe_and_records_it(
    hd_character, style, source, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    recipe = PackRecipe(count=1)
    recipe.style_use(style)

    job = _start(django_capture_on_commit_callbacks, hd_character, people.member, recipe)

    assert job.status == "succeeded"
    assert (job.scene, job.environment, job.style_id) == ("", "", style.pk)
    assert job.style_recipe["name"] == "Sunset bridge"
    image = GenerationImage.objects.select_related("asset").get(job=job)
    prompt = ProviderCall.objects.get(pk=image.call_id).input["prompt"]
    assert prompt.startswith(hd_character.trigger_word + ", Photo of a 27 year old")
    for name in ("pose", "lighting", "camera", "composition", "background", "mood"):
        assert WORDS[name] in prompt, name
    assert f"wearing {WORDS['outfit']}" in prompt  # the style's outfit, as none was picked
    assert "colour palette of navy, cream and rust" in prompt
    assert "glamorous" not in prompt
    assert "professional headshot" not in prompt
    asset = image.asset
    assert asset.metadata["recipe"]["style"]["id"] == str(style.public_id)
    assert asset.metadata["recipe"]["style"]["camera"] == WORDS["camera"]
    assert list(asset.parents.all()) == [source]
    assert "style “Sunset bridge”" in asset.title


def test_a_chosen_outfit_wins_over_the_styles_and_a_rerun_keeps_the_words_it_used(
    swap_character, style, people, fund, django_capture_on_commit_callbacks
):
    fund(100)
    recipe = PackRecipe(count=1, outfit="evening_gown")
    recipe.style_use(style)
    job = _start(django_capture_on_commit_callbacks, swap_character, people.member, recipe)
    first = GenerationImage.objects.get(job=job).prompt
    assert "an elegant evening gown" in first
    assert WORDS["outfit"] not in first

    style.delete()  # the style goes; a re-run still has the recipe it was made with
    job.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        again = packs.pack_rerun(job=job, user=people.member)

    assert again.style_recipe == job.style_recipe
    assert GenerationImage.objects.get(job=again).prompt == first


def test_the_studio_offers_the_orgs_styles_and_generates_with_one(
    client, people, hd_character, style, org, fund, django_capture_on_commit_callbacks
):
    fund(100)
    style_ready(org, name="Not offered", in_studio=False)
    style_ready(people.other_org, name="Someone else's", in_studio=True)
    client.force_login(people.member)
    url = f"/o/{org.slug}/studio/{hd_character.public_id}/"

    page = client.get(url + f"?style={style.public_id}").content.decode()

    assert "Your styles" in page
    assert "Sunset bridge" in page
    assert "Not offered" not in page
    assert "Someone else" not in page
    assert f'value="{style.public_id}" id="id_style_1" checked' in page
    form = {"scene": "night_out", "environment": "studio", "aspect_ratio": "9:16", "quality": "draft", "count": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "style": str(style.public_id)})
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.style_id == style.pk
    assert job.scene == ""  # the style replaced the scene and environment
    image = GenerationImage.objects.select_related("asset").get(job=job)
    assert WORDS["background"] in image.prompt
    asset_page = html.unescape(client.get(f"/o/{org.slug}/library/{image.asset.public_id}/").content.decode())
    assert "Made in the style “Sunset bridge”." in asset_page


def test_a_style_not_offered_in_the_studio_is_refused_and_nothing_is_charged(client, people, hd_character, org, fund):
    fund(100)
    hidden = style_ready(org, name="Not offered", in_studio=False)
    theirs = style_ready(people.other_org, name="Theirs", in_studio=True)
    client.force_login(people.member)
    url = f"/o/{org.slug}/studio/{hd_character.public_id}/"
    form = {"scene": "night_out", "environment": "studio", "aspect_ratio": "9:16", "quality": "draft", "count": "1"}

    for style in (hidden, theirs):
        response = client.post(url, {**form, "style": str(style.public_id)})
        assert response.status_code == 400
        assert "no longer offered in the Studio" in response.content.decode()
    assert GenerationJob.objects.count() == 0


def test_the_studio_home_carries_a_style_to_each_character(client, people, hd_character, style, org):
    client.force_login(people.viewer)

    page = client.get(f"/o/{org.slug}/studio/?style={style.public_id}").content.decode()

    assert "Pick a character to photograph in the style" in page
    assert f"/studio/{hd_character.public_id}/?style={style.public_id}" in page


def test_write_prompts_for_me_starts_from_the_styles_words(
    swap_character, style, people, fund, django_capture_on_commit_callbacks
):
    fund(5)
    recipe = PackRecipe(count=1)
    recipe.style_use(style)

    with django_capture_on_commit_callbacks(execute=True):
        draft = drafts.draft_start(character=swap_character, user=people.member, recipe=recipe)
    draft.refresh_from_db()

    assert draft.status == "succeeded"
    assert draft.params["style"] == "Sunset bridge"
    assert WORDS["lighting"] in draft.params["base"]
    assert WORDS["lighting"] in draft.prompts[0]  # the demo writer varies the base prompt it was given
