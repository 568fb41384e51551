"""Demo workspace: one project with a short Fountain script, ready to break down and ask about.

Idempotent: a second run finds the project by name and adds nothing. The lead wires ``seed`` into
``seed_demo``."""

from __future__ import annotations

from projects import services
from projects.models import Project

NAME = "The Lighthouse (demo project)"

SCRIPT = """Title: The Lighthouse Keeper

INT. LIGHTHOUSE KITCHEN - NIGHT

ADA (40s), wearing a yellow oilskin coat, lights a brass LANTERN. The wind howls.

ADA
The ship is late again.

TOMAS enters, dressed in a fisherman's sweater, carrying a coil of ROPE.

TOMAS
(quietly)
The storm took the harbour lights.

EXT. CLIFF PATH - DAY

Ada climbs towards the lighthouse with the LANTERN. Gulls circle.

ADA
Someone has to keep it burning.

INT. LAMP ROOM - CONTINUOUS

Tomas polishes the great LENS while Ada watches the sea through a TELESCOPE.

TOMAS
There. A sail, north by east.
"""


def seed(org, user) -> None:
    if Project.objects.for_org(org).filter(name=NAME).exists():
        return
    project = services.project_create(
        org=org, user=user, name=NAME, description="A short storm drama: break its script down, then ask the assistant."
    )
    services.script_upload(project=project, user=user, filename="the-lighthouse-keeper.fountain", data=SCRIPT.encode())
