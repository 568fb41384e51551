from datetime import date

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree

from blog import models
from blog.tests.factories import image_create, post_create
from core.tests.pages import text_of

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def _feed_links(client) -> list[str]:
    response = client.get("/blog/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return [item.findtext("link") for item in ElementTree.fromstring(response.content).iter("item")]


def _sitemap_locations(client) -> list[str]:
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    return [loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)]


def test_a_published_post_appears_in_the_index_the_feed_and_the_sitemap(client, blog_index):
    post = post_create(blog_index, title="Lighting a character for night scenes", tags=("Lighting",))

    response = client.get(post.url)
    assert response.status_code == 200
    assert _soup(response).h1.get_text() == "Lighting a character for night scenes"

    index = _soup(client.get("/blog/"))
    assert "/blog/lighting-a-character-for-night-scenes/" in [a["href"] for a in index.select(".post-card h3 a")]
    assert "http://testserver/blog/lighting-a-character-for-night-scenes/" in _feed_links(client)
    assert "http://testserver/blog/lighting-a-character-for-night-scenes/" in _sitemap_locations(client)


def test_a_draft_is_nowhere_public(client, blog_index):
    post_create(blog_index, title="Unfinished thoughts", live=False)

    assert client.get("/blog/unfinished-thoughts/").status_code == 404
    assert "Unfinished thoughts" not in text_of(client.get("/blog/"))
    assert not [link for link in _feed_links(client) if "unfinished-thoughts" in link]
    assert not [loc for loc in _sitemap_locations(client) if "unfinished-thoughts" in loc]


def test_the_index_lists_posts_newest_first_and_filters_them_by_tag(client, blog):
    titles = [a.get_text() for a in _soup(client.get("/blog/")).select(".post-card h3 a")]
    assert titles == [
        "From one photo to an animated clip",
        "Keeping a character consistent across 1,000 images",
        "How many photos to train a face LoRA, and which",
    ]

    page = _soup(client.get("/blog/?tag=video"))

    assert [a.get_text() for a in page.select(".post-card h3 a")] == ["From one photo to an animated clip"]
    assert page.h1.get_text(strip=True) == "Posts tagged “Video”"
    assert page.select_one('.tag-filter a[aria-current="page"]').get_text(" ", strip=True) == "Video 1"
    assert page.select_one('link[rel="canonical"]')["href"] == "http://testserver/blog/?tag=video"


def test_it_says_so_when_no_post_has_a_tag(client, blog_index):
    response = client.get("/blog/?tag=holography")

    assert response.status_code == 200
    assert "No posts are tagged “holography”" in text_of(response)
    assert not _soup(response).select(".post-card")


def test_it_paginates_the_index(client, blog, monkeypatch):
    monkeypatch.setattr(models, "POSTS_PER_PAGE", 2)

    first = _soup(client.get("/blog/"))
    second = _soup(client.get("/blog/?page=2"))

    assert len(first.select(".post-card")) == 2
    assert first.select_one('a[rel="next"]')["href"] == "?page=2"
    assert [a.get_text() for a in second.select(".post-card h3 a")] == [
        "How many photos to train a face LoRA, and which"
    ]
    assert second.select_one('a[rel="prev"]')["href"] == "?page=1"
    assert second.select_one('link[rel="canonical"]')["href"] == "http://testserver/blog/?page=2"
    assert "Page 2 of 2" in second.get_text()


def test_a_launch_post_reads_like_an_article(client, blog):
    page = _soup(client.get("/blog/from-one-photo-to-an-animated-clip/"))

    byline = page.select_one(".post-byline").get_text(" ", strip=True)
    assert "By The Personae team" in byline
    assert "18 November 2026" in byline
    assert "min read" in byline
    assert [a.get_text() for a in page.select(".post-tags a")] == ["Guides", "Video", "Wizard"]
    assert page.select_one('.post-tags a[href="/blog/?tag=video"]')
    assert len(page.select("section .post-card")) == 2  # related posts
    # The body's blocks: headings with anchors, a figure, code and a callout.
    assert page.find("h2", id="5-image-to-video").get_text() == "5. Image to video"
    assert "slow push-in" in page.select_one("pre.code-block code").get_text()
    assert page.select_one(".callout-title").get_text() == "What a first clip costs"
    figure = page.select_one("figure.post-figure")
    assert figure.img["loading"] == "lazy"
    assert figure.img["width"]
    assert figure.img["height"]
    assert figure.img["alt"].startswith("Five tiles on a line")
    assert "face model" in figure.figcaption.get_text()
    hero = page.select_one(".post-hero img")
    assert hero["fetchpriority"] == "high"  # the largest thing above the fold loads first
    assert hero["width"]
    assert hero["height"]
    assert "800w" in hero["srcset"]
    assert "1600w" in hero["srcset"]
    # Without promote fields, the link preview uses the lead and the hero image.
    assert page.select_one('meta[property="og:description"]')["content"].startswith("You don't need a photo shoot")
    assert "photo-to-clip" in page.select_one('meta[property="og:image"]')["content"]


