"""Build a character from a face + body set in a browser, on the demo provider and a real Celery
worker: name it with both attestations, upload person A's face photos (``fixtures/faces``) and 20
generated body photos, see the plan's cost, run the pipeline and watch it finish, accept the
results, move some into other buckets, hand the set over, run the dataset check and start
training."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.models import Plan
from billing.services import credits_available, credits_grant
from characters.models import DatasetImage, TrainingRun
from datasets import bodies
from datasets.models import DatasetBuild, TargetPhoto
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BODIES = 20


@pytest.fixture
def demo_latency():
    return 0.0


@pytest.fixture
def files(tmp_path) -> tuple[list[Path], list[Path]]:
    folder = tmp_path / "photos"
    folder.mkdir()
    faces, body_files = [], []
    for n in range(3):
        path = folder / f"face-{n + 1}.jpg"
        path.write_bytes(bodies.source_photo(n))
        faces.append(path)
    for n in range(BODIES):
        path = folder / f"body-{n + 1:02d}.jpg"
        path.write_bytes(bodies.body_photo(n))
        body_files.append(path)
    return faces, body_files


def _bucket(page: Page, target: TargetPhoto, bucket: str) -> None:
    card = page.locator(f"#t-{target.public_id}")
    card.get_by_label("Bucket (suggested from the face size)").select_option(bucket)
    card.get_by_role("button", name="Save").click()
    expect(page.locator(f"#t-{target.public_id}").get_by_label("Bucket (suggested from the face size)")).to_have_value(
        bucket, timeout=30_000
    )


def test_a_member_builds_a_training_set_from_a_face_and_body_photos(page: Page, site, worker, files, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    org.plan = Plan.objects.filter(max_characters__isnull=True).first() or org.plan
    org.save(update_fields=["plan"])
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=1000, key="e2e-grant", description="Starter credits")
    faces, body_files = files
    shots = Path(tmp_path / "shots")
    shots.mkdir()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(120_000)

    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{site.url}/o/bright/characters/new/")
    page.get_by_role("link", name="Start from a face + body set").click()

    # Name and both attestations; leaving one unticked says what's missing.
    page.get_by_label("Name", exact=True).first.fill("Jade Moreau")
    page.get_by_role("button", name="Continue to photos").click()
    expect(page.locator("body")).to_contain_text("Confirm the consent for the face photos")
    page.get_by_label("Name", exact=True).first.fill("Jade Moreau")
    page.locator("#id_new-consent").check()
    page.locator("#id_new-rights").check()
    page.get_by_role("button", name="Continue to photos").click()
    expect(page.locator("h1")).to_contain_text("face + body set", timeout=30_000)
    build = DatasetBuild.objects.get(character__name="Jade Moreau")
    expect(page).to_have_url(f"{site.url}/o/bright/datasets/{build.public_id}/", timeout=30_000)

    page.locator("#source-files").set_input_files([str(p) for p in faces])
    page.get_by_role("button", name="Add face photos").click()
    expect(page.locator("[data-testid=source]")).to_have_count(3, timeout=60_000)
    page.locator("#target-files").set_input_files([str(p) for p in body_files])
    page.get_by_role("button", name="Add body photos").click()
    expect(page.locator("body")).to_contain_text(f"Added {BODIES} body photos.", timeout=240_000)
    expect(page.locator("[data-testid=plan-credits]")).to_have_text(f"{BODIES * 18} credits")
    page.screenshot(path=str(shots / "plan.png"), full_page=True)

    page.get_by_role("button", name=f"Run the pipeline · {BODIES * 18} credits").click()
    expect(page.locator("[data-testid=result]")).to_have_count(BODIES, timeout=300_000)
    expect(page.locator("#build-progress")).not_to_contain_text("Failed")
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    assert credits_available(org) == 1000 - BODIES * 18

    page.get_by_role("button", name="Accept all that kept the face").click()
    expect(page.locator("[data-testid=accepted-count]")).to_contain_text(f"{BODIES} accepted", timeout=30_000)
    # 12-9-6-3 for 20 is 8/6/4/2: the suggestions give 7 close-ups, 7 half-body, 6 full-body.
    targets = list(build.targets.order_by("position"))
    suggested = {t.position: t.bucket for t in targets}
    assert [suggested[i] for i in range(3)] == ["closeup", "half", "full"]
    _bucket(page, targets[1], "closeup")
    _bucket(page, targets[2], "variety")
    _bucket(page, targets[5], "variety")

    page.get_by_role("button", name=f"Use the {BODIES} accepted as Jade Moreau's dataset").click()
    expect(page).to_have_url(f"{site.url}/o/bright/characters/{build.character.public_id}/dataset/", timeout=30_000)
    assert DatasetImage.objects.filter(character=build.character).count() == BODIES
    expect(page.locator("#dataset-status")).not_to_contain_text("Analysing", timeout=120_000)
    page.locator("#check").get_by_role("button", name="Check photos").click()
    summary = page.locator("[data-check-summary]")
    expect(summary).to_contain_text("0 must be fixed", timeout=120_000)
    accept_all = page.get_by_role("button", name="Accept all warnings")
    if accept_all.count():
        accept_all.click()
    start = page.get_by_role("button", name="Start training · 300 credits")
    expect(start).to_be_enabled(timeout=30_000)
    start.click()
    expect(page.locator("#training-card")).to_be_visible(timeout=30_000)
    assert TrainingRun.objects.filter(character=build.character).count() == 1
    page.screenshot(path=str(shots / "training.png"), full_page=True)
    assert errors == []
