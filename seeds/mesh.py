"""Demo workspace: a 3D model of one of the sample images, so the Tools page, the library grid and
the 3D viewer have something to show. Made like any model (a ``MeshJob``, its credits), always on
the offline demo provider: a relief of the image, labelled DEMO. Idempotent by its job key."""

from __future__ import annotations

from assets.models import Asset
from seeds.workspace import demo_provider_inline
from tools import mesh, mesh_jobs
from tools.models import MeshJob

KEY = "seed-demo:mesh"


def seed(org, user) -> None:
    if MeshJob.objects.filter(org=org, idempotency_key=KEY).exists():
        return
    images = Asset.objects.filter(org=org, kind=Asset.Kind.IMAGE).order_by("created_at", "id")
    image = next((a for a in images[:10] if not mesh.source_problem(a)), None)
    if image is None:
        return
    with demo_provider_inline():
        try:
            mesh_jobs.mesh_start(org=org, user=user, asset=image, faces=10_000, key=KEY)
        except mesh_jobs.MeshRefused:  # no credits left in this workspace: nothing to show, nothing broken
            return
