"""What the project assistant is given: passages of the project's scripts (by scene), its
breakdowns (scenes, characters, props, locations, costumes) and its linked library items' words,
ranked for a question with Postgres full-text search.

Why full-text search and not embeddings: the embedded Postgres (pgserver) ships pgvector, but a
production Postgres may not, and no embedding model is in the provider registry (xAI's chat model
is); English full-text search with stemming and ``ts_rank`` runs on every Postgres, offline.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat

from projects.breakdowns import scenes_of
from projects.models import Breakdown, Passage, Project, ProjectAsset, Script

PASSAGE_CHARS = 1200
LIMIT = 5


def _index(rows) -> None:
    rows.update(
        search=SearchVector(Concat(F("title"), Value(" "), F("text"), output_field=TextField()), config="english")
    )


def passages_for_script(script: Script) -> None:
    passages = []
    for scene in scenes_of(script.text):
        for start in range(0, len(scene.text), PASSAGE_CHARS):
            part = scene.text[start : start + PASSAGE_CHARS]
            pages = f"p. {scene.page_start}" + (f"-{scene.page_end}" if scene.page_end != scene.page_start else "")
            title = f"{script.title} · scene {scene.number} ({pages})"
            passages.append(
                Passage(project=script.project, kind=Passage.Kind.SCRIPT, script=script, title=title, text=part)
            )
    Passage.objects.bulk_create(passages, batch_size=500)
    _index(Passage.objects.filter(script=script))


def passages_for_breakdown(job: Breakdown) -> None:
    name = f"Breakdown of {job.script.title}"
    result = job.result or {}
    passages = [
        Passage(
            project_id=job.project_id,
            kind=Passage.Kind.BREAKDOWN,
            breakdown=job,
            title=f"{name} · scene {s.get('number')}",
            text=f"{s.get('heading', '')}. {s.get('synopsis', '')}",
        )
        for s in result.get("scenes", [])
    ]
    for c in result.get("characters", []):
        scenes = ", ".join(str(n) for n in c.get("scenes", []))
        text = f"{c['name']}: {c.get('description') or 'no description'}. In scenes {scenes}."
        passages.append(
            Passage(
                project_id=job.project_id,
                kind=Passage.Kind.BREAKDOWN,
                breakdown=job,
                title=f"{name} · {c['name']}",
                text=text,
            )
        )
    for tab in ("props", "locations", "costumes"):
        rows = result.get(tab, [])
        if rows:
            text = "; ".join(
                f"{r['name']}{' (' + r['character'] + ')' if r.get('character') else ''}: scenes "
                + ", ".join(str(n) for n in r.get("scenes", []))
                for r in rows
            )
            passages.append(
                Passage(
                    project_id=job.project_id,
                    kind=Passage.Kind.BREAKDOWN,
                    breakdown=job,
                    title=f"{name} · {tab}",
                    text=text[:4000],
                )
            )
    Passage.objects.bulk_create(passages, batch_size=500)
    _index(Passage.objects.filter(breakdown=job))


def passages_for_asset(link: ProjectAsset) -> None:
    asset = link.asset
    recipe = (asset.metadata or {}).get("recipe") or {}
    words = [asset.title, asset.get_kind_display(), ", ".join(t.name for t in asset.tags.all())]
    if isinstance(recipe, dict) and recipe.get("prompt"):
        words.append(str(recipe["prompt"]))
    if asset.character is not None:
        words.append(f"Character: {asset.character.name}")
    Passage.objects.create(
        project_id=link.project_id,
        kind=Passage.Kind.ASSET,
        asset_link=link,
        title=f"Library: {asset.title or asset.original_filename or 'item'}",
        text=". ".join(w for w in words if w)[:PASSAGE_CHARS],
    )
    _index(Passage.objects.filter(asset_link=link))


def _query(question: str) -> SearchQuery | None:
    words = [w for w in re.findall(r"[a-z0-9]+", question.lower()) if len(w) > 1][:30]
    if not words:
        return None
    # Any word may match (OR): a question's words rarely all appear in one passage; rank sorts it out.
    return SearchQuery(" | ".join(words), search_type="raw", config="english")


def retrieve(project: Project, question: str, limit: int = LIMIT) -> list[dict]:
    """The passages best matching ``question``, best first: ``{"n", "title", "text", "kind"}``."""
    query = _query(question)
    if query is None:
        return []
    rows = (
        Passage.objects.filter(project=project, search=query)
        .annotate(rank=SearchRank(F("search"), query))
        .order_by("-rank", "id")[:limit]
    )
    return [
        {"n": index, "title": row.title, "text": row.text, "kind": row.kind} for index, row in enumerate(rows, start=1)
    ]
