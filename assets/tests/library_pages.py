"""Reading the library grid in tests: its address with filters, and the tiles a page shows."""

import re

from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def library_url(org, **params) -> str:
    url = reverse("assets:library", args=[org.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def tiles(response) -> list[str]:
    """The public ids of the tiles on a page, in order."""
    return re.findall(r'<li class="tile[^"]*" data-id="([0-9a-f-]+)"', response.content.decode())


def public_ids(*assets) -> list[str]:
    return [str(a.public_id) for a in assets]
