from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.models import Plan


@login_not_required
@require_GET
def landing(request):
    return render(request, "marketing/landing.html", {"plans": Plan.objects.filter(is_public=True)})
