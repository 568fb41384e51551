"""Blog posts for tests. Wagtail pages are created in the page tree, so this is a function that
adds a child to the index rather than a factory_boy factory."""

from datetime import date

from django.utils.text import slugify

from blog.launch_posts import DATASET_TILES
from blog.management.commands.seed_site import image_ensure
from blog.models import BlogImage, BlogIndexPage, BlogPostPage


def image_create() -> BlogImage:
    """A real image (one of the launch artworks), as an editor would upload it."""
    return image_ensure(DATASET_TILES)


def post_create(
    index: BlogIndexPage,
    *,
    title: str = "Lighting a character for night scenes",
    lead: str = "Neon, rim light and how the face stays readable.",
    tags: tuple[str, ...] = (),
    published_on: date | None = None,
    body: list[dict] | None = None,
    live: bool = True,
) -> BlogPostPage:
    """A post under ``index``, published through a revision like the editor does (or a draft)."""
    post = BlogPostPage(
        title=title,
        slug=slugify(title),
        lead=lead,
        date=published_on or date(2026, 11, 20),
        body=body or [{"type": "paragraph", "value": "<p>Keep the key light on the face.</p>"}],
        live=False,
    )
    post.tags.add(*tags)
    index.add_child(instance=post)
    revision = post.save_revision()
    if live:
        revision.publish()
    post.refresh_from_db()
    return post
