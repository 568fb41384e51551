"""The pricing page shows the same numbers the app charges by: billing.Plan rows and
billing.prices."""

from bs4 import BeautifulSoup
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat

from billing.models import Plan
from billing.prices import OPERATION_PRICES, TOP_UP_PACKS, OperationPrice, prices_on_sale


def _pricing(client) -> BeautifulSoup:
    response = client.get("/pricing/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _cell(page: BeautifulSoup, plan: str, field: str) -> str:
    cell = page.select_one(f'.compare-table td[data-plan="{plan}"][data-field="{field}"]')
    return cell.get_text(" ", strip=True).replace("\xa0", " ")


def test_it_shows_every_public_plan_with_the_numbers_in_its_row(client, db):
    page = _pricing(client)

    plans = list(Plan.objects.filter(is_public=True))
    assert [card["data-plan"] for card in page.select(".plans .plan")] == [plan.slug for plan in plans]
    for plan in plans:
        card = page.select_one(f'.plan[data-plan="{plan.slug}"]').get_text(" ", strip=True)
        assert f"${plan.price_dollars} / month" in card
        assert intcomma(plan.monthly_credits) in card
        assert _cell(page, plan.slug, "price") == f"${plan.price_dollars} / month"
        assert _cell(page, plan.slug, "credits").startswith(intcomma(plan.monthly_credits))
        assert _cell(page, plan.slug, "characters") == str(plan.max_characters or "Unlimited")
        assert _cell(page, plan.slug, "storage") == filesizeformat(plan.storage_bytes).replace("\xa0", " ")
        assert _cell(page, plan.slug, "seats") == str(plan.seats)
        assert _cell(page, plan.slug, "jobs") == str(plan.max_concurrent_jobs)
        assert f"{plan.max_concurrent_jobs} job" in card
        assert _cell(page, plan.slug, "hq_images") == intcomma(
            plan.monthly_credits // OPERATION_PRICES["image_hq"].credits
        )


def test_it_matches_the_product_spec(client, db):
    page = _pricing(client)

    assert [_cell(page, slug, "price") for slug in ("free", "creator", "studio", "agency")] == [
        "$0 / month",
        "$29 / month",
        "$79 / month",
        "$249 / month",
    ]
    assert _cell(page, "agency", "characters") == "Unlimited"
    assert _cell(page, "studio", "storage") == "250.0 GB"
    assert [_cell(page, slug, "jobs") for slug in ("free", "creator", "studio", "agency")] == ["1", "3", "6", "12"]
    assert _cell(page, "creator", "draft_images") == "500"  # 2,000 credits at 4 an image
    assert not page.select('[data-field="video_seconds"]')  # no video until it ships


def test_a_plan_edited_by_staff_shows_its_new_numbers(client, db):
    Plan.objects.filter(slug="creator").update(price_cents=3900, monthly_credits=2500, seats=2)
    Plan.objects.filter(slug="agency").update(is_public=False)

    page = _pricing(client)

    assert _cell(page, "creator", "price") == "$39 / month"
    assert _cell(page, "creator", "credits").startswith("2,500")
    assert _cell(page, "creator", "seats") == "2"
    assert _cell(page, "creator", "hq_images") == "312"
    assert not page.select('[data-plan="agency"]')


def test_it_shows_what_every_operation_costs(client, db):
    page = _pricing(client)

    rows = page.select(".price-table tr[data-operation]")
    assert [row["data-operation"] for row in rows] == [price.operation for price in prices_on_sale()]
    for row in rows:
        price = OPERATION_PRICES[row["data-operation"]]
        assert row.select_one('[data-field="credits"]').get_text() == intcomma(price.credits)
        assert price.label in row.th.get_text()
        assert price.unit in row.td.get_text()


def test_an_operation_not_on_sale_is_not_listed(client, db, monkeypatch):
    planned = OperationPrice("auto_rig", "Auto-rigging", 30, "per model", "AI tools", on_sale=False)
    monkeypatch.setitem(OPERATION_PRICES, "auto_rig", planned)

    page = _pricing(client)

    assert not page.select('tr[data-operation="auto_rig"]')
    assert page.select('tr[data-operation="chat"]')


def test_it_shows_the_top_up_packs(client, db):
    page = _pricing(client)

    for pack in TOP_UP_PACKS:
        card = page.select_one(f'[data-pack="{pack.slug}"]')
        assert card.select_one('[data-field="credits"]').get_text() == intcomma(pack.credits)
        assert card.select_one('[data-field="price"]').get_text() == f"${pack.price_dollars}"
    assert [(p.credits, p.price_cents) for p in TOP_UP_PACKS] == [(1_000, 1_500), (5_000, 6_500)]


def test_each_plan_starts_sign_up_with_the_plan_chosen(client, db):
    page = _pricing(client)

    for card in page.select(".plans .plan"):
        assert card.a["href"] == f"/accounts/signup/?plan={card['data-plan']}"


def test_it_explains_how_credits_are_held_charged_and_released(client, db):
    faq = _pricing(client).select_one("#credits-faq").get_text(" ", strip=True)

    for phrase in ["held", "charged", "released", "fails", "cancel"]:
        assert phrase in faq
