"""The blog's RSS feed (``/blog/feed/``): the newest posts, with absolute links on SITE_URL."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Rss201rev2Feed

FEED_LENGTH = 20


class BlogFeed(Feed):
    feed_type = Rss201rev2Feed
    description = "Guides and product notes from the Personae team."

    def __init__(self, index):
        super().__init__()
        self.index = index

    def title(self):
        return f"{self.index.title} · {settings.SITE_NAME}"

    def link(self):
        return settings.SITE_URL + self.index.url

    def feed_url(self):
        return settings.SITE_URL + self.index.url + self.index.reverse_subpage("feed")

    def items(self):
        return self.index.posts()[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.lead

    def item_link(self, item):
        return settings.SITE_URL + item.url

    def item_guid(self, item):
        return self.item_link(item)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_author_name(self, item):
        return item.author

    def item_categories(self, item):
        return [tag.name for tag in item.tags.all()]
