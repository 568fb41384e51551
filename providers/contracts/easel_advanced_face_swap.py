"""easel-ai/advanced-face-swap: the face of ``face_image_0`` put on the person in ``target_image``,
keeping the target's pose, framing, clothes and light (``workflow_type: target_hair`` keeps its
hair too). Images are objects with a ``url``.

In fal's type snapshots from Aug to Dec 2025; absent from the 2026 ones (providers.md §3), so its
availability is unconfirmed: the registry names it in one line, to swap if it goes."""

from typing import Literal

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict, source_or

Gender = Literal["male", "female", "non-binary"]


class Image(Strict):
    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None


class Input(Strict):
    face_image_0: Image
    gender_0: Gender
    face_image_1: Image | None = None
    gender_1: Gender | None = None
    target_image: Image | None = None
    workflow_type: Literal["user_hair", "target_hair"]
    upscale: bool | None = None
    detailer: bool | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    target = (arguments.get("target_image") or {}).get("url")
    width, height = source_or(files, target, (768, 1024))
    if arguments.get("upscale", True):
        width, height = width * 2, height * 2
    return {"image": files.image(width=width, height=height, content_type="image/png")}


CONTRACT = Contract("fal", "easel-ai/advanced-face-swap", Input, sample_output)
