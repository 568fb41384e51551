"""Set up the blog and its launch posts. Safe to run any number of times: it creates what is
missing and never touches a page or image that already exists (editors own them after that)."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site

from blog.illustrations import artwork_png
from blog.launch_posts import LAUNCH_POSTS, Artwork
from blog.models import BlogImage, BlogIndexPage, BlogPostPage

INDEX_INTRO = (
    "<p>Guides from the Personae team on training face models, keeping characters consistent "
    "and turning images into video.</p>"
)


class Command(BaseCommand):
    help = "Create the blog (served at /blog/) and its launch posts with their illustrations (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        index = blog_index_ensure()
        created = 0
        for post in LAUNCH_POSTS:
            if BlogPostPage.objects.filter(slug=post.slug).exists():
                continue
            page = BlogPostPage(
                title=post.title,
                slug=post.slug,
                lead=post.lead,
                date=post.date,
                hero_image=image_ensure(post.hero),
                body=[_with_image_ids(block) for block in post.body],
            )
            page.tags.add(*post.tags)
            index.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Blog ready at {settings.SITE_URL}{index.url}: {created} post(s) created, "
                f"{BlogPostPage.objects.live().count()} live. Editors write at {settings.SITE_URL}/cms/."
            )
        )


def blog_index_ensure() -> BlogIndexPage:
    """The blog index as the root of the default Wagtail site (so it is served at /blog/), with the
    site's address taken from SITE_URL. Wagtail's placeholder welcome page is removed."""
    index = BlogIndexPage.objects.first()
    if index is None:
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=_locale()))
        index = root.add_child(instance=BlogIndexPage(title="Blog", slug="blog", intro=INDEX_INTRO, locale=_locale()))
        index.save_revision().publish()

    address = urlsplit(settings.SITE_URL)
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    previous_root = site.root_page if site.pk else None
    site.hostname = address.hostname or "localhost"
    site.port = address.port or (443 if address.scheme == "https" else 80)
    site.site_name = settings.SITE_NAME
    site.root_page = index
    site.save()
    if previous_root and previous_root.pk != index.pk and _is_placeholder(previous_root):
        previous_root.delete()
    return index


def image_ensure(artwork: Artwork) -> BlogImage:
    """The artwork as a Wagtail image, rendered on first use; its description is the alt text."""
    image = BlogImage.objects.filter(title=artwork.title).first()
    if image is None:
        # Images live in Wagtail's root collection, which its migrations create (and a flushed test
        # database lacks).
        Collection.get_first_root_node() or Collection.add_root(name="Root")
        image = BlogImage(title=artwork.title, description=artwork.alt)
        image.file = ImageFile(BytesIO(artwork_png(artwork.name)), name=f"{artwork.name}.png")
        image.save()
    return image


def _with_image_ids(block: dict) -> dict:
    if block["type"] != "figure":
        return block
    artwork = block["value"]["artwork"]
    image = image_ensure(artwork)
    return {
        "type": "figure",
        "value": {
            "image": {"image": image.pk, "decorative": False, "alt_text": artwork.alt},
            "caption": block["value"]["caption"],
        },
    }


def _locale() -> Locale:
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    return Locale.objects.get_or_create(language_code=language)[0]


def _is_placeholder(page: Page) -> bool:
    """Wagtail's "Welcome to your new Wagtail site!" page: a bare Page with nothing under it."""
    return page.specific_class is Page and page.depth == 2 and not page.get_children().exists()
