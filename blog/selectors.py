"""Reads of published blog posts for pages outside the blog (the landing page, the sitemap)."""

from blog.models import BlogIndexPage, BlogPostPage


def posts_published():
    """Live, public posts, newest first."""
    return (
        BlogPostPage.objects.live()
        .public()
        .select_related("hero_image")
        .prefetch_related("tags")
        .order_by("-date", "-first_published_at")
    )


def posts_latest(limit: int = 3) -> list[BlogPostPage]:
    return list(posts_published()[:limit])


def post_by_slug(slug: str) -> BlogPostPage | None:
    return posts_published().filter(slug=slug).first()


def blog_index() -> BlogIndexPage | None:
    return BlogIndexPage.objects.live().public().first()
