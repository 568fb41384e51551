"""The photo path as people use it: name a character, fill the four buckets, consent, check, and
start, watch and cancel training — with the roles, tenants and bad input that go with it."""

import pytest
from django.urls import reverse

from assets.models import Asset
from assets.tests import media_samples
from assets.tests.factories import AssetFactory, jpeg_bytes, stored_files
from billing.services import credits_available, credits_grant
from characters import dataset, services, training
from characters.models import Character, Consent, DatasetCheck, DatasetImage, TrainingRun
from characters.rules import BUCKET_KEYS
from characters.tests import photos
from core.exceptions import DomainError
from core.jobs import JobStatus

pytestmark = pytest.mark.django_db

LAYOUT_20 = ["closeup"] * 8 + ["half"] * 6 + ["full"] * 4 + ["variety"] * 2
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def character(org, people):
    return services.character_create(org=org, user=people.owner, name="Ava Stone", origin=Character.Origin.PHOTOS)


def url(name: str, character: Character, *extra) -> str:
    return reverse(f"characters:{name}", args=[character.org.slug, character.public_id, *extra])


def add_rows(character, layout, *, level=DatasetImage.Level.UNCHECKED) -> list[DatasetImage]:
    """Dataset rows on small real assets: for tests about counts, not about faces."""
    rows = []
    for n, bucket in enumerate(layout):
        asset = AssetFactory(org=character.org, filename=f"ava-{n}.jpg", seed=500 + n)
        rows.append(
            DatasetImage.objects.create(
                org=character.org,
                character=character,
                asset=asset,
                bucket=bucket,
                position=n,
                analysis=DatasetImage.Analysis.DONE,
                level=level,
            )
        )
    return rows


def checked(character) -> DatasetCheck:
    """A finished, clean check of the dataset as it is now (what the worker leaves behind)."""
    rows = DatasetImage.objects.filter(character=character).values_list("public_id", "asset_id", "bucket")
    return DatasetCheck.objects.create(
        org=character.org,
        character=character,
        status=DatasetCheck.Status.DONE,
        images=len(rows),
        ok=len(rows),
        fingerprint=dataset.fingerprint(rows),
    )


def ready_to_train(character, user) -> None:
    add_rows(character, LAYOUT_20, level=DatasetImage.Level.OK)
    checked(character)
    services.consent_record(character=character, user=user, ip="203.0.113.9")


def upload(client, character, data: bytes, bucket="closeup", name="photo.jpg", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url("dataset_upload", character),
        {"bucket": bucket, "file": SimpleUploadedFile(name, data, content_type="image/jpeg")},
        **extra,
    )


# --- Creating a character ------------------------------------------------------------------------


def test_it_creates_a_photo_character_and_opens_its_dataset(login, org, people):
    client = login("member")
    response = client.post(
        reverse("characters:new_photos", args=[org.slug]), {"name": "Maya", "gender": "female", "age": "31"}
    )
    character = Character.objects.get(org=org)
    assert (character.name, character.origin, character.gender, character.age) == ("Maya", "photos", "female", 31)
    assert character.created_by == people.member
    assert response.status_code == 302
    assert response["Location"] == url("dataset", character)
    html = client.get(response["Location"]).content.decode()
    assert "Training photos" in html
    assert character.trigger_word in html
    assert html.count('class="card ds-bucket"') == 4
    assert "0 of at least 8 — add 8 more" in html  # close-ups for the 20-photo minimum
    assert "0 of 20–30 — add 20 more" in html


def test_it_refuses_an_age_under_18(login, org):
    response = login("member").post(reverse("characters:new_photos", args=[org.slug]), {"name": "Kid", "age": "17"})
    assert response.status_code == 400
    assert "Characters are adults: the age must be 18 or more." in response.content.decode()
    assert not Character.objects.exists()


