"""fal-ai/flux-lora-fast-training: a FLUX.1 [dev] LoRA from a zip of photos (``images_data_url``, plural)."""

from providers.contracts import Contract
from providers.contracts.shapes import Strict, trained_lora_output


class Input(Strict):
    images_data_url: str
    trigger_word: str | None = None
    steps: int | None = None
    create_masks: bool | None = None
    is_style: bool | None = None
    is_input_format_already_preprocessed: bool | None = None
    data_archive_format: str | None = None


CONTRACT = Contract("fal", "fal-ai/flux-lora-fast-training", Input, trained_lora_output)
