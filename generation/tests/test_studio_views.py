"""The Studio in the browser's terms: choosing a character, the form, generating, the polled pack
panel, retry and cancel, "Write prompts for me", history, and who may do what."""

import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from analytics.models import Event as AnalyticsEvent
from billing.services import credits_available
from core.tests.pages import text_of
from generation import packs
from generation.models import GenerationImage, GenerationJob, PromptDraft
from generation.packs import PackRecipe

pytestmark = pytest.mark.django_db


def url(name, org, *args):
    return reverse(f"generation:{name}", args=[org.slug, *args])


FORM = {
    "scene": "night_out",
    "environment": "urban_street",
    "outfit": "",
    "aspect_ratio": "9:16",
    "quality": "draft",
    "count": "5",
    "seed": "",
    "prompt_text": "",
}


@pytest.fixture
def member(client, people):
    client.force_login(people.member)
    return client


def test_the_studio_home_lists_characters_with_their_mode(member, org, hd_character):
    from characters.models import Character

    Character.objects.create(org=org, name="Blank", origin="wizard")
    page = text_of(member.get(url("studio_home", org)))
    assert "Nova Reyes" in page
    assert "HD" in page
    assert "Blank" in page
    assert "No face yet" in page


def test_the_studio_home_without_characters_says_what_to_do(member, org):
    page = text_of(member.get(url("studio_home", org)))
    assert "Create a character first" in page


def test_the_studio_shows_the_character_its_mode_and_the_choices(
    member, org, people, hd_character, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member.get(url("studio", org, hd_character.public_id))
    assert response.status_code == 200
    page = text_of(response)
    assert "Nova Reyes" in page
    assert "HD" in page
    assert hd_character.trigger_word in page
    for label in ("Professional portrait", "Beach day", "Urban street", "Keep Nova Reyes's default", "9:16", "HQ"):
        assert label in page
    assert "Your images appear here" in page
    assert "Adult content is off for Nova Reyes." in page  # and no switch to turn it on
    assert 'name="nsfw"' not in response.content.decode()
    event = AnalyticsEvent.objects.get(name="studio_opened")
    assert event.properties["influencer_id"] == str(hd_character.public_id)
    assert event.user == people.member


def test_generate_starts_a_pack_and_lands_on_it(member, org, hd_character, fund, django_capture_on_commit_callbacks):
    fund(100)
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(url("studio", org, hd_character.public_id), {**FORM, "key": str(uuid.uuid4())})
    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"?pack={job.public_id}#pack")
    page = member.get(response["Location"].split("#")[0])
    text = text_of(page)
    assert "5 images ready" in text
    assert "Night out · Urban street" in text
    assert "Charged 20 credits for 5 images" in text
    # The form keeps this pack's settings for the next one (but not its seeds).
    html = page.content.decode()
    assert 'value="night_out" checked' in html or 'value="night_out"\n' in html or "night_out" in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"count": "11"}, "Choose 1, 5 or 10 images."),
        ({"scene": "rooftop"}, "Select a valid choice"),
        ({"aspect_ratio": "3:2"}, "Select a valid choice"),
        ({"seed": "-4"}, "A seed is a whole number"),
        ({"prompt_text": "a teen on a skateboard"}, "Prompts can't mention children"),
        ({"outfit": "clothing"}, "Upload a photo of the clothing"),
    ],
)
def test_bad_input_comes_back_with_the_reason_and_nothing_held(member, org, hd_character, fund, changes, message):
    fund(100)
    response = member.post(url("studio", org, hd_character.public_id), {**FORM, **changes})
    assert response.status_code == 400
    assert message in text_of(response)
    assert not GenerationJob.objects.exists()
    assert credits_available(org) == 100


def test_a_clothing_file_that_is_not_an_image_is_refused(member, org, hd_character, fund):
    fund(100)
    upload = io.BytesIO(b"%PDF-1.4 not a photo")
    upload.name = "jacket.pdf"
    response = member.post(
        url("studio", org, hd_character.public_id), {**FORM, "outfit": "clothing", "clothing": upload}
    )
    assert response.status_code == 400
    assert (
        "This file is a PDF document, which we don't accept. Use a JPEG, PNG, WebP or HEIC photo of the garment."
        in text_of(response)
    )
    assert not GenerationJob.objects.exists()


def test_a_clothing_photo_goes_with_the_pack(member, org, hd_character, fund, django_capture_on_commit_callbacks):
    fund(100)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (30, 60, 160)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "jacket.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(
            url("studio", org, hd_character.public_id), {**FORM, "count": "1", "outfit": "clothing", "clothing": buffer}
        )
    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert job.clothing.title == "Clothing for Nova Reyes"
    assert job.price_per_image == 16


def test_ten_images_with_credits_for_five_says_the_numbers(member, org, hd_character, fund):
    fund(25)
    response = member.post(url("studio", org, hd_character.public_id), {**FORM, "count": "10"})
    assert response.status_code == 400
    assert "10 images need 40 credits and you have 25 available. 5 images (20 credits) would fit" in text_of(response)


