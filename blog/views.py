from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest


@require_GET
def cms_login(request: AuthenticatedHttpRequest):
    """/cms/login/, in place of Wagtail's own login form: editors sign in through the app's login
    (allauth: verified, throttled), which the login middleware sends anonymous visitors to. Signed
    in, staff continue to where the editor sent them; anyone else is told the editor is staff-only
    (sending them back would loop)."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        raise PermissionDenied("The blog editor is for Personae staff who write for the blog.")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("wagtailadmin_home")
    return redirect(next_url)
