import html

from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeData


def plain_text(message: str) -> str:
    """A refusal's words without markup (a ``LimitReached`` link), for a JSON answer."""
    return html.unescape(strip_tags(message)) if isinstance(message, SafeData) else message


class DomainError(Exception):
    """A rule a user broke, with a message written for them. Views show it on the page."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def text(self) -> str:
        """The message without markup, for JSON answers and stored errors."""
        return self.message


class LimitReached(DomainError):
    """A plan limit: creating one more would go past what the organisation's plan includes.

    ``message`` is safe HTML with ``link_text`` linking to ``url`` (the plan page), so a page shows
    the way to upgrade right where it says no; ``text`` is the same words without the link.
    ``text`` contains ``link_text`` once, where the link goes."""

    def __init__(self, text: str, *, url: str, link_text: str = "Upgrade", field: str | None = None):
        before, found, after = text.partition(link_text)
        message = format_html('{}<a href="{}">{}</a>{}', before, url, link_text, after) if found and url else text
        super().__init__(message, field=field)
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def __str__(self) -> str:
        return self._text