def test_double_submit_makes_one_pack(member, org, hd_character, fund):
    fund(100)
    data = {**FORM, "key": str(uuid.uuid4())}
    first = member.post(url("studio", org, hd_character.public_id), data)
    second = member.post(url("studio", org, hd_character.public_id), data)
    assert first["Location"] == second["Location"]
    assert GenerationJob.objects.count() == 1


def test_the_pack_panel_polls_while_running_and_stops_with_286(member, org, hd_character, fund, people):
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe())  # submits not run
    running = member.get(url("pack_status", org, job.public_id))
    assert running.status_code == 200
    assert "0 of 5 done" in text_of(running)
    # It polls every second, and pauses while a tile menu is open.
    assert 'hx-trigger="every 1s" hx-swap="outerHTML" data-pause-while-open' in running.content.decode()
    packs.pack_cancel(job=job, user=people.member)
    done = member.get(url("pack_status", org, job.public_id))
    assert done.status_code == 286
    assert "Cancelled" in text_of(done)


PILL_OOB = 'id="credits-pill" hx-swap-oob="true"'


def test_the_credits_pill_follows_the_pack_when_it_settles(member, org, hd_character, fund, people):
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe())  # 20 held
    htmx = {"HX-Request": "true"}
    running = member.get(url("pack_status", org, job.public_id), headers=htmx)
    assert PILL_OOB not in running.content.decode()  # an ordinary poll leaves the top bar alone
    packs.pack_cancel(job=job, user=people.member)
    done = member.get(url("pack_status", org, job.public_id), headers=htmx)
    assert done.status_code == 286
    html = done.content.decode()
    pill = html[html.index(PILL_OOB) :].split("</a>", 1)[0]
    assert "100</strong> credits" in pill  # the hold of 20 went back
    assert "credits-pill-held" not in pill
    # A full page, or a request that isn't HTMX, has the pill in its layout only.
    assert PILL_OOB not in member.get(url("pack_status", org, job.public_id)).content.decode()


def test_the_pack_panel_costs_the_same_number_of_queries_for_1_or_10_images(
    member, org, hd_character, fund, people, django_capture_on_commit_callbacks
):
    fund(200)
    member.get(url("studio_home", org))  # the first visit records the last org; not what's measured

    def queries(count):
        with django_capture_on_commit_callbacks(execute=True):
            job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=count))
        with CaptureQueriesContext(connection) as captured:
            assert member.get(url("pack_status", org, job.public_id)).status_code == 286
        return len(captured)

    assert queries(1) == queries(10)


def test_each_tile_says_what_its_likeness_is(
    member, org, hd_character, fund, people, django_capture_on_commit_callbacks
):
    fund(100)
    with django_capture_on_commit_callbacks(execute=True):
        job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=5))
    made = list(job.images.order_by("position"))
    assert all(i.scored and i.identity_score is None for i in made)  # demo placeholders have no face
    panel = text_of(member.get(url("pack_status", org, job.public_id)))
    assert panel.count("Demo · not scored") == 5
    assert "No face found" not in panel  # not a real image without a face: a placeholder

    GenerationImage.objects.filter(pk=made[0].pk).update(identity_score=packs.IDENTITY_THRESHOLD + 10)
    GenerationImage.objects.filter(pk=made[1].pk).update(identity_score=packs.IDENTITY_THRESHOLD - 1)
    real = made[2].asset
    real.metadata["recipe"]["provider"] = "fal"  # as if a provider had drawn it and no face was found
    real.save(update_fields=["metadata"])
    GenerationImage.objects.filter(pk=made[3].pk).update(scored=False)
    panel = text_of(member.get(url("pack_status", org, job.public_id)))
    assert f"Low likeness · {packs.IDENTITY_THRESHOLD - 1}" in panel
    assert str(packs.IDENTITY_THRESHOLD + 10) in panel
    assert panel.count("No face found") == 1
    assert panel.count("Demo · not scored") == 1
    assert "Scoring" in panel


def test_retry_and_cancel_from_the_panel(member, org, hd_character, fund, settings, django_capture_on_commit_callbacks):
    fund(100)
    settings.DEMO_PROVIDER_FAILURE_RATE = 1
    with django_capture_on_commit_callbacks(execute=True):
        member.post(url("studio", org, hd_character.public_id), {**FORM, "count": "1"})
    job = GenerationJob.objects.get()
    panel = member.get(url("pack_status", org, job.public_id))
    assert "Simulated failure from the demo provider" in text_of(panel)
    assert "Retry · 4 credits" in text_of(panel)

    settings.DEMO_PROVIDER_FAILURE_RATE = 0
    with django_capture_on_commit_callbacks(execute=True):
        retried = member.post(url("image_retry", org, job.public_id, 0), headers={"HX-Request": "true"})
    assert retried.status_code == 200
    assert GenerationImage.objects.get(job=job).status == "succeeded"
    assert credits_available(org) == 96
    assert PILL_OOB in retried.content.decode()
    assert "96</strong> credits" in retried.content.decode()


