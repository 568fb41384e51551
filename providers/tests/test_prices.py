"""What a call costs: the price table, the units each provider bills, and the gateway recording them."""

from decimal import Decimal

import pytest

from providers import gateway, prices, registry
from providers.adapters.replicate import ReplicateAdapter
from providers.tests.factories import ProviderCallFactory

DRAFT = "fal-ai/z-image/turbo/lora"


def cost(provider="fal", endpoint_id=DRAFT, input=None, state="succeeded", output=None, metrics=None):
    return prices.call_cost(
        provider=provider, endpoint_id=endpoint_id, input=input or {}, state=state, output=output, metrics=metrics
    )


def image(width, height):
    return {"url": "https://v3.fal.media/files/x.png", "width": width, "height": height}


@pytest.mark.parametrize(
    ("output", "megapixels", "usd"),
    [
        ({"images": [image(1024, 1024)]}, 1, "0.008500"),
        ({"images": [image(1536, 1024)]}, 2, "0.017000"),  # 1.5 MP rounds up
        ({"images": [image(512, 512), image(512, 512)]}, 2, "0.017000"),  # each image rounds up
        ({"image": image(64, 48)}, 1, "0.008500"),
    ],
)
def test_images_cost_per_megapixel_rounded_up_per_image(output, megapixels, usd):
    charged = cost(output=output)

    assert charged == prices.Cost(Decimal(usd), Decimal(megapixels), "megapixel", "price table")


def test_without_sizes_in_the_output_the_requested_size_counts():
    charged = cost(endpoint_id="fal-ai/z-image/turbo", input={"image_size": "square_hd", "num_images": 2})
    assert (charged.usd, charged.units) == (Decimal("0.010000"), 2)

    custom = cost(endpoint_id="fal-ai/z-image/turbo", input={"image_size": {"width": 2048, "height": 1024}})
    assert (custom.usd, custom.units) == (Decimal("0.010000"), 2)


@pytest.mark.parametrize("state", ["failed", "cancelled"])
def test_fal_bills_only_successful_outputs(state):
    charged = cost(state=state)
    assert charged.usd == 0
    assert "only successful outputs" in charged.note


def test_training_costs_per_step_of_the_request():
    charged = cost(endpoint_id="fal-ai/z-image-trainer", input={"steps": 2000}, output={"diffusers_lora_file": {}})
    assert (charged.usd, charged.units, charged.unit) == (Decimal("4.520000"), 2000, "training step")
    assert cost(endpoint_id="fal-ai/flux-lora-fast-training").usd == Decimal("2.000000")  # 1000 steps by default


def test_video_costs_per_second_at_the_requested_resolution():
    charged = cost(endpoint_id="fal-ai/ltx-2/image-to-video", input={"duration": "6", "resolution": "1440p"})
    assert (charged.usd, charged.units, charged.unit) == (Decimal("0.720000"), 6, "video second")


def test_requests_cost_a_flat_price():
    assert cost(endpoint_id="fal-ai/evf-sam").usd == Decimal("0.005000")


def test_replicate_bills_the_time_the_model_ran_even_when_it_failed():
    matting = "arielreplicate/robust_video_matting:73d2128a"
    for state in ("succeeded", "failed", "cancelled"):
        charged = cost("replicate", matting, state=state, metrics={"predict_time": 10})
        assert charged == prices.Cost(Decimal("0.002250"), Decimal(10), "GPU second", "provider")
    assert cost("replicate", matting, state="failed").usd is None


def test_xai_bills_tokens_in_and_out():
    usage = {"prompt_tokens": 1200, "completion_tokens": 300, "prompt_tokens_details": {"cached_tokens": 200}}
    charged = cost("xai", "grok-4-1-fast-non-reasoning", output={"text": "hi", "usage": usage})
    # 1000 × $0.20 + 200 × $0.05 + 300 × $0.50, per million
    assert charged == prices.Cost(Decimal("0.000360"), Decimal(1500), "token", "provider")


def test_an_endpoint_without_a_known_price_says_so():
    assert cost(endpoint_id="fal-ai/something-new").note == "No price on file for this endpoint."
    upscale = cost(endpoint_id="fal-ai/seedvr/upscale/image", output={"image": image(2048, 2048)})
    assert (upscale.usd, upscale.units) == (None, 4)


def test_the_demo_provider_costs_nothing():
    assert cost("demo", state="failed").usd == 0


