"""The blog, edited in Wagtail: one index page (the site root, served at /blog/) and its posts.

Images use a custom Wagtail image model whose renditions are served through Wagtail's signed
image view (``blog/urls.py``) rather than straight from storage: the default storage is private
(uploads in the library are only reachable through short-lived signed URLs), but blog images are
public, cacheable content.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images.models import AbstractImage, AbstractRendition, Image
from wagtail.models import Page
from wagtail.search import index

from blog.blocks import BodyBlock
from core.seo import PageMeta

WORDS_PER_MINUTE = 230
POSTS_PER_PAGE = 9
# Link previews want 1200×630, in a format every network reads (pages themselves use WebP).
SOCIAL_IMAGE_SPEC = "fill-1200x630|format-jpeg"
INDEX_DESCRIPTION = (
    "Guides from the Personae team on training face LoRAs, keeping AI characters consistent "
    "and turning images into video."
)


class BlogImage(AbstractImage):
    admin_form_fields = Image.admin_form_fields

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"
        permissions = [("choose_image", "Can choose image")]


class BlogRendition(AbstractRendition):
    image = models.ForeignKey(BlogImage, related_name="renditions", on_delete=models.CASCADE)

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)

    @property
    def url(self) -> str:
        # Through the app (signed, cacheable), never a direct or expiring storage URL. Imported
        # here: the serve view module loads the image model, so it can't load with this one.
        from wagtail.images.views.serve import generate_image_url

        return generate_image_url(self.image, self.filter_spec)


class BlogIndexPage(RoutablePageMixin, Page):
    """The list of posts, newest first, filterable by tag (``?tag=<slug>``), with an RSS feed."""

    intro = RichTextField(features=["bold", "italic", "link"], blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["blog.BlogPostPage"]
    max_count = 1
    page_description = "The blog's front page: lists the posts and serves the RSS feed."

    def posts(self):
        return (
            BlogPostPage.objects.live()
            .public()
            .descendant_of(self)
            .select_related("hero_image")
            .prefetch_related("tags")
            .order_by("-date", "-first_published_at")
        )

    def tags_in_use(self):
        return (
            Tag.objects.filter(
                blog_blogposttag_items__content_object__in=self.posts().values("pk"),
            )
            .annotate(post_count=Count("blog_blogposttag_items"))
            .order_by("name")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        tag_slug = request.GET.get("tag", "")
        tag = Tag.objects.filter(slug=tag_slug).first() if tag_slug else None
        posts = self.posts()
        if tag_slug:
            posts = posts.filter(tags=tag) if tag else posts.none()
        page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
        # The canonical URL keeps what changes the content (tag, page) and drops anything else.
        query = urlencode({k: v for k, v in [("tag", tag.slug if tag else ""), ("page", page.number)] if v and v != 1})
        context.update(
            posts=page,
            tag=tag,
            unknown_tag=tag_slug if tag_slug and not tag else "",
            tags=self.tags_in_use(),
            meta=PageMeta(
                title=f"Posts tagged “{tag.name}”" if tag else self.seo_title or self.title,
                description=self.search_description or INDEX_DESCRIPTION,
                path=(self.get_url(request) or "/blog/") + (f"?{query}" if query else ""),
            ),
        )
        return context

    @path("feed/", name="feed")
    def feed(self, request):
        from blog.feeds import BlogFeed

        return BlogFeed(self)(request)


class BlogPostTag(TaggedItemBase):
    content_object = ParentalKey("blog.BlogPostPage", related_name="tagged_items", on_delete=models.CASCADE)


class BlogPostPage(Page):
    lead = models.TextField(
        max_length=300,
        help_text="One or two sentences under the title. Also the search and social description unless the Promote tab sets one.",
    )
    date = models.DateField("published on", default=date.today)
    author = models.CharField(max_length=100, default="The Personae team")
    hero_image = models.ForeignKey(
        BlogImage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown under the title and in post lists. Its description is the alt text.",
    )
    social_image = models.ForeignKey(
        BlogImage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For link previews (cropped to 1200×630). Empty: the hero image is used.",
    )
    body = StreamField(BodyBlock())
    tags = ClusterTaggableManager(through=BlogPostTag, blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("lead"),
        MultiFieldPanel([FieldPanel("date"), FieldPanel("author"), FieldPanel("tags")], heading="Byline"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
    ]
    promote_panels = [*Page.promote_panels, FieldPanel("social_image")]
    search_fields = [*Page.search_fields, index.SearchField("lead"), index.SearchField("body")]
    parent_page_types = ["blog.BlogIndexPage"]
    subpage_types: list[str] = []
    page_description = "An article: title, lead, hero image and a body of headings, text, figures and code."

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the lead and body at an unhurried pace; at least one."""
        texts = [self.lead, *self.body.stream_block.get_searchable_content(self.body)]
        words = sum(len(text.split()) for text in texts)
        return max(1, math.ceil(words / WORDS_PER_MINUTE))

    @property
    def published_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, time(9)))

    def related_posts(self, limit: int = 3):
        """Other live posts, those sharing the most tags first, then the newest."""
        tag_ids = list(self.tags.values_list("pk", flat=True))
        return list(
            BlogPostPage.objects.live()
            .public()
            .exclude(pk=self.pk)
            .select_related("hero_image")
            .annotate(shared_tags=Count("tagged_items", filter=Q(tagged_items__tag_id__in=tag_ids), distinct=True))
            .order_by("-shared_tags", "-date", "-pk")[:limit]
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        image = self.social_image or self.hero_image
        context.update(
            related_posts=self.related_posts(),
            blog_index=self.get_parent().specific,
            meta=PageMeta(
                title=self.seo_title or self.title,
                description=self.search_description or self.lead,
                path=self.get_url(request) or "/blog/",
                type="article",
                published=self.published_at,
                modified=self.last_published_at,
                **(
                    {"image": image.get_rendition(SOCIAL_IMAGE_SPEC).url, "image_alt": image.default_alt_text}
                    if image
                    else {}
                ),
            ),
        )
        return context
