"""Image → 3D, the files: what an image must be, the choices (faces, format), reading a GLB back,
writing its OBJ, and drawing it to a PNG for the library grid.

No OpenGL here: ``render`` is a small painter's-algorithm rasteriser (numpy + Pillow). Triangles
are turned to a three-quarter view, lit by a key light and some ambient light (two-sided, so
a one-sided relief still reads), sorted far to near and filled, at twice the size, then scaled down.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError

from assets import storage
from assets.models import Asset
from core.exceptions import DomainError

GLB_MIME = "model/gltf-binary"
OBJ_ZIP_MIME = "application/zip"
# TRELLIS's ``mesh_simplify`` is the share of its raw mesh (taken as about 500,000 faces) removed,
# 0.9–0.98 in its schema: so 10,000 to 50,000 faces. The demo uses the same mapping.
RAW_FACES = 500_000
FACE_CHOICES = (10_000, 25_000, 50_000)
DEFAULT_FACES = 25_000
MAX_RENDER_FACES = 400_000


@dataclass(frozen=True)
class Choice:
    faces: int
    format: str


def mesh_simplify(faces: int) -> float:
    """TRELLIS's ``mesh_simplify`` for about ``faces`` faces, within its 0.9–0.98."""
    return round(min(0.98, max(0.9, 1 - faces / RAW_FACES)), 3)


def choice_problems(faces: object, fmt: object) -> dict[str, str]:
    """What's wrong with the form's choices, by field ({} if nothing)."""
    problems: dict[str, str] = {}
    if faces not in FACE_CHOICES:
        problems["faces"] = "Choose 10,000, 25,000 or 50,000 faces."
    if fmt not in ("glb", "obj"):
        problems["format"] = "Choose GLB or OBJ."
    return problems


def source_problem(asset: Asset) -> str:
    """Why ``asset`` can't be made into a 3D model ('' if it can). The original is read (its header
    only): the library's previews are flattened to RGB, so they can't tell."""
    if asset.kind != Asset.Kind.IMAGE:
        what = "a video" if asset.kind == Asset.Kind.VIDEO else "a file"
        return f"3D models are made from images, and this is {what}."
    try:
        with storage.storage().open(asset.original_key, "rb") as fh, Image.open(fh) as im:
            mode, has_alpha = im.mode, im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    except FileNotFoundError:
        return "This image's file is missing from storage. Upload it again."
    except (UnidentifiedImageError, OSError):
        return "This image can't be read. Upload it again as a JPEG or PNG."
    if mode == "CMYK":
        return (
            "This image is in CMYK (print colours), and the 3D model reads RGB only. Convert it to RGB "
            "(sRGB) in your image editor, upload it and start again."
        )
    if has_alpha:
        return (
            "This image has transparency (an alpha channel), which the 3D model doesn't read: it cuts the "
            "object out itself. Save it without transparency (on a plain background, e.g. as a JPEG), upload "
            "it and start again."
        )
    return ""


# --- Reading and writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeshFacts:
    faces: int
    vertices: int
    textured: bool
    size: tuple[float, float, float]


def load(path: Path):
    """The GLB at ``path`` as a ``trimesh.Scene``. Raises ``DomainError`` when it isn't a usable model."""
    import trimesh

    with path.open("rb") as fh:
        head = fh.read(4)
    if head != b"glTF":
        raise DomainError("The provider's result wasn't a GLB 3D model, so nothing was saved.")
    try:
        scene: Any = trimesh.load(str(path), file_type="glb", force="scene")
    except Exception as exc:  # untrusted bytes: any parser error means a broken file
        raise DomainError(
            f"The provider's 3D model couldn't be read ({type(exc).__name__}), so nothing was saved."
        ) from None
    meshes = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh) and len(g.faces)]
    if not meshes:
        raise DomainError("The provider's 3D model has no surface in it, so nothing was saved.")
    return scene


def facts(scene) -> MeshFacts:
    import trimesh

    meshes = [g for g in scene.geometry.values() if isinstance(g, trimesh.Trimesh)]
    extents = scene.extents if scene.extents is not None else np.zeros(3)
    return MeshFacts(
        faces=int(sum(len(m.faces) for m in meshes)),
        vertices=int(sum(len(m.vertices) for m in meshes)),
        textured=any(getattr(m.visual, "kind", None) == "texture" for m in meshes),
        size=tuple(round(float(x), 4) for x in extents),  # type: ignore[arg-type]
    )


