"""The demo provider's image → 3D (TRELLIS's endpoint): a real GLB made locally, honestly labelled.

No model reconstructs anything here. The image becomes a **relief**: a height field whose height
is the picture's brightness (smoothed), textured with the picture itself, on which a "DEMO · relief
from your image · not AI" band is painted. The scene's extras (``scenes[0].extras``) and the mesh's
name say the same. The grid is sized so the face count matches what the request's
``mesh_simplify`` asks for (the same mapping the tools app uses: TRELLIS's raw mesh taken as about
500,000 faces, of which ``mesh_simplify`` is the share removed).
"""

from __future__ import annotations

import math

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from providers.adapters.base import ProviderError
from providers.adapters.demo_drawing import text_font

ENDPOINTS = {"firtoz/trellis"}
RAW_FACES = 500_000  # what TRELLIS's mesh_simplify is taken to be a share of (see tools/mesh.py)
TEXTURE_PX = 1024
LABEL = "DEMO · relief from your image · not AI"


def handles(endpoint_id: str) -> bool:
    return endpoint_id.partition(":")[0] in ENDPOINTS


def faces_for(mesh_simplify: float | None) -> int:
    """The face count a ``mesh_simplify`` asks for (TRELLIS's default is 0.95)."""
    share = 0.95 if mesh_simplify is None else float(mesh_simplify)
    return max(200, round(RAW_FACES * (1 - share)))


def _grid(width: int, height: int, faces: int) -> tuple[int, int]:
    """Columns and rows of vertices so that 2·(cols−1)·(rows−1) is about ``faces``, in the image's shape."""
    cells = faces / 2
    cols = max(2, round(math.sqrt(cells * width / height)) + 1)
    rows = max(2, round(cells / (cols - 1)) + 1)
    return cols, rows


def labelled_texture(image: Image.Image) -> Image.Image:
    """The picture at texture size with the DEMO band across its lower part, legible when small."""
    texture = ImageOps.contain(image.convert("RGB"), (TEXTURE_PX, TEXTURE_PX), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(texture)
    band = max(28, texture.height // 9)
    top = texture.height - band * 2
    draw.rectangle((0, top, texture.width, top + band), fill=(17, 17, 27))
    font = text_font(max(12, int(band * 0.55)))
    while draw.textlength(LABEL, font=font) > texture.width * 0.94 and font.size > 10:
        font = text_font(font.size - 2)
    draw.text((texture.width // 2, top + band // 2), LABEL, font=font, fill=(255, 214, 10), anchor="mm")
    return texture


def relief_glb(image: Image.Image, faces: int) -> bytes:
    """A GLB: ``image`` as a textured relief of about ``faces`` triangles, labelled DEMO."""
    import trimesh

    image = ImageOps.exif_transpose(image).convert("RGB")
    cols, rows = _grid(image.width, image.height, faces)
    heights = image.convert("L").filter(ImageFilter.GaussianBlur(max(1, min(image.size) // 80)))
    field = np.asarray(heights.resize((cols, rows), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    aspect = image.height / image.width
    xs = np.linspace(-0.5, 0.5, cols, dtype=np.float32)
    ys = np.linspace(0.5 * aspect, -0.5 * aspect, rows, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    depth = 0.18 * field  # brighter is nearer
    vertices = np.stack([gx.ravel(), gy.ravel(), depth.ravel()], axis=1)
    u = np.linspace(0.0, 1.0, cols, dtype=np.float32)
    v = np.linspace(1.0, 0.0, rows, dtype=np.float32)
    gu, gv = np.meshgrid(u, v)
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    index = np.arange(rows * cols).reshape(rows, cols)
    a, b = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    c, d = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    triangles = np.concatenate([np.stack([a, c, b], axis=1), np.stack([b, c, d], axis=1)])
    texture = labelled_texture(image)
    material = trimesh.visual.material.PBRMaterial(
        name="DEMO relief (not AI)",
        baseColorTexture=texture,
        metallicFactor=0.0,
        roughnessFactor=0.9,
        doubleSided=True,
    )
    mesh = trimesh.Trimesh(
        vertices=vertices,
        faces=triangles,
        visual=trimesh.visual.TextureVisuals(uv=uv, material=material),
        process=False,
    )
    scene = trimesh.Scene()
    scene.add_geometry(mesh, geom_name="DEMO relief (not AI)")
    scene.metadata["personae_demo"] = {
        "demo": True,
        "note": "Made by the offline demo provider: the image as a relief (height = brightness). Not AI, not a reconstruction.",
    }
    return scene.export(file_type="glb")


def work(request_id: str, arguments: dict) -> dict:
    """Answer in TRELLIS's output shape (``model_file``)."""
    refs = arguments.get("images") or []
    if not refs or not str(refs[0]).startswith("storage:"):
        raise ProviderError("The demo provider reads inputs from our own storage only.")
    try:
        with default_storage.open(str(refs[0]).removeprefix("storage:"), "rb") as fh:
            image = Image.open(fh)
            image.load()
    except FileNotFoundError:
        raise ProviderError("The image was deleted before the demo provider could read it.") from None
    data = relief_glb(image, faces_for(arguments.get("mesh_simplify")))
    key = default_storage.save(f"demo/{request_id}.glb", ContentFile(data))
    return {"model_file": f"storage:{key}"}