def test_at_the_plan_limit_it_explains_and_links_to_billing(login, org, people):
    from billing.models import Plan

    org.plan = Plan.objects.get(slug="free")
    org.save()
    limit = org.plan.max_characters
    for n in range(limit):
        services.character_create(org=org, user=people.owner, name=f"C{n}", origin="photos")
    client = login("member")
    page = client.get(reverse("characters:new_photos", args=[org.slug])).content.decode()
    assert f"includes {limit} character" in page
    assert reverse("orgs:billing", args=[org.slug]) in page
    response = client.post(reverse("characters:new_photos", args=[org.slug]), {"name": "One more"})
    assert response.status_code == 400
    assert f"includes {limit} character" in response.content.decode()
    assert Character.objects.filter(org=org).count() == limit
    with pytest.raises(DomainError, match="Upgrade to add more, or delete one"):
        services.character_create(org=org, user=people.member, name="One more", origin="photos")


def test_viewers_can_look_but_not_change(login, character):
    add_rows(character, ["closeup"])
    client = login("viewer")
    html = client.get(url("dataset", character)).content.decode()
    assert "Add photos" not in html
    assert "Viewers can look but not start training" in html
    image = DatasetImage.objects.get()
    assert upload(client, character, jpeg_bytes((900, 900))).status_code == 403
    assert client.post(url("dataset_remove", character, image.public_id)).status_code == 403
    assert client.post(url("consent", character), {"confirm": "on"}).status_code == 403
    assert client.post(url("training_start", character)).status_code == 403
    assert client.get(reverse("characters:new_photos", args=[character.org.slug])).status_code == 403
    assert DatasetImage.objects.count() == 1


def test_another_orgs_character_is_not_found(login, character):
    image = add_rows(character, ["closeup"])[0]
    client = login("outsider")
    for name, args in [("dataset", ()), ("dataset_status", ()), ("dataset_move", (image.public_id,))]:
        assert client.get(url(name, character, *args)).status_code in (404, 405)
    other = reverse("characters:dataset", args=["rival", character.public_id])
    assert client.get(other).status_code == 404  # the outsider's own org doesn't have it either
    assert (
        client.post(
            reverse("characters:dataset_remove", args=["rival", character.public_id, image.public_id])
        ).status_code
        == 404
    )
    assert DatasetImage.objects.count() == 1


# --- Uploading ----------------------------------------------------------------------------------


