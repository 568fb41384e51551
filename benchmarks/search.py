"""Library search figures at 100,000 assets: p50/p95 of the search selector (``asset_page``, the
query the library grid and the API run) for prefixes, substrings, typos, several words and very
short searches, one full library page with a search, and whether PostgreSQL's plan uses the
trigram index (``asset_search_trgm``).

The rows are written by one INSERT … SELECT over generate_series (made-up storage keys, no files),
titles and prompts drawn from small word lists so a common word matches thousands of rows, and a
second org holds the same words (its rows must never come back). Runs on its own throwaway
database (``bench_personae_search``). ``python -m benchmarks.search``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

RUNS = max(30, int(os.environ.get("BENCH_RUNS", "50")))
ASSETS = int(os.environ.get("BENCH_SEARCH_ASSETS", "100000"))
OTHER_ORG_ASSETS = 10_000
DATABASE = "bench_personae_search"

# (label, query): what people type.
SEARCHES = [
    ("a common word (prefix of many titles)", "summer"),
    ("a typo", "sumer"),
    ("part of a name", "campai"),
    ("an exact, rare title", "summer.campaign.final"),
    ("two words", "beach golden"),
    ("a word in prompts only", "cinematic"),
    ("nothing matches", "zebra"),
    ("two letters", "su"),
]

FILL_SQL = """
INSERT INTO assets_asset (public_id, created_at, updated_at, org_id, kind, source, title, original_filename,
    original_key, variants, mime, bytes, stored_bytes, width, height, sha256, metadata, nsfw, liked,
    provider_cost_note, search_text)
SELECT gen_random_uuid(), now() - make_interval(secs => n), now(), %(org)s, 'image', 'generated', t.title,
    t.title || '.jpg', 'bench/' || n || '.jpg', '{}'::jsonb, 'image/jpeg', 1000, 1200, 640, 480,
    md5(%(org)s || '-' || n::text) || md5(n::text), jsonb_build_object('recipe', jsonb_build_object('prompt', t.prompt)),
    false, n %% 7 = 0, '', lower(t.title || ' ' || t.title || '.jpg ' || t.prompt)
FROM generate_series(1, %(total)s) AS n,
LATERAL (SELECT
    (ARRAY['summer','winter','beach','city','studio','portrait','autumn','night'])[1 + n %% 8] || '.' ||
    (ARRAY['campaign','shoot','look','series','story'])[1 + (n / 8) %% 5] || '.' ||
    (ARRAY['draft','final','v2','alt','edit','crop'])[1 + (n / 40) %% 6] || '.' || n AS title,
    (ARRAY['golden hour light','soft window light','neon glow','overcast daylight'])[1 + n %% 4] || ', ' ||
    (ARRAY['beach','cafe','office','street','bedroom','studio'])[1 + (n / 4) %% 6] || ', ' ||
    (ARRAY['cinematic','editorial','candid','moody','bright'])[1 + (n / 24) %% 5] AS prompt
) AS t
"""


def run() -> list[tuple[str, float, str]]:
    from django.db import connection

    test_settings = connection.settings_dict.setdefault("TEST", {})
    previous_test_name = test_settings.get("NAME")
    test_settings["NAME"] = DATABASE
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        rows = _figures()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        test_settings["NAME"] = previous_test_name
    return rows


def _figures() -> list[tuple[str, float, str]]:
    from django.db import connection
    from django.test import Client

    from assets.selectors import LibraryFilters, asset_page
    from benchmarks.library import _owner_and_org

    owner, org = _owner_and_org()
    from billing.services import org_create_on_default_plan

    other = org_create_on_default_plan(user=owner, name="Another org")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL, {"org": org.pk, "total": ASSETS})
        cursor.execute(FILL_SQL, {"org": other.pk, "total": OTHER_ORG_ASSETS})
        cursor.execute(
            "UPDATE assets_asset SET title = 'summer.campaign.final', search_text = 'summer.campaign.final' "
            "WHERE id = (SELECT min(id) FROM assets_asset WHERE org_id = %s)",
            [org.pk],
        )
        cursor.execute("ANALYZE assets_asset")
    rows: list[tuple[str, float, str]] = [
        (f"loading {ASSETS:,} + {OTHER_ORG_ASSETS:,} assets (one INSERT, GIN index kept up)", _ms(started), "ms")
    ]
    for label, query in SEARCHES:
        filters = LibraryFilters(q=query)
        timings = []
        found: list = []
        for _ in range(RUNS + 1):
            start = time.perf_counter()
            found, _cursor = asset_page(org, filters)
            timings.append(_ms(start))
        timings = sorted(timings[1:])  # the first run warms the cache
        assert all(a.org_id == org.pk for a in found), "another org's asset came back"
        rows += [
            (f"“{query}” — {label}: p50", statistics.median(timings), "ms"),
            (f"“{query}” — {label}: p95", timings[int(len(timings) * 0.95) - 1], "ms"),
        ]
        if query == "summer.campaign.final":
            assert found, "the exact title is not found"
            assert found[0].title == "summer.campaign.final", "the exact title is not first"
    rows.append(("trigram index in the plan of “sumer” (1 = yes)", float(_uses_index(org, "sumer")), "yes/no"))
    client = Client()
    client.force_login(owner)
    url = f"/o/{org.slug}/library/?q=summer+final"
    client.get(url)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(_ms(start))
        assert response.status_code == 200
    timings.sort()
    rows += [
        ("library page searching “summer final”: p50", statistics.median(timings), "ms"),
        ("library page searching “summer final”: p95", timings[int(len(timings) * 0.95) - 1], "ms"),
    ]
    return rows


def _uses_index(org, query: str) -> bool:
    from assets.selectors import LibraryFilters, _ranked, asset_queryset

    plan = _ranked(asset_queryset(org, LibraryFilters(q=query)), query)[:61].explain()
    if os.environ.get("BENCH_SHOW_PLAN"):
        print(plan)
    return "asset_search_trgm" in plan


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def print_table(rows: list[tuple[str, float, str]]) -> None:
    print(f"\nLibrary search (trigram) at {ASSETS:,} assets:\n")
    width = max(len(label) for label, _value, _unit in rows) + 2
    for label, value, unit in rows:
        number = f"{value:>9.0f}" if unit == "yes/no" else f"{value:>9.1f}"
        print(f"{label:<{width}}{number} {unit}")


if __name__ == "__main__":
    import benchmarks.__main__  # noqa: F401, I001  (environment, embedded services, django.setup())
    from django.test.utils import setup_test_environment

    setup_test_environment()
    print_table(run())
    sys.exit(0)
