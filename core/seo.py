"""What a public page tells search engines and link previews (``templates/includes/meta.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.templatetags.static import static

DEFAULT_DESCRIPTION = (
    "Personae is the studio for consistent AI characters: train a face once, then generate, edit "
    "and organise images of it."
)
# 1200×630, the size Open Graph and Twitter cards expect; static/img/social/ holds the default.
SOCIAL_IMAGE_SIZE = (1200, 630)


@dataclass(frozen=True)
class PageMeta:
    """Title, description, canonical path and social image of one public page.

    ``path`` and ``image`` are site-relative (or ``image`` a static file name); the absolute
    forms use SITE_URL, so canonical links never depend on the host a request came in on.
    """

    title: str
    description: str = DEFAULT_DESCRIPTION
    path: str = "/"
    image: str = "img/social/personae.png"
    image_alt: str = "Personae: consistent AI characters for creators and agencies"
    type: str = "website"
    published: datetime | None = None
    modified: datetime | None = None

    @property
    def url(self) -> str:
        return settings.SITE_URL + self.path

    @property
    def image_url(self) -> str:
        if self.image.startswith(("http://", "https://")):
            return self.image
        path = self.image if self.image.startswith("/") else static(self.image)
        return settings.SITE_URL + path