def obj_zip(scene, stem: str) -> bytes:
    """The model as OBJ with its MTL and texture image(s), zipped (an OBJ can't hold its texture)."""
    import trimesh

    mesh = scene.to_geometry() if hasattr(scene, "to_geometry") else scene.dump(concatenate=True)
    if not isinstance(mesh, trimesh.Trimesh):
        raise DomainError("The 3D model couldn't be written as OBJ.")
    text, files = trimesh.exchange.obj.export_obj(
        mesh, include_texture=True, return_texture=True, mtl_name=f"{stem}.mtl", header="Personae, image to 3D"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.obj", text)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- Drawing --------------------------------------------------------------------------------------

BACKGROUND = (236, 238, 244)
LIGHT = np.array([-0.45, 0.6, 0.66])
LIGHT = LIGHT / np.linalg.norm(LIGHT)


def _triangles(scene) -> tuple[np.ndarray, np.ndarray]:
    """Every triangle in world space (n, 3, 3) and its colour (n, 3), from texture, vertex or face colours."""
    import trimesh

    tris, colours = [], []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        mesh = scene.geometry.get(name)
        if not isinstance(mesh, trimesh.Trimesh) or not len(mesh.faces):
            continue
        vertices = trimesh.transform_points(mesh.vertices, transform)
        tris.append(vertices[mesh.faces])
        colours.append(_face_colours(mesh))
    if not tris:
        raise DomainError("The 3D model has no surface to draw.")
    return np.concatenate(tris), np.concatenate(colours)


def _face_colours(mesh) -> np.ndarray:
    grey = np.full((len(mesh.faces), 3), 190.0)
    visual = mesh.visual
    try:
        if visual.kind == "texture":
            visual = visual.to_color()
        if visual.kind == "vertex":
            return np.asarray(visual.vertex_colors, dtype=np.float64)[mesh.faces][:, :, :3].mean(axis=1)
        if visual.kind == "face":
            return np.asarray(visual.face_colors, dtype=np.float64)[:, :3]
    except Exception:  # a texture trimesh can't sample: draw it grey rather than not at all
        return grey
    return grey


def render(scene, size: int, *, demo: bool = False) -> Image.Image:
    """The model drawn at ``size`` × ``size`` px from a three-quarter view, lit; ``demo``: a DEMO band."""
    tris, colours = _triangles(scene)
    if len(tris) > MAX_RENDER_FACES:
        keep = np.linspace(0, len(tris) - 1, MAX_RENDER_FACES).astype(int)
        tris, colours = tris[keep], colours[keep]
    centre = (tris.reshape(-1, 3).max(axis=0) + tris.reshape(-1, 3).min(axis=0)) / 2
    points = tris - centre
    yaw, pitch = np.radians(-28), np.radians(18)
    turn = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    points = points @ (tilt @ turn).T
    normals = np.cross(points[:, 1] - points[:, 0], points[:, 2] - points[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    visible = lengths > 0
    points, colours, normals = points[visible], colours[visible], normals[visible] / lengths[visible, None]
    shade = 0.35 + 0.65 * np.abs(normals @ LIGHT)  # two-sided
    lit = np.clip(colours * shade[:, None], 0, 255).astype(np.uint8)
    big = size * 2
    span = np.ptp(points[:, :, :2].reshape(-1, 2), axis=0).max() or 1.0
    scale = big * 0.84 / span
    xy = points[:, :, :2] * scale
    xy[:, :, 1] *= -1
    xy += big / 2
    order = np.argsort(points[:, :, 2].mean(axis=1))  # far (−z) first: the camera looks down −z
    canvas = Image.new("RGB", (big, big), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for i in order:
        colour = tuple(int(c) for c in lit[i])
        draw.polygon([tuple(p) for p in xy[i].tolist()], fill=colour, outline=colour)
    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    if demo:
        demo_band(image)
    return image


def demo_band(image: Image.Image) -> None:
    """ "DEMO · relief, not AI" across the top (the library's tiles put the title at the bottom),
    legible at thumbnail size."""
    from providers.adapters.demo_drawing import text_font

    draw = ImageDraw.Draw(image)
    band = max(22, image.height // 8)
    draw.rectangle((0, 0, image.width, band), fill=(17, 17, 27))
    font = text_font(max(11, int(band * 0.55)))
    draw.text((image.width // 2, band // 2), "DEMO · relief, not AI", font=font, fill=(255, 214, 10), anchor="mm")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
