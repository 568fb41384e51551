"""Every URL needs a login, except the ones listed here on purpose.

The walk covers every pattern the resolver knows (allauth and the admin included), so a new view
that forgets to require a login fails this test until it is added to PUBLIC with a reason.
"""

import re
import uuid
from urllib.parse import quote

import pytest
from django.urls import URLResolver, get_resolver, resolve

from assets import storage
from assets.tests.factories import AssetFactory

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
CMS_LOGIN = "/cms/login/"  # Wagtail's; it needs a login itself and forwards to LOGIN

# name → what an anonymous GET gets. Keep the reason next to each.
PUBLIC = {
    "marketing:landing": 200,  # the home page
    # The rest of the marketing site: pricing, legal pages, sitemap, robots.txt.
    "marketing:pricing": 200,
    "marketing:terms": 200,
    "marketing:privacy": 200,
    "marketing:acceptable_use": 200,
    "marketing:cookies": 200,
    "marketing:sitemap": 200,
    "marketing:robots_txt": 200,
    # The blog: Wagtail serves /blog/… from its page tree (the URL walk's /blog/ is Wagtail's
    # placeholder page; seed_site replaces it), and blog images through signed URLs ('x' isn't one).
    "wagtail_serve": 200,
    "wagtailimages_serve": 403,
    "healthz": 200,  # load balancers probe it without a session
    "csp_report": 405,  # browsers POST policy violations without a session (GET: 405)
    # AI providers: webhooks are verified by signature, not session (POST only; a GET is 405),
    # and inputs are fetched by signed URL ('x' isn't one).
    "providers:webhook": 405,
    "media_provider": 404,
    "media_api": 404,  # the JSON API's clients have a key, no session: signed URLs too
    # The JSON API answers 401 itself (no redirect to a login page); its schema and docs are public.
    "api:openapi-json": 200,
    "api:openapi-view": 200,
    "api:job_status": 401,  # …and the rest: only an API key (Bearer) gets in, never a session
    "api:generation_status": 401,
    "api:generation_create": 405,  # POST only; an anonymous POST gets 401 (generation/tests/test_api_generations.py)
    "api:generation_cancel": 405,  # POST only, likewise
    "api:api-root": 404,  # django-ninja's placeholder for the prefix
    # Every other endpoint: 401 without an API key (GET), 405 where only POST/PUT is served.
    # Paths with several methods have one name per method (docs/api.md lists them).
    "api:asset_list": 401,
    "api:asset_upload": 401,
    "api:asset_get": 401,
    "api:asset_update": 401,
    "api:asset_delete": 401,
    "api:upload_start": 405,
    "api:upload_data": 405,
    "api:upload_complete": 405,
    "api:upload_status": 401,
    "api:collection_list": 401,
    "api:collection_create": 401,
    "api:collection_get": 401,
    "api:collection_delete": 401,
    "api:character_list": 401,
    "api:character_create": 401,
    "api:character_get": 401,
    "api:character_update": 401,
    "api:training_status": 401,
    "api:training_start": 401,
    "api:training_cancel": 405,
    "api:video_create": 405,
    "api:video_status": 401,
    "api:video_cancel": 405,
    "api:import_create": 405,
    "api:import_status": 401,
    "api:style_create": 405,
    "api:whoami": 401,
    "api:disconnect": 405,
    "api:job_cancel": 405,
    "api:edit_upscale": 405,
    "api:balance": 401,
    "api:history": 401,
    "orgs:invitation": 404,  # the emailed link; 'x' is not a real token
    # Stripe's webhooks (dj-stripe) are verified by signature; no Stripe-Signature header is a 400.
    "djstripe:djstripe_webhook_by_uuid": 405,
    # The local test-mode Stripe (no STRIPE_SECRET_KEY): its API wants the secret key (401), and its
    # checkout, portal and invoice pages are reached by unguessable ids, like Stripe's ('x' isn't one).
    "stripe_local:api": 401,
    "stripe_local:checkout": 404,
    "stripe_local:portal": 404,
    "stripe_local:invoice": 404,
    # Its Express onboarding page, like Stripe's hosted one, is reached by the account link's id.
    "stripe_local:connect_onboarding": 404,
    "admin:login": 200,
    # allauth's own screens: the middleware exempts /accounts/, so each is listed here.
    "account_login": 200,
    "account_signup": 200,
    "account_logout": 302,  # nobody to log out; back to the home page
    "account_inactive": 200,
    "account_email_verification_sent": 200,
    "account_confirm_email": 200,  # explains that the link doesn't work
    "account_confirm_login_code": 302,  # no login in progress: back to the login page
    "account_reset_password": 200,
    "account_reset_password_done": 200,
    "account_reset_password_from_key": 200,  # explains that the link doesn't work
    "account_reset_password_from_key_done": 200,
    # The development inbox: mounted only when DEBUG is on (never in tests), and 404 without it.
    "dev_mailbox": 404,
    "dev_mail": 404,
    "dev_mail_html": 404,
}
DEBUG_ONLY = {"dev_mailbox", "dev_mail", "dev_mail_html"}


