"""Keep the top bar's credits pill true after HTMX work that moves credits."""

from django.template.loader import render_to_string

from billing.templatetags.credits import credits_pill


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
        context = credits_pill({"request": request}, oob=True)
        response.write(render_to_string("billing/includes/credits_pill.html", context, request))
        return response
