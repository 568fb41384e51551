"""Create a character from photos in a browser, on the demo provider and a real Celery worker:
name it, drop 20 photos of person A into the four buckets while the counters follow, record
consent, run the dataset check, accept its warnings, start training, watch it finish, see HD."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing.services import credits_available, credits_grant
from characters.models import Character, Consent, DatasetImage, TrainingRun
from characters.tests import photos
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LAYOUT = {"closeup": 8, "half": 6, "full": 4, "variety": 2}


@pytest.fixture
def demo_latency():
    return 1.0


@pytest.fixture
def drop(tmp_path) -> dict[str, list[Path]]:
    """20 distinct photos of person A on disk, split into the buckets' shares."""
    folder = tmp_path / "photos"
    folder.mkdir()
    files = []
    for n, data in enumerate(photos.person_a_photos(20)):
        path = folder / f"ava-{n + 1:02d}.jpg"
        path.write_bytes(data)
        files.append(path)
    split, start = {}, 0
    for bucket, count in LAYOUT.items():
        split[bucket] = files[start : start + count]
        start += count
    return split


def _bucket(page: Page, key: str):
    return page.locator(f"#bucket-{key}")


def _box(page: Page, locator) -> dict:
    """Where ``locator`` is on screen. A tile the board refreshes is swapped for its new version in
    place, and a box read in that instant comes back empty, so read it again."""
    for _ in range(50):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box:
            return box
        page.wait_for_timeout(100)
    raise AssertionError(f"{locator} has no box on screen")


def _drag(page: Page, source, target) -> None:
    """An HTML5 drag with the mouse, in small steps as a person's hand would move."""
    box, goal = _box(page, source), _box(page, target)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + box["height"] / 2 + 10, steps=3)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=12)
    page.mouse.up()


