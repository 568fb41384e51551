"""The JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/docs). Session auth for now;
API keys arrive with the browser extension."""

from ninja import NinjaAPI
from ninja.security import django_auth

from generation.api import generations_router
from generation.api import router as jobs_router

api = NinjaAPI(title="Personae API", version="1", auth=django_auth, urls_namespace="api")
api.add_router("/jobs/", jobs_router)
api.add_router("/generations/", generations_router)
