"""Kohya export and import, and the builder's pages: the New page records both attestations,
uploads report per file, the plan shows the cost, and review actions say what went wrong."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from characters.models import Consent
from core.exceptions import DomainError
from datasets import bodies, kohya, runner, services
from datasets.models import DatasetBuild, TargetPhoto


@pytest.mark.django_db
def test_export_then_import_round_trips_names_captions_and_nsfw(
    make_build, fund, people, django_capture_on_commit_callbacks, tmp_path
):
    build = make_build()
    fund(500)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_start(build=build, user=build.created_by)
    with pytest.raises(DomainError):
        kohya.export_zip(build)  # nothing accepted yet
    targets = list(build.targets.order_by("position"))
    for target in targets[:3]:
        services.review_set(target=target, review="accepted")
    TargetPhoto.objects.filter(pk=targets[0].pk).update(nsfw=True)
    data = kohya.export_zip(build)
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    first = runner.result_filename(TargetPhoto.objects.get(pk=targets[0].pk))
    assert first == f"jade-moreau-s{targets[0].source.number}-t1-nsfw-enhanced.jpg"
    assert first in names
    assert first.replace(".jpg", ".txt") in names
    assert len(names) == 6

    path = tmp_path / "set.zip"
    path.write_bytes(data)
    imported = kohya.import_zip(
        org=build.org, user=people.member, name="Jade Again", upload_path=path, ip="203.0.113.1"
    )
    assert imported.imported
    rows = list(imported.targets.order_by("position"))
    assert len(rows) == 3
    trigger = imported.character.trigger_word
    assert all(row.caption.startswith(trigger) and row.result_id == row.asset_id for row in rows)
    assert [row.nsfw for row in rows] == [True, False, False]
    assert Consent.objects.filter(character=imported.character).exists()
    # Nothing to run for an imported set; it goes straight to review.
    assert services.targets_to_run(imported) == []


@pytest.mark.django_db
def test_a_bad_zip_is_refused_and_nothing_is_kept(org_studio, people, tmp_path):
    not_zip = tmp_path / "a.zip"
    not_zip.write_bytes(b"not a zip at all")
    with pytest.raises(DomainError) as exc:
        kohya.import_zip(org=org_studio, user=people.member, name="X", upload_path=not_zip)
    assert "isn't a zip" in exc.value.message
    empty = tmp_path / "b.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DomainError) as exc:
        kohya.import_zip(org=org_studio, user=people.member, name="X", upload_path=empty)
    assert "no JPEG" in exc.value.message
    bad = tmp_path / "c.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("one.jpg", bodies.body_photo(0))
        archive.writestr("one.txt", "a photo")
        archive.writestr("two.jpg", b"<html>not an image</html>")
    with pytest.raises(DomainError) as exc:
        kohya.import_zip(org=org_studio, user=people.member, name="X", upload_path=bad)
    assert "two.jpg" in exc.value.message
    assert not DatasetBuild.objects.exists()


def _url(name, build, **kwargs):
    return reverse(f"datasets:{name}", args=[build.org.slug, build.public_id], kwargs=kwargs or None)


@pytest.mark.django_db
def test_the_new_page_needs_both_attestations_and_records_them(client, org_studio, people):
    client.force_login(people.member)
    url = reverse("datasets:new", args=[org_studio.slug])
    response = client.post(url, {"new-name": "Jade Moreau", "new-consent": "on"})
    assert response.status_code == 400
    assert "Confirm your rights to the body photos" in response.content.decode()
    assert not DatasetBuild.objects.exists()
    response = client.post(url, {"new-name": "Jade Moreau", "new-consent": "on", "new-rights": "on"})
    build = DatasetBuild.objects.get()
    assert response.status_code == 302
    assert response.url == build.get_absolute_url()
    assert build.rights_by == people.member
    assert build.rights_ip
    assert build.consent.user == people.member


@pytest.mark.django_db
def test_uploads_report_each_file_and_the_page_shows_the_plan(client, org_studio, people):
    build = services.build_create(org=org_studio, user=people.member, name="Jade Moreau")
    client.force_login(people.member)
    files = [
        SimpleUploadedFile("b1.jpg", bodies.body_photo(0), "image/jpeg"),
        SimpleUploadedFile("b1-again.jpg", bodies.body_photo(0), "image/jpeg"),
        SimpleUploadedFile("group.jpg", bodies.jpeg(bodies.fixture("group-3-faces")), "image/jpeg"),
    ]
    response = client.post(_url("upload_target", build), {"files": files}, follow=True)
    page = response.content.decode()
    assert "Added 2 body photos. 1 can&#x27;t be used" in page or "Added 2 body photos. 1 can't be used" in page
    assert "already in this set" in page
    assert "faces. Use one with only the person" in page
    assert "Add 3 more face photo(s)" in page
    assert build.targets.count() == 2
    # A viewer sees the page but has no upload form; a POST is refused.
    client.force_login(people.viewer)
    assert client.get(_url("build", build)).status_code == 200
    assert client.post(_url("upload_target", build), {"files": files[:1]}).status_code == 403


@pytest.mark.django_db
def test_review_of_a_photo_without_a_result_says_so(client, org_studio, people, add):
    build = services.build_create(org=org_studio, user=people.member, name="Jade Moreau")
    target = add(build, "target", bodies.body_photo(0))
    client.force_login(people.member)
    url = reverse("datasets:review", args=[org_studio.slug, build.public_id, target.public_id])
    response = client.post(url, {"review": "accepted"}, follow=True)
    assert "no result yet" in response.content.decode()
    target.refresh_from_db()
    assert target.review == TargetPhoto.Review.PENDING
