"""One error shape for the whole API: ``{"code": …, "detail": …, "field": …}`` (docs/api.md)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from core.exceptions import DomainError

CODES = {
    400: "invalid",
    401: "unauthorized",
    402: "insufficient_credits",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}


class ErrorOut(Schema):
    code: str
    detail: str
    field: str | None = None


def error(api: NinjaAPI, request: HttpRequest, status: int, detail: str, field: str | None = None, **headers: str):
    response = api.create_response(
        request, {"code": CODES.get(status, "error"), "detail": detail, "field": field}, status=status
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def domain_status(exc: DomainError) -> int:
    """402 when the refusal is about credits (``InsufficientCredits`` carries ``needed``), else 400."""
    return 402 if getattr(exc, "needed", None) is not None or exc.field == "credits" else 400


def install(api: NinjaAPI) -> None:
    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc):
        return error(
            api,
            request,
            401,
            "Send a valid API key as “Authorization: Bearer pk_live_…”. This one is missing, revoked, expired "
            "or no longer linked to a member of the organisation.",
            WWW_Authenticate='Bearer realm="Personae API"',
        )

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return error(
            api, request, 429, "Too many requests with this key. Wait for the time in Retry-After, then retry."
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return error(api, request, exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error(api, request, 404, "Not found (or not in this key's organisation).")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return error(api, request, 403, str(exc) or "Not allowed.")

    @api.exception_handler(DomainError)
    def refused(request, exc):
        return error(api, request, domain_status(exc), exc.text, exc.field)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        first = exc.errors[0] if exc.errors else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        field = ".".join(location) or None
        message = first.get("msg", "The request isn't valid.")
        return error(api, request, 422, f"{field}: {message}" if field else message, field)
