"""``manage.py seed_demo``: the demo accounts the README names and the demo workspace's sample
content, safe to run again."""

import io
import time

import pytest
from django.core.management import call_command

from assets.models import Asset, Collection
from billing.models import LedgerEntry
from billing.services import credits_available, ledger_problems
from characters.models import Character
from generation.models import EditJob, GenerationJob
from orgs.models import Organization
from seeds import loader, workspace
from styles.models import StyleRecipe
from video.models import VideoJob


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)  # the sample jobs run as their transactions commit, as in the app
def test_it_seeds_a_labelled_sample_workspace_once(media_root, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the seed runs its jobs inline by itself
    started = time.monotonic()
    report = _seed()
    first_run = time.monotonic() - started
    org = Organization.objects.get(slug="demo-agency")
    entries = LedgerEntry.objects.filter(org=org).count()

    _seed()

    assert "seeded workspace in" in report
    [character] = Character.objects.for_org(org)
    assert character.name == workspace.SAMPLE_NAME  # says it's a sample
    assert character.base_image is not None
    assert character.mode == "hd"
    assert character.lora_demo
    packs = GenerationJob.objects.filter(org=org, status="succeeded")
    assert packs.count() == len(workspace.PACKS)
    images = Asset.objects.filter(org=org, metadata__recipe__operation="generation")
    assert images.count() == 6
    assert all(asset.is_placeholder for asset in images)  # demo renders, labelled in the picture
    assert EditJob.objects.filter(org=org, status="succeeded").count() == 1
    assert VideoJob.objects.filter(org=org, status="succeeded").count() == 1
    assert StyleRecipe.objects.filter(org=org, status="succeeded", in_studio=True).count() == 1
    collection = Collection.objects.get(org=org, name=workspace.COLLECTION_NAME)
    assert collection.assets.count() == 6
    # Paid for like anything else, once: the second run added nothing.
    assert LedgerEntry.objects.filter(org=org).count() == entries
    assert 0 < credits_available(org) < 6000
    assert ledger_problems(org) == []
    assert first_run < 120


def test_the_command_runs_every_feature_seed_in_a_fixed_order():
    names = [module.__name__ for module in loader.seed_modules()]
    assert names[0] == "seeds.workspace"
    assert "seeds.loader" not in names  # a module without ``seed`` is not a feature seed
    known = [f"seeds.{name}" for name in loader.ORDER]
    assert [n for n in names if n in known] == [n for n in known if n in names]
    rest = [n for n in names if n not in known]
    assert rest == sorted(rest)
