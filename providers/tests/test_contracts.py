"""Every endpoint the product calls has a contract, and each contract refuses what its provider would."""

import pytest

from providers import registry
from providers.contracts import contract_for, contracts, replicate_contract


def _contract(endpoint: registry.Endpoint):
    if endpoint.provider == "xai":
        return contract_for("xai", "chat/completions")  # every Grok model answers on this endpoint
    return contract_for(endpoint.provider, endpoint.endpoint_id)


@pytest.mark.parametrize("operation", sorted(registry.ENDPOINTS))
def test_every_endpoint_the_product_calls_has_a_contract(operation):
    assert _contract(registry.ENDPOINTS[operation]) is not None, f"add providers/contracts/ for {operation}"


@pytest.mark.parametrize("key", sorted(contracts()), ids="/".join)
def test_each_contract_refuses_a_field_its_endpoint_does_not_have(key):
    errors = contracts()[key].errors({"not_a_field": 1})
    assert {"loc": ["not_a_field"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"} in errors


def test_pulid_takes_no_num_images_and_a_string_sequence_length():
    pulid = contract_for("fal", "fal-ai/flux-pulid")
    base = {"prompt": "a portrait", "reference_image_url": "https://x.test/a.jpg"}
    assert pulid.errors({**base, "max_sequence_length": "256", "image_size": {"width": 768, "height": 1024}}) == []
    assert [e["loc"] for e in pulid.errors({**base, "num_images": 1})] == [["num_images"]]
    assert [e["type"] for e in pulid.errors({**base, "max_sequence_length": 256})] == ["literal_error"]


def test_training_field_names_differ_between_trainers():
    assert contract_for("fal", "fal-ai/flux-lora-fast-training").errors({"images_data_url": "u"}) == []
    assert contract_for("fal", "fal-ai/z-image-trainer").errors({"image_data_url": "u"}) == []
    assert contract_for("fal", "fal-ai/z-image-trainer").errors({"images_data_url": "u"}) != []


def test_replicate_contracts_are_found_by_version_or_model_name():
    matting = replicate_contract(version="73d2128a371922d5d1abf0712a1d974be0e4e2358cc1218e4e34714767232bac")
    assert matting is replicate_contract(model="arielreplicate/robust_video_matting")
    assert matting.errors({"input_video": "https://x.test/v.mp4", "output_type": "alpha-mask"}) == []
    assert matting.errors({"input_video": "https://x.test/v.mp4", "output_type": "foreground-mask"}) != []
    assert replicate_contract(version="0" * 64) is None


def test_ltx_2_takes_string_durations_and_only_16_9():
    pro = contract_for("fal", "fal-ai/ltx-2/image-to-video")
    base = {"image_url": "https://x.test/a.jpg", "prompt": "she turns and smiles"}
    assert pro.errors({**base, "duration": "8", "fps": "25", "aspect_ratio": "16:9", "generate_audio": False}) == []
    assert [e["type"] for e in pro.errors({**base, "duration": 8})] == ["literal_error"]
    assert [e["loc"] for e in pro.errors({**base, "aspect_ratio": "9:16"})] == [["aspect_ratio"]]
    assert [e["loc"] for e in pro.errors({**base, "enable_safety_checker": False})] == [["enable_safety_checker"]]


def test_ltx_2_fast_takes_long_clips_only_at_1080p_and_25_fps():
    fast = contract_for("fal", "fal-ai/ltx-2/image-to-video/fast")
    base = {"image_url": "https://x.test/a.jpg", "prompt": "a slow pan"}
    assert fast.errors({**base, "duration": "20"}) == []
    assert fast.errors({**base, "duration": "12", "fps": "50"}) != []
    assert fast.errors({**base, "duration": "12", "resolution": "1440p"}) != []
    assert fast.errors({**base, "duration": "10", "resolution": "1440p", "fps": "50"}) == []


def test_wan_takes_frames_not_seconds_and_has_safety_checkers():
    wan = contract_for("fal", "fal-ai/wan/v2.2-a14b/image-to-video")
    base = {"image_url": "https://x.test/a.jpg", "prompt": "hair moves in the wind"}
    assert wan.errors({**base, "num_frames": 161, "frames_per_second": 16, "enable_safety_checker": False}) == []
    assert [e["loc"] for e in wan.errors({**base, "num_frames": 162})] == [["num_frames"]]
    assert [e["loc"] for e in wan.errors({**base, "duration": "6"})] == [["duration"]]


def test_animate_takes_no_prompt_and_the_face_swap_takes_image_objects():
    for endpoint in ("fal-ai/wan/v2.2-14b/animate/move", "fal-ai/wan/v2.2-14b/animate/replace"):
        animate = contract_for("fal", endpoint)
        base = {"video_url": "https://x.test/v.mp4", "image_url": "https://x.test/a.jpg", "resolution": "720p"}
        assert animate.errors(base) == []
        assert [e["loc"] for e in animate.errors({**base, "prompt": "dance"})] == [["prompt"]]
    swap = contract_for("fal", "easel-ai/advanced-face-swap")
    body = {
        "face_image_0": {"url": "https://x.test/face.jpg"},
        "gender_0": "female",
        "target_image": {"url": "https://x.test/frame.jpg"},
        "workflow_type": "target_hair",
    }
    assert swap.errors(body) == []
    assert swap.errors({**body, "face_image_0": "https://x.test/face.jpg"}) != []
