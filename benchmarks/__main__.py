"""`make bench`: server-side timings and query counts for the app's pages, printed as a table.

Runs against a throwaway test database (``test_personae``, created and dropped here) on the
embedded or configured PostgreSQL, through Django's test client — so it measures our code, not
the network. Each later capability adds its own figures here.
"""

import os
import statistics
import sys
import time

from config.embedded import ensure_services

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
ensure_services()

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "50"))


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm caches and connections
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def main() -> int:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from billing.services import org_create_on_default_plan
    from orgs.models import Membership, Role

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        owner = User.objects.create(
            email="owner@bench.test", password=make_password("x"), onboarded_at="2026-01-01T00:00Z"
        )
        org = org_create_on_default_plan(user=owner, name="Bench Agency")
        results = []
        for members in (3, 300):
            existing = org.memberships.count()
            User.objects.bulk_create(
                [User(email=f"m{existing + i}-{members}@bench.test", password="!") for i in range(members - existing)]
            )
            new_users = User.objects.filter(memberships__isnull=True).exclude(pk=owner.pk)
            Membership.objects.bulk_create([Membership(org=org, user=u, role=Role.VIEWER) for u in new_users])
            client = Client()
            client.force_login(owner)
            for name, url in (
                ("dashboard", f"/o/{org.slug}/"),
                ("members page", f"/o/{org.slug}/settings/members/"),
                ("settings page", f"/o/{org.slug}/settings/"),
            ):
                median, p95, queries = measure(client, url)
                results.append((f"{name} ({members} members)", median, p95, queries))
        anonymous = Client()
        median, p95, queries = measure(anonymous, "/")
        results.append(("landing page (anonymous)", median, p95, queries))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"\nServer time over {RUNS} requests each (Django test client, no network):\n")
    print(f"{'page':<38}{'median ms':>11}{'p95 ms':>9}{'queries':>9}")
    for name, median, p95, queries in results:
        print(f"{name:<38}{median:>11.1f}{p95:>9.1f}{queries:>9}")

    from benchmarks import media as media_benchmark

    media_benchmark.print_table(media_benchmark.run())

    from benchmarks import library as library_benchmark

    library_benchmark.print_table(library_benchmark.run())

    from benchmarks import search as search_benchmark

    search_benchmark.print_table(search_benchmark.run())

    from benchmarks import imports as imports_benchmark

    imports_benchmark.print_table(imports_benchmark.run())

    from benchmarks import engine as engine_benchmark

    engine_benchmark.print_table(engine_benchmark.run())

    from benchmarks import characters as characters_benchmark

    characters_benchmark.print_table(characters_benchmark.run())

    from benchmarks import studio as studio_benchmark

    studio_benchmark.print_table(studio_benchmark.run())

    from benchmarks import providers as providers_benchmark

    providers_benchmark.print_table(providers_benchmark.run())

    from benchmarks import stripe_webhooks as stripe_benchmark

    stripe_benchmark.print_table(stripe_benchmark.run())

    from benchmarks import video as video_benchmark

    video_benchmark.print_table(video_benchmark.run())

    from benchmarks import tools as tools_benchmark

    tools_benchmark.print_table(tools_benchmark.run())
    from benchmarks import projects as projects_benchmark

    projects_benchmark.print_table(projects_benchmark.run())
    from benchmarks import identity as identity_benchmark

    identity_benchmark.print_table(identity_benchmark.run())
    from benchmarks import datasets as datasets_benchmark

    datasets_benchmark.print_table(datasets_benchmark.run())

    from benchmarks import safety as safety_benchmark

    return 0 if safety_benchmark.run() else 1


if __name__ == "__main__":
    sys.exit(main())
