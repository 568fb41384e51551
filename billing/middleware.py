"""Keep the top bar's credits pill true after HTMX work that moves credits."""

from functools import cache

from django.template import engines


@cache
def _oob_pill():
    """The layout's own ``{% credits_pill %}`` tag, marked for an out-of-band swap."""
    return engines["django"].from_string("{% load credits %}{% credits_pill oob=True %}")


class HtmxCreditsPillMiddleware:
    """Append the credits pill as an out-of-band swap to the HTMX responses that can follow a
    change in credits: a POST that stayed on the page (cancel, retry, …) and the last answer of a
    polled panel (286: a pack, an edit or a training run has settled and captured or released its
    hold). Ordinary polls and full-page (boosted) loads are left alone, so the pill costs one
    query only when something may have changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.boosted or getattr(request, "org", None) is None:
            return response
        if not (response.status_code == 286 or (request.method == "POST" and response.status_code == 200)):
            return response
        if "HX-Redirect" in response or "HX-Location" in response or "HX-Refresh" in response:
            return response
        if "text/html" not in response.get("Content-Type", "") or response.streaming:
            return response
        response.write(_oob_pill().render(request=request))
        return response
