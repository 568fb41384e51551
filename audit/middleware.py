from django.urls import NoReverseMatch, reverse

from audit import context
from audit.services import origin_from_request


class AuditContextMiddleware:
    """Remember where this request comes from for the audit entries it writes (audit/context.py)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            try:
                self.admin_prefix = reverse("admin:index")
            except NoReverseMatch:  # a URLconf without the admin (a benchmark's, a test's)
                self.admin_prefix = ""
        staff_area = bool(self.admin_prefix) and request.path.startswith(self.admin_prefix)
        token = context.set_current(origin_from_request(request, staff_area=staff_area))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