# --- Recorded on the call ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_chat_call_records_its_token_cost(xai_emulator, org):
    messages = [{"role": "user", "content": "hi"}]
    call = ProviderCallFactory(
        org=org, operation="chat", endpoint_id="grok-4-1-fast-non-reasoning", input={"messages": messages}
    )

    gateway.call_submit(call.pk)

    call.refresh_from_db()
    assert call.status == "succeeded"
    assert (call.cost_usd, call.billed_units, call.cost_source) == (Decimal("0.000039"), 150, "provider")


@pytest.mark.django_db
def test_a_replicate_run_records_its_gpu_time(replicate_emulator, org):
    endpoint = registry.ENDPOINTS["matting"].endpoint_id
    replicate_emulator.behave(endpoint, statuses=("succeeded",))
    submitted = ReplicateAdapter().submit(endpoint_id=endpoint, arguments={"input_video": "x"}, webhook_url=None)
    call = ProviderCallFactory(
        org=org, operation="matting", endpoint_id=endpoint, status="queued", request_id=submitted.request_id
    )

    gateway.call_poll(call.pk)

    call.refresh_from_db()
    assert call.status == "succeeded"
    assert (call.cost_usd, call.billed_units, call.cost_unit) == (Decimal("0.000563"), Decimal("2.5"), "GPU second")


@pytest.mark.django_db
def test_a_rejected_submit_costs_nothing(fal_emulator, org):
    fal_emulator.fail("submit", status=422)
    call = ProviderCallFactory(org=org, operation="image_draft")

    gateway.call_submit(call.pk)

    call.refresh_from_db()
    assert (call.status, call.cost_usd) == ("failed", 0)
    assert "never took the request on" in call.cost_note


def test_ltx_fast_costs_per_second_by_resolution():
    charged = cost(endpoint_id="fal-ai/ltx-2/image-to-video/fast", input={"duration": "8", "resolution": "1440p"})
    assert (charged.usd, charged.units, charged.unit) == (Decimal("0.640000"), Decimal(8), "video second")


def test_wan_counts_its_frames_at_16_a_second():
    charged = cost(
        endpoint_id="fal-ai/wan/v2.2-a14b/image-to-video",
        input={"num_frames": 161, "frames_per_second": 16, "resolution": "580p"},
        output={"video": {"url": "https://v3.fal.media/files/v.mp4"}},
    )
    assert (charged.units, charged.usd) == (Decimal("10.0625"), Decimal("0.603750"))


def test_animate_and_the_video_upscale_are_unknown_until_the_video_is_measured():
    animate = {"provider": "fal", "endpoint_id": "fal-ai/wan/v2.2-14b/animate/replace", "input": {"resolution": "720p"}}
    assert cost(**animate).usd is None
    measured = prices.call_cost(**animate, state="succeeded", measured={"duration": 4.5})
    assert (measured.units, measured.usd) == (Decimal("4.5"), Decimal("0.360000"))

    upscale = {"provider": "fal", "endpoint_id": "fal-ai/seedvr/upscale/video", "input": {"upscale_factor": 2}}
    assert cost(**upscale).usd is None
    # fal's own example: 1920×1080 with 121 frames costs $0.25.
    big = prices.call_cost(
        **upscale, state="succeeded", measured={"width": 1920, "height": 1080, "duration": 4.84, "fps": 25}
    )
    assert (big.units, big.usd, big.unit) == (Decimal("250.906"), Decimal("0.250906"), "megapixel of video")


@pytest.mark.django_db
def test_the_gateway_records_a_measured_cost_once():
    call = ProviderCallFactory(
        provider="fal",
        endpoint_id="fal-ai/wan/v2.2-14b/animate/move",
        operation="animate_move",
        input={"resolution": "480p"},
        status="succeeded",
        cost_usd=None,
    )
    gateway.call_cost_measured(call, {"duration": 5})
    call.refresh_from_db()
    assert (call.cost_usd, call.billed_units) == (Decimal("0.200000"), Decimal(5))

    gateway.call_cost_measured(call, {"duration": 50})  # a cost already known is kept
    call.refresh_from_db()
    assert call.cost_usd == Decimal("0.200000")


def test_the_face_swap_costs_one_request():
    charged = cost(endpoint_id="easel-ai/advanced-face-swap")
    assert (charged.usd, charged.unit) == (Decimal("0.050000"), "request")
