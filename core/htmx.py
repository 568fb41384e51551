"""Render a whole page, or just the partial an HTMX request targets."""

from django.http import HttpResponse
from django.shortcuts import render

from core.http import HtmxHttpRequest


def render_page(
    request: HtmxHttpRequest, template: str, context: dict | None = None, *, partials: tuple[str, ...] = (), status=200
) -> HttpResponse:
    """Render ``template``; for an HTMX request whose target is one of ``partials``, only that partial.

    A partial's name is the DOM id it replaces, so the target names the partial.
    """
    target = request.htmx.target if request.htmx else None
    if target and target in partials:
        template = f"{template}#{target}"
    return render(request, template, context or {}, status=status)