def test_a_member_trains_a_character_from_20_photos(page: Page, site, worker, drop, tmp_path):
    org = OrganizationFactory(name="Bright Studio", slug="bright")
    member = MembershipFactory(org=org, role="member").user
    credits_grant(org=org, amount=500, key="e2e-grant", description="Starter credits")
    shots = Path(tmp_path / "shots")
    shots.mkdir()

    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.url + "/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site.url}/o/bright/characters/new/photos/")
    page.get_by_label("Name").fill("Ava Stone")
    page.get_by_label("Age (optional)").fill("29")
    page.get_by_role("button", name="Continue to photos").click()
    character = Character.objects.get(org=org)
    expect(page).to_have_url(f"{site.url}/o/bright/characters/{character.public_id}/dataset/")
    expect(_bucket(page, "closeup").locator("[data-counter]")).to_have_text("0 of at least 8 — add 8 more")
    expect(page.locator("[data-total-counter]")).to_have_text("0 of 20–30 — add 20 more")

    # Close-ups first: that bucket is done, the others still say what they need.
    _bucket(page, "closeup").locator("input[data-upload-input]").set_input_files(drop["closeup"])
    expect(_bucket(page, "closeup").locator(".ds-tile")).to_have_count(8, timeout=150_000)  # 8 face checks
    expect(_bucket(page, "closeup").locator("[data-counter]")).to_have_text("8 ✓")
    expect(_bucket(page, "half").locator("[data-counter]")).to_have_text("0 of at least 6 — add 6 more")
    expect(page.locator("[data-total-counter]")).to_have_text("8 of 20–30 — add 12 more")

    for key in ("half", "full", "variety"):
        _bucket(page, key).locator("input[data-upload-input]").set_input_files(drop[key])
        expect(_bucket(page, key).locator(".ds-tile")).to_have_count(LAYOUT[key], timeout=60_000)
    for key in LAYOUT:
        expect(_bucket(page, key).locator("[data-counter]")).to_have_text(f"{LAYOUT[key]} ✓")
    expect(page.locator("[data-total-counter]")).to_have_text("20 of 20–30 ✓")
    assert DatasetImage.objects.filter(character=character).count() == 20

    # Moving a close-up away breaks the rule, and the counters say so; moving it back fixes it.
    first_id = _bucket(page, "closeup").locator(".ds-tile").first.get_attribute("id")
    tile = page.locator(f"#{first_id}")
    tile.hover()
    tile.locator("details.ds-menu summary").click()
    # Background work finishing refreshes the board; an open menu stays open under the pointer.
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "dataset-board"):
        page.evaluate(
            """() => {
                document.getElementById("dataset-status").dataset.version = "moved on";
                document.dispatchEvent(new Event("htmx:afterSwap"));
            }"""
        )
    expect(tile.locator("details.ds-menu")).to_have_attribute("open", "")
    # The board moves a tile at once and saves in the background: wait for each save by its tile,
    # or the next step's response could be this one.
    tile_id = tile.get_attribute("data-id")
    with page.expect_response(lambda r: r.url.endswith(f"/{tile_id}/move/") and r.request.method == "POST") as saved:
        tile.get_by_role("button", name="Variety").click()
    assert saved.value.status == 200
    expect(_bucket(page, "closeup").locator("[data-counter]")).to_have_text("7 of at least 8 — add 1 more")
    expect(_bucket(page, "variety").locator(".ds-tile")).to_have_count(3)
    expect(page.locator("#dataset-status")).not_to_contain_text("Analysing", timeout=90_000)
    page.set_viewport_size({"width": 1440, "height": 2400})  # both ends of the drag on screen
    dragged = _bucket(page, "variety").locator(".ds-tile").last
    dragged_id = dragged.get_attribute("data-id")
    # Hold the save back: a board refresh that answers before it must not put the tile back.
    held = []
    page.route(f"**/{dragged_id}/move/", lambda route: held.append(route))
    _drag(page, page.locator(f'.ds-tile[data-id="{dragged_id}"]'), _bucket(page, "closeup").locator(".ds-drop-label"))
    expect(_bucket(page, "closeup").locator(f'.ds-tile[data-id="{dragged_id}"]')).to_have_count(1)
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "dataset-board"):
        page.evaluate(
            """() => {
                document.getElementById("dataset-status").dataset.version = "moved on again";
                document.dispatchEvent(new Event("htmx:afterSwap"));
            }"""
        )
    page.wait_for_timeout(200)  # the refresh's answer is applied after it arrives
    assert DatasetImage.objects.get(public_id=dragged_id).bucket == "variety"  # the save is still held
    expect(_bucket(page, "closeup").locator(f'.ds-tile[data-id="{dragged_id}"]')).to_have_count(1)
    expect(_bucket(page, "closeup").locator("[data-counter]")).to_have_text("8 ✓")
    assert len(held) == 1
    with page.expect_response(lambda r: r.url.endswith(f"/{dragged_id}/move/") and r.request.method == "POST") as moved:
        held[0].continue_()
    page.unroute(f"**/{dragged_id}/move/")
    assert moved.value.status == 200
    expect(_bucket(page, "closeup").locator("[data-counter]")).to_have_text("8 ✓")
    assert DatasetImage.objects.filter(character=character, bucket="closeup").count() == 8

    page.set_viewport_size({"width": 1440, "height": 1000})
    page.screenshot(path=str(shots / "dataset-desktop.png"), full_page=True)

    # Consent.
    consent = page.locator("#consent")
    consent.get_by_label("This is true for these photos and this person.").check()
    consent.get_by_role("button", name="I confirm").click()
    expect(page.locator("#consent")).to_contain_text("Consent recorded by")
    assert Consent.objects.get(character=character).ip == "127.0.0.1"

    # The check: every photo gets a mark; warnings (if any) are accepted.
    page.locator("#check").get_by_role("button", name="Check photos").click()
    summary = page.locator("[data-check-summary]")
    expect(summary).to_contain_text("good", timeout=60_000)
    expect(summary).to_contain_text("0 must be fixed")
    expect(page.locator(".ds-tile.level-unchecked")).to_have_count(0, timeout=10_000)
    accept_all = page.get_by_role("button", name="Accept all warnings")
    if accept_all.count():
        accept_all.click()
        expect(page.locator("#check")).to_contain_text("The photos are ready for training.")
    page.screenshot(path=str(shots / "dataset-checked.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "dataset-mobile.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})

    # Training: the button is on, a double click starts one run, the card follows it to the end.
    start = page.get_by_role("button", name="Start training · 300 credits")
    expect(start).to_be_enabled()
    start.dblclick()
    card = page.locator("#training-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("300 credits held")
    expect(card).to_contain_text("Demo run finished", timeout=120_000)  # the demo trains nothing
    expect(card).to_contain_text("300 credits charged")
    page.screenshot(path=str(shots / "training-done.png"), full_page=True)
    assert TrainingRun.objects.filter(character=character).count() == 1
    assert credits_available(org) == 200

    card.get_by_role("link", name="Open Ava Stone").click()
    expect(page).to_have_url(f"{site.url}/o/bright/characters/{character.public_id}/")
    character.refresh_from_db()
    assert character.mode == "hd"
    expect(page.locator("body")).to_contain_text("HD")
    assert errors == []
