"""Contract tests over real HTTP and TLS: the product's own services drive every AI operation to
the end, with a real Celery worker, the real fal_client / replicate / httpx clients talking to the
TLS emulator (``tests.tls_emulator``) by configuration alone, the emulator fetching every input
URL from the live server (signed ``/media/p/`` URLs) and delivering signed webhooks to it. Each
request body is checked against its endpoint's contract (``providers.contracts``) on the way in.
"""

from __future__ import annotations

import io
import json
import time

import pytest
from celery.worker import state as worker_state
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assets import storage
from assets.models import Asset
from assets.services import asset_create_from_bytes
from assets.tests.factories import AssetFactory
from billing.services import credits_available, ledger_problems
from characters import captions, training, wizard
from characters.models import Character, CharacterJob, TrainingRun
from characters.tests.conftest import trainable, wizard_character
from config.celery import app
from core.jobs import ACTIVE
from generation import drafts, edits, packs, services
from generation.models import EditJob, GenerationJob, PromptDraft
from generation.packs import PackRecipe
from generation.tests import test_edits_what_the_provider_sees as shown
from generation.tests.conftest import face_photo, hd_character, swap_character
from providers import gateway, handlers, webhooks
from providers.adapters.base import ProviderError
from providers.adapters.fal import FalAdapter
from providers.adapters.replicate import ReplicateAdapter
from providers.adapters.xai import XaiAdapter
from providers.contracts.replicate_robust_video_matting import VERSION as MATTING_VERSION
from providers.contracts.shapes import safetensors_sample
from providers.models import ProviderCall
from tests.in_process_worker import in_process_worker
from tests.tls_emulator import JWKS_URL, ORIGIN, XAI_BASE_URL

pytestmark = pytest.mark.worker
# The worker and the live server see the test's rows only when they are committed.
committed = pytest.mark.django_db(transaction=True)
# Characters from the apps' own test fixtures, used here by name.
BORROWED_FIXTURES = (face_photo, hd_character, swap_character, trainable, wizard_character)

TIMEOUT = 30.0