def test_reading_time_follows_the_length_of_the_text(blog_index):
    words = " ".join(["word"] * 700)
    long_post = post_create(blog_index, title="A long read", body=[{"type": "paragraph", "value": f"<p>{words}</p>"}])
    short_post = post_create(blog_index, title="A short note")

    assert long_post.reading_minutes == 4  # 700 words of body plus the lead, at 230 a minute
    assert short_post.reading_minutes == 1


def test_related_posts_share_tags_first(blog_index):
    post = post_create(blog_index, title="Animating a dance", tags=("Video", "Guides"))
    post_create(blog_index, title="Newest, unrelated", tags=("News",), published_on=date(2026, 11, 30))
    post_create(blog_index, title="One shared tag", tags=("Guides",), published_on=date(2026, 11, 1))
    post_create(blog_index, title="Two shared tags", tags=("Video", "Guides"), published_on=date(2026, 10, 1))

    related = [p.title for p in post.related_posts()]

    assert related == ["Two shared tags", "One shared tag", "Newest, unrelated"]


def test_the_social_card_uses_the_promote_fields_when_set(client, blog_index):
    post = post_create(blog_index, title="Colour grading a whole pack")
    image = image_create()
    post.seo_title = "Grade a pack in one go"
    post.search_description = "One look across fifty images."
    post.social_image = image
    post.save_revision().publish()

    page = _soup(client.get(post.url))

    assert page.title.get_text() == "Grade a pack in one go · Personae"
    assert page.select_one('meta[property="og:title"]')["content"] == "Grade a pack in one go"
    assert page.select_one('meta[name="description"]')["content"] == "One look across fifty images."
    assert page.select_one('meta[property="og:type"]')["content"] == "article"
    og_image = page.select_one('meta[property="og:image"]')["content"]
    assert og_image.startswith("http://testserver/blog/images/")
    assert "/fill-1200x630%7Cformat-jpeg/" in og_image
    response = client.get(og_image.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


def test_blog_images_are_served_only_through_signed_urls(client, blog_index):
    post = post_create(blog_index)
    post.hero_image = image_create()
    post.save_revision().publish()
    hero = _soup(client.get(post.url)).select_one(".post-hero img")

    response = client.get(hero["src"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "public" in response["Cache-Control"]

    signature, rest = hero["src"].removeprefix("/blog/images/").split("/", 1)
    assert client.get(f"/blog/images/{signature[:-2]}xx/{rest}").status_code == 403


def test_editors_can_preview_a_draft(blog_index):
    post = post_create(blog_index, title="Coming together", live=False)

    response = post.make_preview_request()

    assert response.status_code == 200
    assert "Coming together" in response.content.decode()


@pytest.fixture
def editor(db):
    from tests.factories import UserFactory

    return UserFactory(email="editor@personae.local", is_staff=True, is_superuser=True)


def test_staff_edit_the_blog_in_the_cms(client, blog_index, editor):
    post = post_create(blog_index, tags=("Lighting",))
    image = image_create()
    client.force_login(editor)

    for path in [
        "/cms/",
        f"/cms/pages/{blog_index.pk}/",
        f"/cms/pages/add/blog/blogpostpage/{blog_index.pk}/",
        f"/cms/pages/{post.pk}/edit/",
        f"/cms/pages/{post.pk}/history/",
        "/cms/images/",
        f"/cms/images/{image.pk}/",
        "/cms/account/",
        "/cms/sites/",
    ]:
        assert client.get(path).status_code == 200, path
    # Documents are installed for the editor's scripts only; there's nowhere public to serve them.
    assert "Documents" not in client.get("/cms/").content.decode()


def test_editors_who_are_not_superusers_can_write_posts_with_images(client, blog_index):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    writer = UserFactory(is_staff=True)
    Group.objects.get(name="Editors").user_set.add(writer)
    post = post_create(blog_index)
    image_create()
    client.force_login(writer)

    assert client.get(f"/cms/pages/{post.pk}/edit/").status_code == 200
    assert client.get("/cms/images/").status_code == 200
    assert client.get("/cms/images/chooser/").status_code == 200
    assert "Illustration: a 30-photo training set" in client.get("/cms/images/").content.decode()


def test_the_cms_sends_visitors_to_the_app_login(client, db):
    response = client.get("/cms/")

    assert response["Location"] == "/accounts/login/?next=/cms/"


def test_signed_in_members_without_cms_access_are_turned_away(client, people):
    client.force_login(people.owner)

    response = client.get("/cms/", follow=True)

    assert response.status_code == 403
    assert "The blog editor is for Personae staff" in text_of(response)


def test_the_cms_login_address_continues_to_the_editor_once_signed_in(client, editor):
    client.force_login(editor)

    assert client.get("/cms/login/?next=/cms/pages/")["Location"] == "/cms/pages/"
    assert client.get("/cms/login/?next=https://elsewhere.example/")["Location"] == "/cms/"
