"""sitemap.xml: the marketing pages, the legal pages and the blog. Locations are absolute on
SITE_URL, like the canonical links, whatever host the request came in on."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from blog.models import BlogIndexPage, BlogPostPage
from marketing.legal import LEGAL_DOCUMENTS


class SiteUrlSitemap(Sitemap):
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class MarketingSitemap(SiteUrlSitemap):
    def items(self):
        return ["marketing:landing", "marketing:pricing", *(f"marketing:{name}" for name in LEGAL_DOCUMENTS)]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        document = LEGAL_DOCUMENTS.get(item.removeprefix("marketing:"))
        return document.updated if document else None

    def priority(self, item):
        return {"marketing:landing": 1.0, "marketing:pricing": 0.9}.get(item, 0.3)


class BlogSitemap(SiteUrlSitemap):
    def items(self):
        pages = [
            *BlogIndexPage.objects.live().public(),
            *BlogPostPage.objects.live().public().order_by("-date", "-first_published_at"),
        ]
        return [page for page in pages if page.get_url_parts()]

    def location(self, page):
        return page.get_url_parts()[2]

    def lastmod(self, page):
        return page.last_published_at


SITEMAPS: dict[str, type[Sitemap] | Sitemap] = {"pages": MarketingSitemap, "blog": BlogSitemap}