def wait_for(predicate, timeout=TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def settled(model, pk, timeout=TIMEOUT):
    """The row once its status is no longer active (queued or running)."""
    wait_for(lambda: model.objects.get(pk=pk).status not in ACTIVE, timeout)
    return model.objects.get(pk=pk)


@pytest.fixture(scope="module")
def worker(django_db_blocker):
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with django_db_blocker.unblock(), in_process_worker(app):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.fixture
def providers(tls_providers, worker, live_server, settings, media_root):
    """The TLS emulator, fresh, with every provider configured to use it and the live server as
    the public origin providers call back and fetch our files from."""
    tls_providers.reset()
    settings.FAL_KEY = "fal-test-key"
    settings.FAL_JWKS_URL = JWKS_URL
    settings.FAL_WEBHOOK_USER_ID = tls_providers.fal.user_id
    settings.REPLICATE_API_TOKEN = "r8_test"
    settings.REPLICATE_WEBHOOK_SECRET = tls_providers.replicate.webhook_secret
    settings.REPLICATE_BASE_URL = ORIGIN
    settings.XAI_API_KEY = "xai-test-key"
    settings.XAI_BASE_URL = XAI_BASE_URL
    settings.PROVIDER_PUBLIC_URL = live_server.url
    settings.PROVIDER_OUTPUT_HOSTS = [*settings.PROVIDER_OUTPUT_HOSTS, "127.0.0.1"]
    cache.delete_many(list(webhooks.JWKS_CACHE_KEYS))
    yield tls_providers
    tls_providers.settle()
    worker_idle()  # before the database is emptied under a task still running
    assert tls_providers.delivery_errors == []


def worker_idle(quiet: float = 0.3) -> None:
    """Wait until the in-process worker has had nothing to do for ``quiet`` seconds."""
    idle_since = None

    def idle() -> bool:
        nonlocal idle_since
        if worker_state.active_requests or worker_state.reserved_requests:
            idle_since = None
            return False
        idle_since = idle_since or time.monotonic()
        return time.monotonic() - idle_since >= quiet

    wait_for(idle, timeout=TIMEOUT)


@pytest.fixture
def eager():
    """Run tasks inline while a fixture builds its data (the worker takes over afterwards)."""

    class Eager:
        def __enter__(self):
            app.conf.task_always_eager = True

        def __exit__(self, *exc):
            app.conf.task_always_eager = False

    return Eager()


@pytest.fixture
def photos_character(request, eager):
    with eager:
        return request.getfixturevalue("trainable")


@pytest.fixture
def photo(org):
    return AssetFactory(org=org, filename="portrait.jpg", size=(320, 240))


def mask_upload(size=(320, 240)) -> SimpleUploadedFile:
    image = Image.new("L", size, 0)
    image.paste(255, (100, 60, 220, 180))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("mask.png", buffer.getvalue(), content_type="image/png")


def endpoints(providers) -> list[str]:
    return [request.endpoint_id for request in providers.fal.requests]


def assert_fetched_from_live_server(providers, live_server):
    assert providers.fetched
    assert all(url.startswith(f"{live_server.url}/media/p/") for url in providers.fetched), providers.fetched


# --- fal --------------------------------------------------------------------------------------------


@committed
def test_an_upscale_fetches_its_image_and_finishes_by_signed_webhook(providers, live_server, org, people, fund, photo):
    fund(20)
    job = services.upscale_start(org=org, user=people.member, asset=photo, factor=2)

    job = settled(EditJob, job.pk)
    assert job.status == "succeeded", job.error
    assert (job.result.width, job.result.height) == (640, 480)  # the input the emulator fetched, times two
    assert endpoints(providers) == ["fal-ai/seedvr/upscale/image"]
    assert_fetched_from_live_server(providers, live_server)
    call = ProviderCall.objects.get(pk=job.call_id)
    assert call.webhook_received_at is not None
    assert credits_available(org) == 20 - job.credits
    assert ledger_problems(org) == []


@committed
def test_an_hd_pack_of_five_goes_through_flux_lora_with_the_lora_fetched(
    providers, live_server, hd_character, people, org, fund
):
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=5))

    job = settled(GenerationJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/flux-lora"] * 5
    assert Asset.objects.filter(pk__in=job.images.values("asset")).count() == 5
    lora_urls = {request.arguments["loras"][0]["path"] for request in providers.fal.requests}
    assert all(url.startswith(f"{live_server.url}/media/p/") for url in lora_urls)
    assert credits_available(org) == 100 - 5 * job.price_per_image
    assert ledger_problems(org) == []


@committed
def test_a_draft_pack_of_a_character_with_a_z_image_lora_runs_on_z_image_turbo(
    providers, live_server, hd_character, people, org, fund
):
    key = storage.storage().save(
        storage.lora_key(org, hd_character).removesuffix(".safetensors") + ".zimage.safetensors",
        ContentFile(safetensors_sample()),
    )
    hd_character.zimage_lora_key = key
    hd_character.save(update_fields=["zimage_lora_key"])
    fund(100)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=PackRecipe(count=1, quality="draft"))

    job = settled(GenerationJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/z-image/turbo/lora"]
    sent = providers.fal.requests[0].arguments
    assert sent["num_inference_steps"] <= 8
    assert sent["loras"][0]["path"].startswith(f"{live_server.url}/media/p/")
    recipe = Asset.objects.get(pk=job.images.first().asset_id).recipe
    assert recipe["endpoint"] == "fal-ai/z-image/turbo/lora"
    assert credits_available(org) == 100 - job.price_per_image
    assert ledger_problems(org) == []


@committed
def test_a_face_swap_pack_goes_through_pulid(providers, swap_character, people, org, fund):
    fund(100)
    job = packs.pack_start(character=swap_character, user=people.member, recipe=PackRecipe(count=1))

    job = settled(GenerationJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/flux-pulid"]
    assert Asset.objects.filter(pk__in=job.images.values("asset")).count() == 1
    assert credits_available(org) == 100 - job.price_per_image
    assert ledger_problems(org) == []


@committed
def test_a_pack_with_a_clothing_image_tries_it_on_after_each_image(providers, hd_character, people, org, fund):
    fund(100)
    garment = AssetFactory(org=org, filename="jacket.jpg", size=(400, 500))
    recipe = PackRecipe(count=1, outfit="clothing", clothing=garment)
    job = packs.pack_start(character=hd_character, user=people.member, recipe=recipe)

    job = settled(GenerationJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/flux-lora", "fal-ai/fashn/tryon/v1.6"]
    image = job.images.get()
    assert set(image.asset.parents.all()) == {garment}
    assert credits_available(org) == 100 - job.price_per_image
    assert ledger_problems(org) == []


@committed
def test_an_inpaint_sends_the_image_and_mask_by_url(providers, live_server, org, people, fund, photo):
    fund(20)
    job = edits.inpaint_start(org=org, user=people.member, asset=photo, prompt="a red scarf", mask=mask_upload())

    job = settled(EditJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/flux-lora/inpainting"]
    assert_fetched_from_live_server(providers, live_server)
    assert job.result.parents.get() == photo
    assert credits_available(org) == 20 - job.credits
    assert ledger_problems(org) == []


@committed
def test_an_inpaint_on_a_sideways_heic_reaches_the_provider_as_the_person_saw_it(providers, org, people, fund):
    """The mask is painted on the photo as shown (rotated by its EXIF orientation); the provider
    receives that same picture, right way up, at exactly the mask's size."""
    fund(20)
    asset = AssetFactory(org=org, filename="sideways.heic", data=shown.sideways("HEIF"))
    assert (asset.width, asset.height) == shown.SHOWN
    job = edits.inpaint_start(
        org=org, user=people.member, asset=asset, prompt="a red balloon", mask=shown.mask_on_the_top_right()
    )

    job = settled(EditJob, job.pk)
    assert job.status == "succeeded", job.error
    sent = providers.fal.requests[0].arguments
    image = Image.open(io.BytesIO(providers.received[sent["image_url"]]))
    mask = Image.open(io.BytesIO(providers.received[sent["mask_url"]]))
    assert image.format == "JPEG"
    assert image.size == mask.size == shown.SHOWN
    shown.assert_shown_the_right_way_up(image.convert("RGB"))
    assert mask.getpixel(shown.SHOWN_RED_AT) == 255  # the painted quarter is where the person saw red
    assert mask.getpixel(shown.SHOWN_BLUE_AT) == 0


@committed
def test_a_clothing_change_segments_then_inpaints(providers, org, people, fund, photo):
    fund(20)
    job = edits.clothes_start(org=org, user=people.member, asset=photo, description="a red raincoat")

    job = settled(EditJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/evf-sam", "fal-ai/flux-lora/inpainting"]
    assert job.params["mask_coverage_pct"] > 0
    assert credits_available(org) == 20 - job.credits
    assert ledger_problems(org) == []


@committed
def test_the_wizard_makes_candidates_a_sheet_a_face_model_and_references(
    providers, wizard_character, people, org, fund
):
    """flux/dev candidates → choose one → PuLID sheet → (the emulator's faceless images are all kept)
    → LoRA training on the sheet → four flux-lora references."""
    fund(1000)
    candidates = wizard.wizard_candidates_start(character=wizard_character, user=people.member, key="c")
    candidates = settled(CharacterJob, candidates.pk)
    assert candidates.status == "succeeded", candidates.error
    chosen = candidates.items.order_by("position").first().asset
    assert chosen is not None

    sheet = wizard.wizard_choose(character=wizard_character, asset=chosen, user=people.member, key="s")
    assert sheet is not None
    sheet = settled(CharacterJob, sheet.pk)
    assert sheet.status == "succeeded", sheet.error
    assert all(item.asset_id for item in sheet.items.all())

    assert wait_for(lambda: TrainingRun.objects.filter(character=wizard_character).exists())
    run = settled(TrainingRun, TrainingRun.objects.get(character=wizard_character).pk, timeout=60)
    assert run.status == "succeeded", run.error
    character = Character.objects.get(pk=wizard_character.pk)
    assert character.mode == "hd"
    with storage.storage().open(character.lora_key, "rb") as fh:
        assert fh.read() == safetensors_sample()
    assert wait_for(lambda: CharacterJob.objects.filter(character=character, kind="references").exists())
    references = settled(CharacterJob, CharacterJob.objects.get(character=character, kind="references").pk)
    assert references.status == "succeeded", references.error
    sent = endpoints(providers)
    assert sent.count("fal-ai/flux/dev") == 4
    assert sent.count("fal-ai/flux-pulid") == sheet.items.count()
    assert sent.count("fal-ai/flux-lora-fast-training") == 1
    assert sent.count("fal-ai/flux-lora") == 4
    assert ledger_problems(org) == []


# --- xAI, then fal ----------------------------------------------------------------------------------


@committed
def test_captions_then_training_on_the_captioned_photos(providers, live_server, photos_character, people, org, fund):
    count = photos_character.dataset.count()
    for n in range(count):
        providers.xai.reply(f"A photo of the person, take {n}.")
    job = captions.captions_start(character=photos_character, user=people.member)

    job = settled(CharacterJob, job.pk)
    assert job.status == "succeeded", job.error
    assert len(providers.xai.requests) == count
    assert all(image.caption.startswith(photos_character.trigger_word) for image in photos_character.dataset.all())
    image_urls = [r["messages"][0]["content"][0]["image_url"]["url"] for r in providers.xai.requests]
    assert all(url.startswith("data:image/jpeg;base64,") for url in image_urls)  # small previews go inline

    fund(300)
    run = training.training_start(character=photos_character, user=people.member, key="k", captions=True)
    run = settled(TrainingRun, run.pk, timeout=60)
    assert run.status == "succeeded", run.error
    train = next(r for r in providers.fal.requests if r.endpoint_id == "fal-ai/flux-lora-fast-training")
    assert train.arguments["images_data_url"].startswith(f"{live_server.url}/media/p/")
    # The Z-Image trainer reads the same zip; its LoRA makes the drafts once it arrives.
    zimage = next(r for r in providers.fal.requests if r.endpoint_id == "fal-ai/z-image-trainer")
    assert zimage.arguments["image_data_url"].startswith(f"{live_server.url}/media/p/")
    assert wait_for(lambda: Character.objects.get(pk=photos_character.pk).zimage_lora_key)
    character = Character.objects.get(pk=photos_character.pk)
    assert character.mode == "hd"
    assert credits_available(org) == 0
    assert ledger_problems(org) == []


@committed
def test_the_prompt_writer_asks_xai_for_five_prompts(providers, hd_character, people, org, fund):
    fund(10)
    providers.xai.reply(json.dumps([f"rooftop at dusk, take {n}" for n in range(5)]))
    draft = drafts.draft_start(character=hd_character, user=people.member, recipe=PackRecipe(count=5))

    draft = settled(PromptDraft, draft.pk)
    assert draft.status == "succeeded", draft.error
    assert draft.prompts == [f"rooftop at dusk, take {n}" for n in range(5)]
    assert credits_available(org) == 10 - draft.credits
    assert ledger_problems(org) == []


# --- Replicate --------------------------------------------------------------------------------------

_finished_calls: list[int] = []


def _matting_finished(call, event, *, last_attempt):
    if event == "finished":
        _finished_calls.append(call.pk)


MATTING_HANDLER = handlers.register("tests.contracts_live.matting", _matting_finished)


@committed
def test_a_replicate_prediction_fetches_its_video_and_finishes_by_signed_webhook(providers, live_server, org):
    key = storage.storage().save(f"orgs/{org.public_id}/uploads/clip.mp4", ContentFile(b"\x00" * 2048))
    call = gateway.call_create(
        org=org,
        operation="matting",
        input={"input_video": {"$key": key}, "output_type": "green-screen"},
        handler=MATTING_HANDLER,
    )

    assert wait_for(lambda: call.pk in _finished_calls)
    call.refresh_from_db()
    assert (call.provider, call.status) == ("replicate", "succeeded")
    assert call.endpoint_id.endswith(MATTING_VERSION)
    assert call.output["output"].startswith(f"{ORIGIN}/replicate-files/")
    assert call.webhook_received_at is not None
    assert_fetched_from_live_server(providers, live_server)


# --- Refusals, as the providers answer them (no database needed) -----------------------------------


# --- Video -----------------------------------------------------------------------------------------


@committed
def test_a_clip_with_its_motion_written_goes_through_grok_then_ltx_2(providers, live_server, org, people, fund, photo):
    from video import services as video_services
    from video.models import VideoJob

    fund(100)
    job = video_services.video_start(
        org=org, user=people.member, asset=photo, request=video_services.VideoRequest(write=True, shape="16:9")
    )

    job = settled(VideoJob, job.pk)
    assert job.status == "succeeded", job.error
    assert endpoints(providers) == ["fal-ai/ltx-2/image-to-video"]
    assert providers.fal.last.arguments["prompt"] == job.params["written_prompt"]
    assert job.result.kind == Asset.Kind.VIDEO
    assert job.result.duration == pytest.approx(6.0, abs=0.1)
    # Grok sees the preview inline; fal fetches the image from us.
    assert providers.fetched[0] == "data:image/jpeg"
    assert providers.fetched[1].startswith(f"{live_server.url}/media/p/")
    assert credits_available(org) == 100 - 61
    assert ledger_problems(org) == []


@committed
def test_an_animation_runs_every_step_against_fal_and_upscales_after(
    providers, live_server, org, people, fund, swap_character, eager
):
    from video import animate, upscale
    from video.animate import AnimateRequest
    from video.models import AnimateStep, VideoJob
    from video.tests import clips

    fund(500)
    with eager:
        reference = asset_create_from_bytes(org=org, data=clips.still_clip("person-b-1"), filename="dance.mp4")
    pipeline = animate.pipeline_start(
        org=org, user=people.member, video=reference, request=AnimateRequest(character=swap_character)
    )
    assert wait_for(lambda: AnimateStep.objects.filter(pipeline=pipeline, kind="refine", status="succeeded").exists())
    animation = animate.step_start(pipeline=pipeline, kind="animate", user=people.member)
    animation = settled(AnimateStep, animation.pk)

    assert animation.status == "succeeded", animation.error
    assert endpoints(providers) == [
        "easel-ai/advanced-face-swap",
        "fal-ai/flux-lora/image-to-image",
        "fal-ai/wan/v2.2-14b/animate/replace",
    ]
    assert_fetched_from_live_server(providers, live_server)
    assert credits_available(org) == 500 - 9 - 6 - 60

    job = upscale.video_upscale_start(org=org, user=people.member, asset=animation.result, factor=2)
    job = settled(VideoJob, job.pk)
    assert job.status == "succeeded", job.error
    assert providers.fal.last.endpoint_id == "fal-ai/seedvr/upscale/video"
    assert ledger_problems(org) == []


def test_a_field_the_endpoint_does_not_have_is_refused_by_name(providers):
    with pytest.raises(ProviderError) as refused:
        FalAdapter().submit(
            endpoint_id="fal-ai/flux-pulid",
            arguments={"prompt": "a portrait", "reference_image_url": f"{ORIGIN}/files/none", "num_images": 1},
            webhook_url=None,
        )
    assert not refused.value.transient
    assert "num_images: Extra inputs are not permitted" in refused.value.message


def test_an_input_url_the_provider_cannot_fetch_is_refused(providers, live_server):
    with pytest.raises(ProviderError) as refused:
        FalAdapter().submit(
            endpoint_id="fal-ai/seedvr/upscale/image",
            arguments={"image_url": f"{live_server.url}/media/p/not-a-token/"},
            webhook_url=None,
        )
    assert "image_url: Failed to download the file" in refused.value.message
    assert "HTTP 404" in refused.value.message


def test_an_endpoint_without_a_contract_is_refused(providers):
    with pytest.raises(ProviderError):
        FalAdapter().submit(endpoint_id="fal-ai/not-a-model", arguments={"prompt": "x"}, webhook_url=None)
    assert providers.fal.requests == []


def test_replicate_and_xai_refuse_what_their_contracts_refuse(providers, live_server):
    with pytest.raises(ProviderError) as replicate_refused:
        ReplicateAdapter().submit(
            endpoint_id=f"arielreplicate/robust_video_matting:{MATTING_VERSION}",
            arguments={"input_video": f"{live_server.url}/media/p/x/", "output_type": "foreground-mask"},
            webhook_url=None,
        )
    assert "output_type" in replicate_refused.value.message
    with pytest.raises(ProviderError) as xai_refused:
        XaiAdapter().submit(
            endpoint_id="grok-2", arguments={"messages": [{"role": "user", "content": "Hi"}]}, webhook_url=None
        )
    assert "XAI_MODEL" in xai_refused.value.message
