"""Content-Security-Policy (django-csp): one strict policy for the site, a looser one for the two
admins, the nonce in templates, and the endpoint browsers report violations to.

The site's policy (settings ``CONTENT_SECURITY_POLICY``) allows scripts only from our own origin or
with the request's nonce, ``<style>`` elements only from our origin or with the nonce, and no
plugins, no foreign frames, no ``<base>``; ``style=""`` attributes stay allowed (progress bars and
aspect ratios are computed in templates, and an attribute can't run script). Django's admin and
Wagtail's editor ship inline scripts and styles of their own, so the paths in
``ADMIN_PATH_PREFIXES`` get ``CONTENT_SECURITY_POLICY_ADMIN``: the same origins, with
'unsafe-inline' for those two only. docs/configuration.md#content-security-policy.
"""

from __future__ import annotations

import json
import logging

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("personae.csp")

REPORT_MAX_BYTES = 16 * 1024
_REPORT_FIELDS = (
    "document-uri",
    "violated-directive",
    "effective-directive",
    "blocked-uri",
    "source-file",
    "line-number",
)


class PolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admins' policy chosen by path."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and request.path_info.startswith(settings.ADMIN_PATH_PREFIXES):
            parts.config = default_config(settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"])
        return parts


def nonce(request: HttpRequest) -> dict:
    """``csp_nonce`` in templates (the name django-htmx's ``{% htmx_script %}`` reads). Lazy: a
    page that never uses it sends no nonce in its header."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


@csrf_exempt
@login_not_required
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    """Browsers POST what the policy blocked here (``report-uri``); each report is logged as a
    warning on the ``personae.csp`` logger, so a page that breaks under the policy shows up."""
    body = request.read(REPORT_MAX_BYTES + 1)
    if len(body) > REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return HttpResponse(status=400)
    reports = payload if isinstance(payload, list) else [payload]
    for item in reports:
        if not isinstance(item, dict):
            continue
        fields = item.get("csp-report") or item.get("body") or {}
        if not isinstance(fields, dict):
            continue
        summary = {key: str(fields.get(key) or fields.get(_camel(key)) or "")[:300] for key in _REPORT_FIELDS}
        logger.warning("CSP violation: %s", json.dumps(summary, sort_keys=True))
    return HttpResponse(status=204)


def _camel(key: str) -> str:
    """The Reporting API's field names (``blockedURL``…) for the legacy ones (``blocked-uri``…)."""
    return {
        "document-uri": "documentURL",
        "blocked-uri": "blockedURL",
        "source-file": "sourceFile",
        "line-number": "lineNumber",
        "effective-directive": "effectiveDirective",
        "violated-directive": "effectiveDirective",
    }[key]