def test_write_prompts_for_me_fills_editable_prompts_for_one_credit(
    member, org, hd_character, fund, django_capture_on_commit_callbacks
):
    fund(10)
    with django_capture_on_commit_callbacks(execute=True):
        response = member.post(
            url("prompts_write", org, hd_character.public_id), {**FORM, "count": "5"}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    draft = PromptDraft.objects.get()
    assert draft.status == "succeeded"
    assert len(draft.prompts) == 5
    assert len(set(draft.prompts)) == 5
    assert all("glamorous night look" in p for p in draft.prompts)
    assert credits_available(org) == 9
    polled = member.get(url("prompts_status", org, draft.public_id))
    assert polled.status_code == 286
    html = polled.content.decode()
    assert 'name="prompt_0"' in html
    assert 'name="prompt_4"' in html
    assert "demo provider" in text_of(polled)

    # The edited prompts are what the pack uses.
    edited = {f"prompt_{n}": f"prsn on a rooftop, take {n}" for n in range(5)}
    with django_capture_on_commit_callbacks(execute=True):
        member.post(url("studio", org, hd_character.public_id), {**FORM, **edited, "count": "1"})
    image = GenerationImage.objects.get()
    assert image.prompt == "prsn on a rooftop, take 0"


def test_write_prompts_refuses_when_broke_and_viewers_cannot(client, member, org, people, hd_character):
    response = member.post(url("prompts_write", org, hd_character.public_id), FORM, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Writing prompts needs 1 credit and you have 0 available." in text_of(response)
    client.force_login(people.viewer)
    assert client.post(url("prompts_write", org, hd_character.public_id), FORM).status_code == 403
    assert not PromptDraft.objects.exists()


def test_viewers_watch_but_cannot_generate(client, org, people, hd_character, fund):
    fund(100)
    client.force_login(people.viewer)
    page = client.get(url("studio", org, hd_character.public_id))
    assert page.status_code == 200
    assert "You're a viewer here" in text_of(page)
    refused = client.post(url("studio", org, hd_character.public_id), FORM, follow=True)
    assert "Viewers can look but not change things here." in text_of(refused)
    assert not GenerationJob.objects.exists()


def test_another_orgs_character_and_pack_are_404(client, org, people, hd_character, fund):
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1))
    client.force_login(people.outsider)
    rival = people.other_org
    assert client.get(url("studio", rival, hd_character.public_id)).status_code == 404
    assert client.post(url("studio", rival, hd_character.public_id), FORM).status_code == 404
    assert client.get(url("pack_status", rival, job.public_id)).status_code == 404
    assert client.post(url("pack_cancel", rival, job.public_id)).status_code == 404


def test_history_lists_packs_with_their_settings_and_filters(
    member, org, hd_character, fund, people, django_capture_on_commit_callbacks
):
    fund(200)
    with django_capture_on_commit_callbacks(execute=True):
        packs.pack_start(
            character=hd_character, user=people.member, recipe=PackRecipe(scene="beach_day", environment="beach")
        )
        packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(scene="night_out", count=1))
    everything = text_of(member.get(url("history", org, hd_character.public_id)))
    assert "Beach day · Beach" in everything
    assert "Night out · Studio" in everything
    beach = text_of(member.get(url("history", org, hd_character.public_id) + "?scene=beach_day"))
    assert "Beach day · Beach" in beach
    assert "Night out" not in beach.split("Outcome")[1]
    none = text_of(member.get(url("history", org, hd_character.public_id) + "?status=failed"))
    assert "No packs match these filters" in none


def test_a_pack_read_for_its_panel_still_answers_other_questions(org, people, hd_character, fund):
    from generation import selectors

    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=5))
    read = selectors.pack_get(org, job.public_id)
    assert [i.position for i in read.images.all()] == [0, 1, 2, 3, 4]
    assert list(read.images.order_by("-position").values_list("position", flat=True)) == [4, 3, 2, 1, 0]
    assert selectors.pack_get(people.other_org, job.public_id) is None


def test_a_double_click_on_re_run_starts_one_pack(
    member, org, people, hd_character, fund, django_capture_on_commit_callbacks
):
    fund(100)
    with django_capture_on_commit_callbacks(execute=True):
        first = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1))
    key = str(uuid.uuid4())
    one = member.post(url("pack_rerun", org, first.public_id), {"key": key})
    two = member.post(url("pack_rerun", org, first.public_id), {"key": key})
    assert one["Location"] == two["Location"]
    assert GenerationJob.objects.filter(source_job=first).count() == 1
    page = member.get(url("pack_status", org, first.public_id))
    assert 'name="key" value="' in page.content.decode()  # the panel's forms carry their keys


def test_the_studio_opens_even_when_analytics_cannot_be_written(
    member, org, hd_character, django_capture_on_commit_callbacks, caplog
):
    from unittest import mock

    with (
        mock.patch("analytics.services.Event.objects.bulk_create", side_effect=RuntimeError("events table gone")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = member.get(url("studio", org, hd_character.public_id))

    assert response.status_code == 200
    assert "Nova Reyes" in text_of(response)
    assert not AnalyticsEvent.objects.exists()
    assert "could not record" in caplog.text
