from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from billing import prices
from billing.models import Plan
from blog.selectors import post_by_slug, posts_latest
from core.seo import PageMeta
from marketing.legal import LEGAL_DOCUMENTS
from marketing.sitemaps import SITEMAPS
from onboarding import selectors as onboarding_selectors
from onboarding import services as onboarding_services

# Each feature the landing page names, and the app page where it is used (a URL name that takes the
# organisation's slug). ``feature_open`` sends a visitor there once they're logged in.
FEATURE_PAGES = {
    "characters": "characters:list",
    "presets": "generation:studio_home",
    "edits": "assets:library",
    "video": "video:home",
    "likeness": "generation:studio_home",
    "library": "assets:library",
    "prompt-writer": "generation:studio_home",
    "teams": "orgs:members",
    "credits": "billing:credits",
}

# The landing page's FAQ links to this guide while it is published.
LORA_GUIDE_SLUG = "how-many-photos-to-train-a-face-lora"


@login_not_required
@require_GET
def landing(request):
    return render(
        request,
        "marketing/landing.html",
        {
            "plans": Plan.objects.filter(is_public=True),
            "posts": posts_latest(3),
            "lora_guide": post_by_slug(LORA_GUIDE_SLUG),
            "meta": PageMeta(
                title="Personae — consistent AI characters for creators and agencies",
                description=(
                    "Train a face model once, then generate on-model image packs from studio presets, edit "
                    "them and organise everything in one library. Start free with 100 credits."
                ),
                path=request.path,
            ),
        },
    )


@login_not_required
@require_GET
def pricing(request):
    plans = list(Plan.objects.filter(is_public=True))
    hq_image = prices.OPERATION_PRICES["image_hq"].credits
    draft_image = prices.OPERATION_PRICES["image_draft"].credits
    return render(
        request,
        "marketing/pricing.html",
        {
            "plans": plans,
            # What each plan's credits make, from the same price list the ledger charges.
            "allowances": [
                {
                    "plan": plan,
                    "hq_images": plan.monthly_credits // hq_image,
                    "draft_images": plan.monthly_credits // draft_image,
                }
                for plan in plans
            ],
            "price_groups": prices.prices_by_group(),
            "top_up_packs": prices.TOP_UP_PACKS,
            "lora_training": prices.OPERATION_PRICES["lora_training"],
            "meta": PageMeta(
                title="Pricing",
                description=(
                    "Plans from free to agency, priced in credits: what each plan includes, what every "
                    "operation costs, top-up packs, and how credits are held and refunded."
                ),
                path=request.path,
            ),
        },
    )


@login_not_required
@require_GET
def legal(request, document: str):
    doc = LEGAL_DOCUMENTS[document]
    return render(
        request,
        doc.template,
        {
            "document": doc,
            "documents": LEGAL_DOCUMENTS.values(),
            "meta": PageMeta(title=doc.title, description=doc.summary, path=request.path),
        },
    )


@login_not_required
@require_GET
def sitemap(request):
    return sitemap_views.sitemap(request, sitemaps=SITEMAPS)


@login_not_required
@require_GET
def robots_txt(request):
    return render(
        request,
        "marketing/robots.txt",
        {"sitemap_url": settings.SITE_URL + reverse("marketing:sitemap")},
        content_type="text/plain; charset=utf-8",
    )


@require_GET
def feature_open(request, feature: str):
    """The landing page's "Try it" links: the feature's page in the visitor's current organisation
    (after logging in; a visitor without an account signs up from the login page), or the next
    onboarding step when they have no organisation yet."""
    if feature not in FEATURE_PAGES:
        raise Http404("No such feature.")
    membership = onboarding_selectors.current_membership(request.user)
    if membership is None:
        return redirect(onboarding_services.next_url(request.user))
    return redirect(reverse(FEATURE_PAGES[feature], args=[membership.org.slug]))
