"""Screenplays for tests, made here: Fountain text of any length, its PDF (rendered by
fountain-py's PDF renderer), a scan-like PDF with no text layer, and a password-protected one."""

from __future__ import annotations

import io

from fountain import FountainParser, PDFRenderer
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

SHORT = """Title: The Lighthouse Keeper
Author: Test Writer

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

PLACES = ["HARBOUR OFFICE", "FISH MARKET", "CHAPEL", "BOATYARD", "TAVERN", "SEA WALL", "ATTIC", "STATION"]
PEOPLE = ["ADA", "TOMAS", "MIRA", "JONAH", "ELSPETH"]
PROPS = ["LANTERN", "LEDGER", "FLARE GUN", "KETTLE", "MAP", "PHOTOGRAPH", "COMPASS", "BELL"]


def long_fountain(pages: int) -> str:
    """About ``pages`` pages (55 lines each) of scenes, one scene a page."""
    scenes = []
    for n in range(pages):
        a, b = PEOPLE[n % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)]
        where = PLACES[n % len(PLACES)]
        time = "NIGHT" if n % 3 == 0 else "DAY"
        prop = PROPS[n % len(PROPS)]
        lines = [
            f"{'INT' if n % 2 == 0 else 'EXT'}. {where} - {time}",
            "",
            f"{a.title()} checks the {prop} by the window. Rain on the glass, scene {n + 1}.",
            "",
        ]
        for turn in range(12):
            speaker = a if turn % 2 == 0 else b
            lines += [speaker, f"Line {turn + 1} of scene {n + 1} about the storm and the {where.lower()}.", ""]
        lines += ["" for _ in range(55 - len(lines))]
        scenes.append("\n".join(lines))
    return "\n".join(scenes)


def pdf_of(fountain_text: str) -> bytes:
    document = FountainParser().parse(fountain_text)
    return PDFRenderer().render_bytes(document)


def scanned_pdf() -> bytes:
    """A PDF whose pages are only pictures (as a scanner makes): no text layer."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(240, 240, 240)
    pdf.rect(10, 10, 190, 270, style="F")
    for y in range(20, 260, 8):
        pdf.set_fill_color(40, 40, 40)
        pdf.rect(20, y, 150, 3, style="F")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    reader = PdfReader(io.BytesIO(pdf_of(SHORT)))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
