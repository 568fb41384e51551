from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.views.decorators.http import require_GET

from core.mail import stored_mail_get, stored_mail_list


def _mailbox_allowed(request) -> bool:
    # Development only: it shows every message, password-reset links included.
    return settings.DEBUG


@login_not_required
@require_GET
def dev_mailbox(request, mail_id: str | None = None):
    """Development inbox for the file mail backend: DEBUG only, never with a real provider."""
    if settings.EMAIL_PROVIDER or not _mailbox_allowed(request):
        raise Http404
    selected = stored_mail_get(mail_id) if mail_id else None
    if mail_id and selected is None:
        raise Http404
    return render(request, "core/mailbox.html", {"mails": stored_mail_list(), "selected": selected})


@login_not_required
@require_GET
def dev_mail_html(request, mail_id: str):
    if settings.EMAIL_PROVIDER or not _mailbox_allowed(request):
        raise Http404
    mail = stored_mail_get(mail_id)
    if mail is None:
        raise Http404
    # Links open in the top window, not inside the frame.
    body = mail.html or f"<pre>{escape(mail.text)}</pre>"
    response = HttpResponse(f'<base target="_top">{body}')
    # Rendered inside an iframe on our own page only.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You don't have permission to do this."
    return render(request, "403.html", {"message": message}, status=403)


@login_not_required
@require_GET
def healthz(request):
    """For load balancers: 200 when the database and Redis answer, 503 otherwise."""
    from django.core.cache import cache
    from django.db import connection

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "1", 5)
        checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no value"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503)
