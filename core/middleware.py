from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import Http404
from django.template.loader import render_to_string

from core.network import client_ip, ip_in_networks

# Third-party views that can't carry @login_not_required.
# /api/ answers 401 itself (django-ninja auth), rather than redirecting to the login page.
PUBLIC_PREFIXES = ("/accounts/", "/static/", "/__debug__/", "/api/")


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's fail-closed login requirement, with the auth screens themselves exempt."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(PUBLIC_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class HtmxMessagesMiddleware:
    """Deliver Django messages with HTMX responses as an out-of-band swap of #messages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False):
            return response
        if response.status_code in (301, 302) or "HX-Redirect" in response or "HX-Location" in response:
            return response
        if "text/html" not in response.get("Content-Type", ""):
            return response
        pending = list(messages.get_messages(request))
        if pending:
            response.write(render_to_string("includes/messages.html", {"messages": pending, "oob": True}))
        response.headers["Vary"] = ", ".join(filter(None, [response.get("Vary"), "HX-Request"]))
        return response


class AdminAllowListMiddleware:
    """With ``ADMIN_ALLOWED_CIDRS`` set, the support admin and the CMS answer 404 to every client
    outside those networks, as if they didn't exist (the client address from core/network.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        networks = settings.ADMIN_ALLOWED_CIDRS
        if (
            networks
            and request.path_info.startswith(settings.ADMIN_PATH_PREFIXES)
            and not ip_in_networks(client_ip(request), networks)
        ):
            raise Http404("Not found")
        return self.get_response(request)
