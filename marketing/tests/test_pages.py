"""The public site as a visitor and a search engine see it: every page answers, says what it is,
and points to its one canonical address."""

import re

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from django.contrib.staticfiles import finders

from blog.launch_posts import LAUNCH_POSTS
from core.tests.pages import text_of
from marketing.legal import LEGAL_DOCUMENTS

MARKETING_PAGES = ["/", "/pricing/", "/terms/", "/privacy/", "/acceptable-use/", "/cookies/"]
BLOG_PAGES = ["/blog/", "/blog/?tag=guides", *(f"/blog/{post.slug}/" for post in LAUNCH_POSTS)]


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _exists(client, path: str) -> bool:
    """A static file in the project (whitenoise serves them outside tests), or a page or image."""
    if path.startswith("/static/"):
        return finders.find(path.removeprefix("/static/")) is not None
    return client.get(path).status_code == 200


def _meta(page: BeautifulSoup, key: str) -> str:
    tag = page.find("meta", attrs={"property": key}) or page.find("meta", attrs={"name": key})
    assert tag is not None, f"no {key} meta tag"
    return tag["content"]


def test_every_public_page_answers_with_its_canonical_address_and_social_tags(client, blog):
    for path in MARKETING_PAGES + BLOG_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        page = _soup(response)

        canonical = page.find("link", rel="canonical")["href"]
        assert canonical == "http://testserver" + path, path
        assert _meta(page, "og:url") == canonical
        assert page.title.get_text().startswith(_meta(page, "og:title")), path
        assert _meta(page, "og:description") == _meta(page, "description"), path
        assert _meta(page, "og:site_name") == "Personae"
        assert _meta(page, "og:type") == ("article" if path.count("/") == 3 and "?" not in path else "website"), path
        assert _meta(page, "twitter:card") == "summary_large_image"
        image = _meta(page, "og:image")
        assert image == _meta(page, "twitter:image")
        assert image.startswith("http://testserver/"), path
        assert _exists(client, image.removeprefix("http://testserver")), image
        assert len(page.find_all("h1")) == 1, path


def test_sign_up_and_log_in_pages_have_social_tags_too(client, db):
    for path in ["/accounts/signup/", "/accounts/login/"]:
        page = _soup(client.get(path))
        assert page.find("link", rel="canonical")["href"] == "http://testserver" + path
        assert _meta(page, "og:image") == "http://testserver/static/img/social/personae.png"


def test_canonical_addresses_use_site_url_whatever_the_host(client, db, settings):
    settings.SITE_URL = "https://personae.example"

    page = _soup(client.get("/pricing/"))

    assert page.find("link", rel="canonical")["href"] == "https://personae.example/pricing/"
    assert _meta(page, "og:image") == "https://personae.example/static/img/social/personae.png"