def test_an_upload_lands_in_its_bucket_and_is_analysed(login, character, django_capture_on_commit_callbacks):
    data = photos.person_a_photos(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(login("member"), character, data, bucket="half", name="ava at the beach.jpg", **JSON)
    assert response.status_code == 201
    body = response.json()
    image = DatasetImage.objects.get()
    assert body["id"] == str(image.public_id)
    assert body["bucket"] == "half"
    assert body["counts"] == {"closeup": 0, "half": 1, "full": 0, "variety": 0}
    assert f'id="img-{image.public_id}"' in body["tile"]
    assert image.asset.title == "ava at the beach"
    image.refresh_from_db()
    assert image.analysis == DatasetImage.Analysis.DONE  # the worker ran on commit
    assert image.face_count == 1


def test_a_non_image_is_refused_with_a_clear_400_and_nothing_is_created(login, character, media_root, tmp_path):
    client = login("member")
    elf = media_samples.elf(tmp_path / "holiday.jpg").read_bytes()
    response = upload(client, character, elf, name="holiday.jpg", **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "This file is a Linux program (ELF), not a photo. Training takes photos: JPEG, PNG, WebP or HEIC."
    )
    video = media_samples.mp4(tmp_path / "clip.mp4").read_bytes()
    response = upload(client, character, video, name="clip.mp4", **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "“clip.mp4” is a video. Training takes photos: JPEG, PNG, WebP or HEIC."
    assert not DatasetImage.objects.exists()
    assert not Asset.objects.exists()
    assert stored_files(media_root) == set()


def test_the_31st_photo_is_refused_and_leaves_nothing_behind(login, character, media_root):
    add_rows(character, ["closeup"] * 12 + ["half"] * 9 + ["full"] * 6 + ["variety"] * 3)
    files_before, assets_before = stored_files(media_root), Asset.objects.count()
    response = upload(login("member"), character, jpeg_bytes((900, 900), seed=7), **JSON)
    assert response.status_code == 400
    assert response.json()["error"].startswith("The dataset is full: training takes at most 30 photos.")
    assert DatasetImage.objects.count() == 30
    assert Asset.objects.count() == assets_before
    assert stored_files(media_root) == files_before


def test_the_same_photo_twice_is_refused(login, character):
    client = login("member")
    data = jpeg_bytes((900, 900), seed=3)
    assert upload(client, character, data, bucket="closeup", **JSON).status_code == 201
    response = upload(client, character, data, bucket="full", name="again.jpg", **JSON)
    assert response.status_code == 400
    assert response.json()["error"] == "This photo is already in the dataset (Close-ups). Each photo can be used once."
    assert DatasetImage.objects.count() == 1


def test_without_script_an_upload_redirects_back_with_a_message(login, character):
    response = upload(login("member"), character, b"", name="empty.jpg")
    assert response.status_code == 302
    assert response["Location"] == url("dataset", character)
    assert not DatasetImage.objects.exists()


# --- Moving, removing, replacing -----------------------------------------------------------------


def test_a_photo_moves_to_the_end_of_another_bucket(login, character):
    first, second = add_rows(character, ["closeup", "half"])
    response = login("member").post(url("dataset_move", character, first.public_id), {"bucket": "half"}, **JSON)
    assert response.status_code == 200
    assert response.json()["counts"] == {"closeup": 0, "half": 2, "full": 0, "variety": 0}
    first.refresh_from_db()
    assert first.bucket == "half"
    assert first.position > second.position


def test_moving_to_an_unknown_bucket_is_refused(login, character):
    image = add_rows(character, ["closeup"])[0]
    response = login("member").post(url("dataset_move", character, image.public_id), {"bucket": "selfies"}, **JSON)
    assert response.status_code == 400
    image.refresh_from_db()
    assert image.bucket == "closeup"


def test_removing_a_photo_deletes_its_asset_and_files(login, character, media_root, django_capture_on_commit_callbacks):
    image = add_rows(character, ["closeup"])[0]
    keys = {image.asset.original_key, *image.asset.variants.values()}
    with django_capture_on_commit_callbacks(execute=True):
        response = login("member").post(url("dataset_remove", character, image.public_id))
    assert response.status_code == 302
    assert not DatasetImage.objects.exists()
    assert not Asset.objects.filter(pk=image.asset_id).exists()
    assert not keys & stored_files(media_root)


def test_replacing_keeps_the_place_and_starts_the_analysis_afresh(login, character, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = add_rows(character, ["closeup", "half", "half"], level=DatasetImage.Level.WARNING)[2]
    DatasetImage.objects.filter(pk=image.pk).update(warnings_accepted=True, issues=[{"code": "blurry"}], caption="x")
    old_asset = image.asset_id
    new = jpeg_bytes((900, 900), seed=99)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login("member").post(
            url("dataset_replace", character, image.public_id),
            {"file": SimpleUploadedFile("better.jpg", new, content_type="image/jpeg")},
            **JSON,
        )
    assert response.status_code == 200
    image.refresh_from_db()
    assert (image.bucket, image.position) == ("half", 2)
    assert image.asset_id != old_asset
    assert image.asset.original_filename == "better.jpg"
    assert (image.level, image.issues, image.warnings_accepted, image.caption) == ("unchecked", [], False, "")
    assert image.analysis == DatasetImage.Analysis.PENDING
    assert not Asset.objects.filter(pk=old_asset).exists()
    assert callbacks  # the analysis is queued once the swap commits


def test_remove_all_empties_the_dataset(login, character):
    add_rows(character, ["closeup", "half", "full"])
    response = login("member").post(url("dataset_clear", character))
    assert response.status_code == 302
    assert not DatasetImage.objects.exists()
    assert Asset.objects.count() == 0


def test_the_dataset_is_frozen_while_training_runs(login, character, people):
    credits_grant(org=character.org, amount=1000, key="grant-frozen", description="Test")
    ready_to_train(character, people.owner)
    training.training_start(character=character, user=people.owner, key="9c5e4a4e-0000-4000-8000-000000000001")
    image = DatasetImage.objects.first()
    client = login("member")
    response = client.post(url("dataset_remove", character, image.public_id), **JSON)
    assert response.status_code == 400
    assert "Training is running on these photos" in response.json()["error"]
    response = upload(client, character, jpeg_bytes((900, 900), seed=8), **JSON)
    assert response.status_code == 400
    assert DatasetImage.objects.count() == 20
    html = client.get(url("dataset", character)).content.decode()
    assert "Add photos" not in html
    assert 'id="training-card"' in html


# --- Consent and the check -----------------------------------------------------------------------


def test_consent_is_recorded_with_who_when_ip_and_text(login, character, people):
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert services.CONSENT_TEXT in html
    response = client.post(
        url("consent", character),
        {"confirm": "on"},
        REMOTE_ADDR="198.51.100.23",
        HTTP_USER_AGENT="Mozilla/5.0 (Test)",
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.user == people.member
    assert consent.user_email == people.member.email
    assert consent.ip == "198.51.100.23"
    assert consent.user_agent == "Mozilla/5.0 (Test)"
    assert (consent.text_version, consent.text) == (services.CONSENT_VERSION, services.CONSENT_TEXT)
    assert consent.covers_adult_content is False
    html = client.get(url("dataset", character)).content.decode()
    assert f"Consent recorded by {people.member.display_name} on" in html


def test_consent_needs_the_box_ticked(login, character):
    response = login("member").post(url("consent", character), {})
    assert response.status_code == 302
    assert not Consent.objects.exists()


def test_adult_consent_records_the_longer_text(login, character):
    login("member").post(url("consent", character), {"confirm": "on", "adult": "on"})
    consent = Consent.objects.get()
    assert consent.covers_adult_content
    assert services.CONSENT_ADULT_TEXT in consent.text


def test_the_check_is_refused_while_the_counts_are_wrong(login, character):
    add_rows(character, ["closeup"] * 5 + ["half"] * 15)
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert "Close-ups: add 3 more (at least 8 of 20, you have 5)." in html
    response = client.post(url("dataset_check", character), **JSON)
    assert response.status_code == 400
    assert "Close-ups: add 3 more" in response.json()["error"]
    assert not DatasetCheck.objects.exists()


def test_the_status_panel_polls_while_photos_are_analysed_and_stops_after(login, character):
    image = add_rows(character, ["closeup"])[0]
    DatasetImage.objects.filter(pk=image.pk).update(analysis=DatasetImage.Analysis.PENDING)
    client = login("viewer")
    response = client.get(url("dataset_status", character))
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "Analysing 1 new photo…" in response.content.decode()
    DatasetImage.objects.filter(pk=image.pk).update(analysis=DatasetImage.Analysis.DONE)
    response = client.get(url("dataset_status", character))
    assert response.status_code == 286
    assert "hx-trigger" not in response.content.decode()


def test_check_results_show_on_each_photo_and_warnings_can_be_accepted(login, character):
    rows = add_rows(character, LAYOUT_20, level=DatasetImage.Level.OK)
    blurry, other = rows[0], rows[1]
    DatasetImage.objects.filter(pk=blurry.pk).update(
        level="warning", issues=[{"code": "blurry", "level": "warning", "message": "This photo is a little blurry."}]
    )
    DatasetImage.objects.filter(pk=other.pk).update(
        level="blocking",
        issues=[{"code": "other_person", "level": "blocking", "message": "This looks like a different person."}],
    )
    check = checked(character)
    DatasetCheck.objects.filter(pk=check.pk).update(ok=18, warnings=1, blocking=1)
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert "18 good" in html
    assert "1 warning" in html
    assert "1 must be fixed" in html
    assert "This photo is a little blurry." in html
    assert "This looks like a different person." in html
    assert "Accept all warnings (1)" in html
    assert "Accept this warning" in html
    response = client.post(url("warnings_accept", character), {"image": str(blurry.public_id)}, **JSON)
    assert response.status_code == 200
    blurry.refresh_from_db()
    assert blurry.warnings_accepted
    # Blocking problems can't be accepted away: training stays off.
    assert "Start training · 300 credits" in client.get(url("dataset", character)).content.decode()
    assert not dataset.dataset_status(character).can_train


def test_a_changed_dataset_makes_the_check_stale(login, character):
    rows = add_rows(character, LAYOUT_20, level=DatasetImage.Level.OK)
    checked(character)
    client = login("member")
    client.post(url("dataset_move", character, rows[0].public_id), {"bucket": "variety"})
    html = client.get(url("dataset", character)).content.decode()
    assert "Photos changed since the check — check again." in html


# --- Training ------------------------------------------------------------------------------------


def test_a_double_click_on_start_training_starts_one_run(login, character, people):
    credits_grant(org=character.org, amount=1000, key="grant-double", description="Test")
    ready_to_train(character, people.owner)
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert "Start training · 300 credits" in html
    assert "data-once" in html
    key = html.split('name="key" value="')[1].split('"')[0]
    first = client.post(url("training_start", character), {"key": key})
    second = client.post(url("training_start", character), {"key": key})
    assert first.status_code == second.status_code == 302
    run = TrainingRun.objects.get()
    assert (run.status, run.credits, run.images) == (JobStatus.QUEUED, 300, 20)
    assert credits_available(character.org) == 700
    html = client.get(url("dataset", character)).content.decode()
    assert 'id="training-card"' in html
    assert "300 credits held" in html


def test_without_enough_credits_it_says_the_numbers_and_links_to_billing(login, character, people):
    credits_grant(org=character.org, amount=120, key="grant-short", description="Test")
    ready_to_train(character, people.owner)
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert "Training needs 300 credits and you have 120 available: 180 short." in html
    assert reverse("orgs:billing", args=[character.org.slug]) in html
    response = client.post(url("training_start", character), {"key": "0d7c7d8e-1111-4222-8333-444455556666"}, **JSON)
    assert response.status_code == 402
    assert response.json()["error"] == (
        "This needs 300 credits; you have 120 available. Nothing was started. "
        "Buy credits or upgrade your plan on the Billing page."
    )
    assert not TrainingRun.objects.exists()
    assert credits_available(character.org) == 120


def test_training_needs_consent(login, character):
    credits_grant(org=character.org, amount=1000, key="grant-consent", description="Test")
    add_rows(character, LAYOUT_20, level=DatasetImage.Level.OK)
    checked(character)
    client = login("member")
    html = client.get(url("dataset", character)).content.decode()
    assert "Confirm the consent statement above." in html
    response = client.post(url("training_start", character), {"key": "0d7c7d8e-1111-4222-8333-444455556667"}, **JSON)
    assert response.status_code == 400
    assert not TrainingRun.objects.exists()


def test_the_training_card_polls_until_it_ends_and_cancel_returns_the_credits(login, character, people):
    credits_grant(org=character.org, amount=1000, key="grant-cancel", description="Test")
    ready_to_train(character, people.owner)
    run = training.training_start(character=character, user=people.owner, key="5b0f7a52-0000-4000-8000-00000000000a")
    client = login("member")
    card = client.get(url("training_status", character, run.public_id))
    assert card.status_code == 200
    assert 'hx-trigger="every 2s"' in card.content.decode()
    assert "Cancel training" in card.content.decode()
    response = client.post(url("training_cancel", character, run.public_id))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED
    assert credits_available(character.org) == 1000
    card = client.get(url("training_status", character, run.public_id))
    assert card.status_code == 286
    assert "Your 300 credits were returned." in card.content.decode()
    assert "Cancel training" not in card.content.decode()


def test_a_failed_run_shows_its_reason_and_a_finished_one_links_to_hd(login, character, people):
    run = TrainingRun.objects.create(
        org=character.org,
        character=character,
        status=JobStatus.FAILED,
        source="photos",
        trigger_word=character.trigger_word,
        steps=1000,
        credits=300,
        error="The provider said: the training images could not be downloaded.",
    )
    client = login("viewer")
    html = client.get(url("training_status", character, run.public_id)).content.decode()
    assert "The provider said: the training images could not be downloaded." in html
    assert "Your 300 credits were returned." in html
    TrainingRun.objects.filter(pk=run.pk).update(status=JobStatus.SUCCEEDED, error="")
    html = client.get(url("training_status", character, run.public_id)).content.decode()
    assert "HD mode ready" in html
    assert url("detail", character) in html


def test_another_orgs_training_run_is_not_found(login, character, people):
    run = TrainingRun.objects.create(
        org=character.org, character=character, source="photos", trigger_word="x", steps=1, credits=1
    )
    response = login("outsider").get(url("training_status", character, run.public_id))
    assert response.status_code == 404


def test_all_bucket_keys_have_a_drop_zone(login, character):
    html = login("member").get(url("dataset", character)).content.decode()
    for key in BUCKET_KEYS:
        assert f'id="bucket-{key}"' in html
        assert f'data-grid="{key}"' in html