def _patterns(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from _patterns(pattern, prefix + str(pattern.pattern), ns)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name


PATTERNS = list(_patterns())

# Dummy values for regex groups, by group name.
REGEX_ARGS = {
    "app_label": "orgs",
    "uidb36": "1",
    "key": "x",
    "url": "x",
    "path": "",
    "pk": "1",
    "revision_id_a": "earliest",
    "revision_id_b": "latest",
}


def _url_for(route: str, org_slug: str) -> str:
    def route_arg(match):
        converter, name = match.group(1) or "str", match.group(2)
        if name == "org_slug":
            return org_slug
        if name == "section":
            return "video"
        return {"slug": org_slug, "uuid": str(uuid.uuid4()), "int": "1", "path": "1"}.get(converter, "x")

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: REGEX_ARGS[m.group(1)], route)
    url = re.sub(r"<(?:(\w+):)?(\w+)>", route_arg, url)
    url = re.sub(r"\\(.)", r"\1", url)  # regex escapes such as \. in Wagtail's revision URLs
    return "/" + url.replace("^", "").replace("$", "")


def _is_login_redirect(response, url):
    if response.status_code != 302:
        return False
    location = response["Location"]
    next_param = f"?next={quote(url, safe='/')}"
    return location in (LOGIN + next_param, ADMIN_LOGIN + next_param, CMS_LOGIN + next_param)


def test_the_public_list_names_only_real_urls():
    assert set(PUBLIC) - DEBUG_ONLY <= {name for _, name in PATTERNS}


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[f"{name}={route}" for route, name in PATTERNS])
def test_it_requires_a_login(client, org, route, name):
    url = _url_for(route, org.slug)
    # ResolverMatch.route drops the ^ of included regexes.
    assert resolve(url).route == route.replace("^", ""), f"the dummy URL {url} resolved to another pattern"

    response = client.get(url)

    if name in PUBLIC:
        assert response.status_code == PUBLIC[name]
        if response.status_code == 302:
            assert not response["Location"].startswith(("/app/", "/o/", "/admin/"))
        return
    assert _is_login_redirect(response, url), f"anonymous GET {url} → {response.status_code}"
    # POST-only views must turn strangers away before they look at the request.
    assert _is_login_redirect(client.post(url), url), f"anonymous POST {url} was not sent to log in"


def test_the_walk_covers_the_library_and_its_signed_media():
    names = {name for _, name in PATTERNS}
    assert "media_serve" in names
    assert {"assets:library", "assets:upload_data", "assets:download", "assets:export_download"} <= names


def test_the_walk_covers_the_credit_history():
    assert "billing:credits" in {name for _, name in PATTERNS}


def test_a_valid_signed_media_link_still_needs_a_login(client, org, settings, tmp_path):
    # The token says which file and which org; it is not a bearer credential.
    settings.MEDIA_ROOT = str(tmp_path)
    asset = AssetFactory(org=org)
    url = storage.signed_url(org, asset.original_key, download_name="beach.jpg")

    response = client.get(url)

    assert _is_login_redirect(response, url)
    assert "Content-Disposition" not in response
