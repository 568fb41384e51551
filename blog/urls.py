"""The public blog, mounted at /blog/ (last in config/urls.py).

Wagtail's own ``wagtail.urls`` can't carry ``@login_not_required``, and the app's login
middleware fails closed, so its two public views are routed here, marked public:

- the signed image view, which serves blog image renditions (see ``blog.models.BlogRendition``);
- the page server, which answers every other path under /blog/ from the page tree.

Wagtail's other front-end URLs (a second login form, password-protected pages) are left out
on purpose: sign-in belongs to allauth, and blog pages are public.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from wagtail import views as wagtail_views
from wagtail.images.views.serve import ServeView

serve_image = login_not_required(ServeView.as_view())

urlpatterns = [
    # Wagtail reverses this name with (signature, image id, filter spec) and appends the file
    # name, so both shapes are routed.
    path("images/<str:signature>/<int:image_id>/<str:filter_spec>/", serve_image, name="wagtailimages_serve"),
    path(
        "images/<str:signature>/<int:image_id>/<str:filter_spec>/<str:filename>",
        serve_image,
        name="wagtailimages_serve",
    ),
    # Wagtail's pattern with APPEND_SLASH semantics ("" or segments each ending in "/"),
    # written without nested groups; CommonMiddleware adds a missing trailing slash.
    re_path(r"^(?P<path>[\w\-/]*/|)$", login_not_required(wagtail_views.serve), name="wagtail_serve"),
]
