"""The JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs,
served from ninja's bundled Swagger UI: no CDN). Every endpoint takes an API key
(``Authorization: Bearer pk_live_…``, Settings → Developers) and ignores session cookies; see
docs/api.md. The routers live in the ``api`` app."""

from ninja import NinjaAPI

from api import errors
from api.auth import ApiKeyAuth, KeyRateThrottle
from api.routers import assets, characters, credits, extension, jobs

api = NinjaAPI(
    title="Personae API",
    version="1",
    description="Assets, collections, characters, image packs, edits, video and credits, by API key. "
    "Errors are always {code, detail, field}. See docs/api.md for a quickstart.",
    auth=ApiKeyAuth(),
    throttle=KeyRateThrottle(),
    urls_namespace="api",
)
errors.install(api)
api.add_router("/assets/", extension.imports_router)
api.add_router("/assets/", assets.router)
api.add_router("/uploads/", assets.uploads_router)
api.add_router("/collections/", assets.collections_router)
api.add_router("/characters/", characters.router)
api.add_router("/generations/", jobs.generations_router)
api.add_router("/videos/", jobs.videos_router)
api.add_router("/", jobs.router)
api.add_router("/credits/", credits.router)
api.add_router("/extension/", extension.extension_router)
