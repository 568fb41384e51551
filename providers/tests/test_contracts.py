"""Every endpoint the product calls has a contract, and each contract refuses what its provider would."""

import pytest

from providers import registry
from providers.contracts import contract_for, contracts, replicate_contract

# Registry entries for operations that aren't built yet (no service calls them): video and
# animation. Each gets a contract in providers/contracts/ when its feature is built.
NOT_CALLED_YET = {"image_to_video", "animate_replace", "animate_move"}


def _contract(endpoint: registry.Endpoint):
    if endpoint.provider == "xai":
        return contract_for("xai", "chat/completions")  # every Grok model answers on this endpoint
    return contract_for(endpoint.provider, endpoint.endpoint_id)


@pytest.mark.parametrize("operation", sorted(set(registry.ENDPOINTS) - NOT_CALLED_YET))
def test_every_endpoint_the_product_calls_has_a_contract(operation):
    assert _contract(registry.ENDPOINTS[operation]) is not None, f"add providers/contracts/ for {operation}"


def test_the_exempt_operations_are_still_in_the_registry():
    assert set(registry.ENDPOINTS) >= NOT_CALLED_YET


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
