"""Likeness on every kind of asset, measured on the real face fixtures: the same person scores
high and another person low, whether the image is a pack image, an edit, an upscale, a wizard
image or a video; no face, several faces, no reference and demo renders get no number."""

import subprocess

import pytest
from PIL import Image, ImageOps

from assets.models import Asset, Likeness
from characters.tests import photos
from core.jobs import JobStatus
from generation import packs
from generation.models import GenerationImage
from generation.packs import PackRecipe
from generation.services import upscale_start
from identity import scoring
from identity.scoring import _ffmpeg

pytestmark = pytest.mark.django_db

SAME_PERSON = 50


def test_the_same_person_scores_high_and_another_person_low(ada, face):
    same = face("person-a-3", character=ada)
    other = face("person-b-2", character=ada)

    assert scoring.asset_score(asset_id=same.pk).likeness > 70
    assert scoring.asset_score(asset_id=other.pk).likeness < 30
    same.refresh_from_db()
    assert (same.likeness_status, same.likeness_scored_at is not None) == (Likeness.SCORED, True)


def test_several_faces_and_no_face_get_no_number(ada, face, org):
    from assets.services import asset_create_from_bytes

    group = face("group-3-faces", character=ada)
    blank = asset_create_from_bytes(
        org=org, data=photos.jpeg(Image.new("RGB", (640, 480), "grey")), filename="wall.jpg"
    )
    blank.character = ada
    blank.save()

    assert scoring.asset_score(asset_id=group.pk).likeness_status == Likeness.SEVERAL_FACES
    assert scoring.asset_score(asset_id=blank.pk).likeness_status == Likeness.NO_FACE
    assert Asset.objects.get(pk=group.pk).likeness is None


def test_a_character_without_a_reference_is_said_so(ada, face):
    ada.identity_embedding = None
    ada.save()
    scored = scoring.asset_score(asset_id=face("person-a-2", character=ada).pk)
    assert (scored.likeness, scored.likeness_status) == (None, Likeness.NO_REFERENCE)


def test_it_scores_any_asset_against_a_character_given_by_the_caller(ada, face):
    """The generic entry point: e.g. a dataset builder's output, not yet shown under the character."""
    loose = face("person-a-4")
    assert loose.character is None
    assert scoring.asset_score(asset_id=loose.pk) is None  # no character known: nothing to say
    assert scoring.asset_score(asset_id=loose.pk, character_id=ada.pk).likeness > 70


def _pack(capture, character, user, recipe):
    with capture(execute=True):
        job = packs.pack_start(character=character, user=user, recipe=recipe)
    return list(GenerationImage.objects.filter(job=job).select_related("asset").order_by("position"))


def test_demo_renders_are_not_scored_without_a_face_pool(ada_hd, people, fund, django_capture_on_commit_callbacks):
    fund(100)
    image = _pack(django_capture_on_commit_callbacks, ada_hd, people.member, PackRecipe(count=1))[0]
    assert image.asset.likeness_status == Likeness.NOT_SCORED
    assert (image.scored, image.identity_score) == (True, None)


def test_pack_images_edits_and_upscales_are_scored_with_a_face_pool(
    ada_hd, people, org, fund, pool, django_capture_on_commit_callbacks
):
    """Seeds pick the pasted photo: even seeds person A (the character), odd ones person B."""
    pool("person-a-2", "person-b-1")
    fund(200)
    made = _pack(django_capture_on_commit_callbacks, ada_hd, people.member, PackRecipe(count=5, seed=100))
    scores = [i.asset.likeness for i in made]
    assert [s >= SAME_PERSON for s in scores] == [True, False, True, False, True]
    assert all(i.identity_score == i.asset.likeness for i in made)

    with django_capture_on_commit_callbacks(execute=True):
        job = upscale_start(org=org, user=people.member, asset=made[0].asset, factor=2)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result.likeness_status == Likeness.SCORED
    assert job.result.likeness >= SAME_PERSON
    with django_capture_on_commit_callbacks(execute=True):
        job = upscale_start(org=org, user=people.member, asset=made[1].asset, factor=2)
    job.refresh_from_db()
    assert job.result.likeness < SAME_PERSON


def _clip(path, names, seconds_each=2):
    """An MP4 showing each fixture for ``seconds_each`` seconds."""
    parts = []
    for index, name in enumerate(names):
        still = path.parent / f"still-{index}.jpg"
        ImageOps.pad(photos.fixture(name), (640, 640), color="black").save(still)
        parts += ["-loop", "1", "-t", str(seconds_each), "-i", str(still)]
    filters = "".join(f"[{i}:v]fps=5,format=yuv420p[v{i}];" for i in range(len(names)))
    filters += "".join(f"[v{i}]" for i in range(len(names))) + f"concat=n={len(names)}:v=1[out]"
    subprocess.run(
        [_ffmpeg(), "-y", "-loglevel", "error", *parts, "-filter_complex", filters, "-map", "[out]", str(path)],
        check=True,
    )
    return path.read_bytes()


def test_a_video_scores_its_worst_second_with_a_strip(ada, org, tmp_path):
    from assets.services import asset_create_from_bytes

    data = _clip(tmp_path / "clip.mp4", ["person-a-2", "person-a-4", "person-b-1"])
    video = asset_create_from_bytes(org=org, data=data, filename="clip.mp4")
    assert video.kind == Asset.Kind.VIDEO

    scored = scoring.asset_score(asset_id=video.pk, character_id=ada.pk)

    strip = scored.likeness_frames
    assert [f["second"] for f in strip] == [0, 1, 2, 3, 4, 5]
    assert all(f["score"] >= SAME_PERSON for f in strip[:4])
    assert all(f["score"] < SAME_PERSON for f in strip[4:])
    assert scored.likeness == min(f["score"] for f in strip)  # the worst frame


def test_wizard_candidates_are_scored_against_the_character_they_are_for(ada, people, org, fund, pool, settings):
    """A candidate face isn't shown under the character, but is measured against it (likeness_of)."""
    from jobs.deliveries import asset_delivered

    candidate = Asset.objects.get(pk=ada.base_image.pk)  # stands in for a delivered candidate
    Asset.objects.filter(pk=candidate.pk).update(character=None)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    asset_delivered(candidate.pk, ada.pk)
    candidate.refresh_from_db()
    assert candidate.likeness_status == Likeness.SCORED
    assert candidate.likeness >= 90  # the very photo the reference was made from
