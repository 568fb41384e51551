"""Lineage graphs and re-runs: training → generation → edit → upscale as columns with recipe and
cost; a re-run with a new seed stands beside the old image; refusals for a deleted source and a
deleted LoRA version; exports carry the lineage in each image's metadata."""

import io
import zipfile

import pytest
from django.utils import timezone
from PIL import Image

from assets import storage
from assets.models import Asset
from assets.services import exports
from characters.models import TrainingRun
from core.exceptions import DomainError
from core.jobs import JobStatus
from generation import packs
from generation.models import EditJob, GenerationImage
from generation.packs import PackRecipe
from generation.services import upscale_start
from identity import lineage, reruns

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(ada_hd, people):
    """The training run that made Ada's face model, finished before anything was generated."""
    return TrainingRun.objects.create(
        org=ada_hd.org,
        character=ada_hd,
        source=TrainingRun.Source.SHEET,
        trigger_word=ada_hd.trigger_word,
        steps=1000,
        images=9,
        credits=300,
        status=JobStatus.SUCCEEDED,
        lora_key=ada_hd.lora_key,
        finished_at=timezone.now(),
        created_by=people.member,
    )


@pytest.fixture
def chain(trained, ada_hd, people, org, fund, django_capture_on_commit_callbacks):
    """A generated image and its 2× upscale."""
    fund(200)
    with django_capture_on_commit_callbacks(execute=True):
        job = packs.pack_start(character=ada_hd, user=people.member, recipe=PackRecipe(count=1, seed=77))
    image = GenerationImage.objects.select_related("asset").get(job=job)
    with django_capture_on_commit_callbacks(execute=True):
        edit = upscale_start(org=org, user=people.member, asset=image.asset, factor=2)
    edit.refresh_from_db()
    return image.asset, edit.result


def test_the_graph_runs_from_the_training_to_the_upscale_with_recipes_and_costs(chain, trained):
    generated, upscaled = chain

    graph = lineage.asset_lineage(upscaled)

    steps = [[node.step for node in column] for column in graph.columns]
    assert steps == [["LoRA training"], ["Generation"], ["Upscale"]]
    assert graph.columns[0][0].run == trained
    assert ("Seed", "77") in graph.columns[1][0].facts
    costs = [value for label, value in graph.columns[1][0].facts if label == "Cost"]
    assert costs[0].startswith("4 credits")
    assert graph.columns[2][0].focus
    assert lineage.asset_lineage(generated).columns[-1][0].asset == upscaled  # children to the right


def test_a_rerun_with_a_new_seed_is_a_branch_beside_the_old_image(chain, people, django_capture_on_commit_callbacks):
    generated, _upscaled = chain
    with django_capture_on_commit_callbacks(execute=True):
        job = reruns.node_rerun(asset=generated, user=people.member, changes=reruns.RerunChanges(new_seed=True))
    new = GenerationImage.objects.select_related("asset").get(job=job)
    assert new.seed != 77
    assert job.rerun_of == generated
    focus_column = next(c for c in lineage.asset_lineage(generated).columns if any(n.focus for n in c))
    assert [n.asset for n in focus_column] == [generated, new.asset]
    assert focus_column[1].rerun
    same = reruns.node_rerun(asset=generated, user=people.member)
    assert GenerationImage.objects.get(job=same).seed == 77  # as it was


def test_rerunning_an_edit_whose_source_was_deleted_is_refused(chain, people):
    generated, upscaled = chain
    generated.delete()
    assert "was deleted" in reruns.rerun_problem(upscaled)
    with pytest.raises(DomainError, match="was made from was deleted"):
        reruns.node_rerun(asset=upscaled, user=people.member)


def test_rerunning_an_upscale_makes_a_sibling_from_the_same_source(chain, people, django_capture_on_commit_callbacks):
    generated, upscaled = chain
    with django_capture_on_commit_callbacks(execute=True):
        again = reruns.node_rerun(asset=upscaled, user=people.member)
    again.refresh_from_db()
    assert isinstance(again, EditJob)
    assert again.status == JobStatus.SUCCEEDED
    assert again.result != upscaled
    assert list(again.result.parents.all()) == [generated]


def test_a_deleted_lora_version_is_refused_and_the_current_one_used(
    chain, trained, ada_hd, people, django_capture_on_commit_callbacks
):
    generated, _ = chain
    older = TrainingRun.objects.create(
        org=ada_hd.org,
        character=ada_hd,
        source=TrainingRun.Source.SHEET,
        trigger_word=ada_hd.trigger_word,
        steps=1000,
        credits=300,
        status=JobStatus.SUCCEEDED,
        lora_key=ada_hd.lora_key,
        finished_at=timezone.now() - timezone.timedelta(days=30),
    )
    with pytest.raises(DomainError, match="was deleted") as refused:
        reruns.node_rerun(
            asset=generated, user=people.member, changes=reruns.RerunChanges(lora_run=str(older.public_id))
        )
    assert refused.value.field == "lora"
    with django_capture_on_commit_callbacks(execute=True):
        job = reruns.node_rerun(
            asset=generated, user=people.member, changes=reruns.RerunChanges(lora_run=str(trained.public_id))
        )
    assert job.lora_key == trained.lora_key
    storage.storage().delete(ada_hd.lora_key)
    with pytest.raises(DomainError, match="was deleted"):
        reruns.node_rerun(
            asset=generated, user=people.member, changes=reruns.RerunChanges(lora_run=str(trained.public_id))
        )


def test_an_upload_has_no_recipe_to_rerun(face, people):
    upload = face("person-a-2")
    assert "not made here" in reruns.rerun_problem(upload)


def test_exports_embed_the_lineage_in_each_images_metadata(chain, org, people):
    _generated, upscaled = chain
    export = exports.export_create(org=org, user=people.member, ids=[str(upscaled.public_id)])
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    with storage.storage().open(export.key, "rb") as fh, zipfile.ZipFile(fh) as archive:
        data = archive.read(archive.namelist()[0])
    image = Image.open(io.BytesIO(data))
    comment = image.info["comment"].decode()
    assert comment.startswith("Personae lineage")
    assert all(step in comment for step in ("LoRA training", "Generation", "Upscale"))
    assert image.size == (upscaled.width, upscaled.height)  # pixels untouched


def test_png_exports_carry_an_itxt_comment():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    out = exports.with_comment(buffer.getvalue(), "Personae lineage\nGeneration x")
    image = Image.open(io.BytesIO(out))
    image.load()
    assert image.info["Comment"] == "Personae lineage\nGeneration x"
    assert exports.with_comment(b"GIF89a...", "x") == b"GIF89a..."


def test_the_character_graph_lists_its_lora_versions_and_what_they_made(chain, ada_hd, trained):
    versions = lineage.character_lineage(ada_hd)
    assert [v.run for v in versions] == [trained]
    assert versions[0].current
    assert versions[0].images == 1
    assert versions[0].made == {"Upscale": 1}


def test_recipes_keep_what_a_rerun_made_again(chain, people, django_capture_on_commit_callbacks):
    generated, _ = chain
    with django_capture_on_commit_callbacks(execute=True):
        job = reruns.node_rerun(asset=generated, user=people.member)
    asset = Asset.objects.get(pk=GenerationImage.objects.get(job=job).asset_id)
    assert asset.recipe["rerun_of"] == str(generated.public_id)
