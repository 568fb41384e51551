"""Bad input, each refused or flagged before anything is charged, in words that say what to do."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.exceptions import DomainError
from datasets import bodies, rules, services
from datasets.models import BuildRun, SourcePhoto, TargetPhoto


@pytest.fixture
def build(org_studio, people):
    return services.build_create(org=org_studio, user=people.member, name="Jade Moreau")


@pytest.mark.django_db
def test_target_with_no_face_is_flagged(build, add):
    blank = Image.new("RGB", (1000, 1200), (90, 140, 200))
    target = add(build, "target", bodies.jpeg(blank))
    assert target.problem.startswith("No face was found")


@pytest.mark.django_db
def test_target_with_several_faces_is_flagged(build, add):
    target = add(build, "target", bodies.jpeg(bodies.fixture("group-3-faces")))
    assert "faces. Use one with only the person" in target.problem


@pytest.mark.django_db
def test_target_with_a_face_too_small_is_flagged(build, add):
    # Person B's full-body shot shrunk so the face is about 50 px wide in the original.
    small = bodies.body_image(2).resize((500, 1000), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (1000, 1000), (120, 120, 120))
    canvas.paste(small, (250, 0))
    target = add(build, "target", bodies.jpeg(canvas))
    assert "too small to swap" in target.problem, target.problem


@pytest.mark.django_db
def test_target_on_its_side_is_flagged(build, add):
    sideways = bodies.body_image(0).rotate(90, expand=True)
    target = add(build, "target", bodies.jpeg(sideways))
    assert "on its side" in target.problem, target.problem


@pytest.mark.django_db
def test_target_tilted_far_is_flagged(build, add, monkeypatch):
    monkeypatch.setattr(rules, "MAX_ROLL_DEGREES", -1.0)  # any measurable tilt is "too far"
    target = add(build, "target", bodies.body_photo(0))
    assert "tilted" in target.problem


@pytest.mark.django_db
def test_heic_and_cmyk_photos_work(build, add):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    bodies.body_image(1).save(out, "HEIF", quality=90)
    heic = add(build, "target", out.getvalue(), name="body.heic")
    assert heic.problem == ""
    assert heic.face_box
    cmyk = add(build, "target", bodies.jpeg(bodies.body_image(4), mode="CMYK"), name="cmyk.jpg")
    assert cmyk.problem == ""
    assert cmyk.face_box


@pytest.mark.django_db
def test_duplicates_are_refused(build, add):
    add(build, "target", bodies.body_photo(0))
    with pytest.raises(DomainError) as exc:
        add(build, "target", bodies.body_photo(0))
    assert "already in this set" in exc.value.message
    with pytest.raises(DomainError):
        add(build, "source", bodies.body_photo(0))
    assert build.targets.count() == 1
    assert build.sources.count() == 0


@pytest.mark.django_db
def test_a_source_set_that_is_not_one_person_is_flagged_before_any_charge(build, add, fund):
    fund(1000)
    for index in range(3):
        add(build, "source", bodies.source_photo(index))
    other = add(build, "source", bodies.jpeg(bodies.fixture("person-b-1")))
    for index in range(4):
        add(build, "target", bodies.body_photo(index))
    other.refresh_from_db()
    assert other.outlier_distance is not None
    assert set(SourcePhoto.objects.filter(outlier_distance__isnull=False).values_list("pk", flat=True)) == {other.pk}
    plan = services.plan(build)
    assert not plan.ready
    assert "same person" in plan.problems[0]
    with pytest.raises(DomainError):
        services.run_start(build=build, user=build.created_by)
    assert not BuildRun.objects.exists()
    services.photo_remove(build=build, photo=other)
    assert services.plan(build).ready


@pytest.mark.django_db
def test_a_source_photo_with_no_face_blocks_the_plan(build, add):
    blank = add(build, "source", bodies.jpeg(Image.new("RGB", (800, 800), (200, 50, 50))))
    assert blank.problem.startswith("No face")
    assert any("can't be used" in p for p in services.plan(build).problems)


@pytest.mark.django_db
def test_more_than_the_limits_is_refused(build, add, monkeypatch):
    monkeypatch.setattr(rules, "MAX_SOURCES", 2)
    monkeypatch.setattr(rules, "MAX_TARGETS", 1)
    add(build, "source", bodies.source_photo(0))
    add(build, "source", bodies.source_photo(1))
    with pytest.raises(DomainError) as exc:
        add(build, "source", bodies.source_photo(2))
    assert "at most 2 face photos" in exc.value.message
    add(build, "target", bodies.body_photo(0))
    with pytest.raises(DomainError) as exc:
        add(build, "target", bodies.body_photo(1))
    assert "at most 1 body photos" in exc.value.message
    assert build.sources.count() == 2
    assert build.targets.count() == 1


@pytest.mark.django_db
def test_too_few_photos_say_how_many_more(build, add, full_limits):
    add(build, "source", bodies.source_photo(0))
    problems = services.plan(build).problems
    assert any("2 more face photo" in p for p in problems)
    assert any("10 more usable body photo" in p for p in problems)


@pytest.mark.django_db
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_kept(build, add):
    with pytest.raises(DomainError) as exc:
        add(build, "target", b"%PDF-1.4 not a photo", name="doc.pdf")
    assert "can't be used" in exc.value.message
    assert not TargetPhoto.objects.exists()
