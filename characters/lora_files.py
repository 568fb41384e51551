"""A trainer's LoRA file, FLUX or Z-Image: where fal's output points to it, the check that it is a
real safetensors file, and storing it in the org's storage."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from django.core.files import File

from assets import storage
from providers import outputs
from providers.adapters.base import ProviderError
from providers.models import ProviderCall

SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024


def lora_url(output: dict | None) -> str:
    lora = (output or {}).get("diffusers_lora_file")
    if not isinstance(lora, dict) or not lora.get("url"):
        raise ProviderError("The trainer finished but sent no face model file back.")
    return lora["url"]


def lora_store(call: ProviderCall, key: str) -> str:
    """Download the LoRA ``call`` made, check it, and store it at ``key`` (replacing what was there)."""
    with outputs.output_download(call, lora_url(call.output)) as path:
        safetensors_check(path)
        storage.delete(key)
        with path.open("rb") as fh:
            return storage.storage().save(key, File(fh))


def safetensors_check(path: Path) -> dict:
    """The header of a safetensors file (8-byte little-endian length, then that much JSON), or
    ``ProviderError`` if ``path`` isn't one."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise ProviderError("The trainer sent back a file that isn't a face model (it is empty or cut short).")
        (length,) = struct.unpack("<Q", head)
        if length < 2 or length > SAFETENSORS_MAX_HEADER or 8 + length > size:
            raise ProviderError("The trainer sent back a file that isn't a face model (not a safetensors file).")
        try:
            header = json.loads(fh.read(length))
        except (UnicodeDecodeError, ValueError):
            raise ProviderError(
                "The trainer sent back a file that isn't a face model (its header is unreadable)."
            ) from None
    if not isinstance(header, dict) or not any(k != "__metadata__" for k in header):
        raise ProviderError("The trainer sent back a face model file with no weights in it.")
    return header