def test_pages_load_nothing_from_other_sites(client, blog):
    for path in MARKETING_PAGES + BLOG_PAGES:
        page = _soup(client.get(path))
        for tag, attribute in [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")]:
            for element in page.find_all(tag):
                value = element.get(attribute, "")
                if tag == "link" and element.get("rel") in (["canonical"], ["alternate"]):
                    continue
                assert not value.startswith(("http:", "https:", "//")), f"{path} loads {value}"


def test_images_have_dimensions_alt_text_and_load_lazily_below_the_fold(client, blog):
    for path in ["/", "/pricing/", "/blog/", f"/blog/{LAUNCH_POSTS[0].slug}/"]:
        page = _soup(client.get(path))
        for img in page.find_all("img"):
            assert img.get("width"), f"{path}: {img}"
            assert img.get("height"), f"{path}: {img}"
            assert img.has_attr("alt"), f"{path}: {img}"
            in_hero = img.find_parent(class_=re.compile(r"hero")) is not None
            assert in_hero or img.get("loading") == "lazy", f"{path}: {img}"


def test_the_landing_page_makes_its_promise_and_shows_our_illustrations(client, blog):
    response = client.get("/")
    page = _soup(response)

    assert page.h1.get_text() == "One character. Thousands of on\u2011model images."
    assert {section["id"] for section in page.select("section[id]")} >= {
        "how",
        "features",
        "examples",
        "pricing",
        "faq",
    }
    gallery = page.select(".gallery img")
    assert len(gallery) == 6
    assert all(img["src"].startswith("/static/img/examples/") for img in gallery)
    assert "not AI outputs" in text_of(response)
    assert [a.get_text() for a in page.select("#blog .post-card h3 a")] == [
        post.title for post in reversed(LAUNCH_POSTS)
    ]


def test_the_landing_page_works_before_the_blog_has_posts(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert not _soup(response).select("#blog")


def test_legal_pages_say_when_they_last_changed(client, db):
    for document in LEGAL_DOCUMENTS.values():
        page = _soup(client.get(f"/{document.url_name.replace('_', '-')}/"))
        assert page.h1.get_text() == document.title
        assert page.select_one(".legal-updated time")["datetime"] == document.updated.isoformat()
        day = f"{document.updated.day} {document.updated:%B %Y}"
        assert f"Last updated {day}" in page.select_one(".legal-updated").get_text(" ", strip=True)


def test_the_privacy_policy_states_what_is_kept_after_a_deletion_and_for_how_long(client, db, settings):
    text = text_of(client.get("/privacy/"))
    assert LEGAL_DOCUMENTS["privacy"].updated.isoformat() == "2026-12-07"
    for phrase in [
        "30 days after the character's face model is trained",
        "7-day grace period",
        "for 2 years from each entry",
        "credit history inside Personae is deleted with the organisation",
        "Settings → Data & privacy",
    ]:
        assert phrase in text, phrase
    # The numbers it promises are the ones the code runs with.
    assert settings.AUDIT_LOG_RETENTION_DAYS == 730
    assert settings.ORG_DELETION_GRACE_DAYS == settings.DATA_EXPORT_TTL_DAYS == 7
    assert settings.FAILED_JOB_RETENTION_DAYS == 30


def test_the_acceptable_use_policy_covers_consent_adults_adult_content_and_takedowns(client, db):
    text = text_of(client.get("/acceptable-use/"))

    for phrase in ["Adults only, always", "written permission", "Adult content", "takedown@personae.local"]:
        assert phrase in text


def test_robots_txt_opens_the_site_and_closes_the_app(client, db):
    response = client.get("/robots.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    for private in ["/o/", "/admin/", "/cms/", "/accounts/"]:
        assert f"Disallow: {private}" in lines
    assert "Allow: /" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_the_sitemap_lists_the_marketing_pages_and_the_posts(client, blog):
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]

    expected = [path for path in MARKETING_PAGES + BLOG_PAGES if "?" not in path]
    assert sorted(locations) == sorted("http://testserver" + path for path in expected)


@pytest.mark.parametrize("path", ["/no-such-page/", "/blog/no-such-post/"])
def test_the_404_page_helps_visitors_find_their_way(client, blog_index, path):
    response = client.get(path)

    assert response.status_code == 404
    page = _soup(response)
    assert page.h1.get_text() == "We couldn't find that page"
    assert {a["href"] for a in page.select(".not-found-links a")} == {"/", "/pricing/", "/blog/", "/accounts/login/"}
    assert _meta(page, "robots") == "noindex"


def test_the_404_page_sends_members_back_to_their_dashboard(client, people):
    client.force_login(people.member)

    page = _soup(client.get("/no-such-page/"))

    assert page.find("a", string="Go to your dashboard")["href"] == "/app/"


def test_the_landing_page_promises_only_what_the_product_does_today(client, blog):
    """No extension or dataset builder until they ship: the pages say what works now (video does)."""
    page = _soup(client.get("/"))
    text = page.get_text(" ", strip=True)

    headings = [h.get_text(strip=True) for h in page.select("h1, h2, h3")]
    assert "Chrome extension" not in headings
    for claim in ("Chrome extension", "face and body set"):
        assert claim not in text
    assert {"Edit", "Likeness scores", "Prompt writer", "Video"} <= set(headings)
    assert "reference video" in text
