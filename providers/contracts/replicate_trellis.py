"""firtoz/trellis: a 3D model (GLB) from one or more images of an object."""

from typing import Annotated

from pydantic import Field

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict

VERSION = "e8f6c45206993f297372f5436b90350817bd9b4a0d52d2a76df50c1c8afa2b3c"


class Input(Strict):
    images: Annotated[list[str], Field(min_length=1)]
    seed: int | None = None
    randomize_seed: bool | None = None
    generate_model: bool | None = None
    generate_color: bool | None = None
    generate_normal: bool | None = None
    save_gaussian_ply: bool | None = None
    return_no_background: bool | None = None
    ss_guidance_strength: float | None = None
    ss_sampling_steps: int | None = None
    slat_guidance_strength: float | None = None
    slat_sampling_steps: int | None = None
    mesh_simplify: Annotated[float, Field(ge=0.9, le=0.98)] | None = None
    texture_size: Annotated[int, Field(ge=512, le=2048)] | None = None


def sample_output(arguments: dict, files: OutputFiles) -> dict:
    return {"model_file": files.file("model.glb", b"glTF\x02\x00\x00\x00" + bytes(12), "model/gltf-binary")["url"]}


CONTRACT = Contract("replicate", f"firtoz/trellis:{VERSION}", Input, sample_output)
