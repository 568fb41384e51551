"""The app's URLs plus a bare JSON view, for ``benchmarks.engine``: the webhook view's rate is
compared with the least a POST through the same middleware can cost."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@login_not_required
@require_POST
def bare(request, provider: str, token: str):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/<slug:provider>/<str:token>/", bare, name="bench_bare"),
    path("", include("config.urls")),
]
