"""A crawler: every link on the landing, pricing, legal and blog pages goes somewhere real."""

from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from blog.launch_posts import LAUNCH_POSTS

START_PAGES = [
    "/",
    "/pricing/",
    "/blog/",
    *(f"/blog/{post.slug}/" for post in LAUNCH_POSTS),
    "/terms/",
    "/privacy/",
    "/acceptable-use/",
    "/cookies/",
]


class Crawler:
    def __init__(self, client):
        self.client = client
        self.pages: dict[str, BeautifulSoup | None] = {}

    def fetch(self, url: str) -> BeautifulSoup | None:
        """The page at ``url`` (None for a non-HTML answer such as the feed); it must be a 200."""
        if url not in self.pages:
            # Redirects are followed: the landing's feature links go through login to the app.
            response = self.client.get(url, follow=True)
            assert response.status_code == 200, f"{url} → {response.status_code}"
            is_html = response["Content-Type"].startswith("text/html")
            self.pages[url] = BeautifulSoup(response.content, "html.parser") if is_html else None
        return self.pages[url]


def test_every_link_and_anchor_on_the_public_pages_resolves(client, blog):
    crawler = Crawler(client)
    checked = 0
    for start in START_PAGES:
        page = crawler.fetch(start)
        for link in page.select("a[href]"):
            href = link["href"]
            if href.startswith("mailto:"):
                continue
            assert href.startswith(("/", "#", "?")), f"{start} links off-site or relatively: {href}"
            if href.startswith("#"):
                url, fragment = start, href[1:]
            else:
                url, _, fragment = (urlsplit(start).path + href if href.startswith("?") else href).partition("#")
            target = crawler.fetch(url)
            if fragment:
                assert target is not None, f"{start}: {href} isn't a page"
                assert target.find(id=fragment), f"{start}: {href} has no #{fragment}"
            checked += 1
    assert checked > 150  # the crawl really ran over the navigation, footer and content


def test_no_page_promises_something_for_later(client, blog):
    for path in START_PAGES:
        text = client.get(path).content.decode().lower()
        assert "coming soon" not in text, path
        assert "lorem ipsum" not in text, path
