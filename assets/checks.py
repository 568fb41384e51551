"""Startup check: with a real AI provider's key set, providers must be able to fetch our files.

Inputs (images, masks, training zips, LoRAs) go to fal and Replicate as URLs they download, never
inline: a 20 MB photo as a base64 data URI in a request body is slow, and fal limits request sizes.
So a provider key without S3/R2 storage or a public https address for this site is a setup that
would fail on the first call; Django's system checks (``manage.py check``, ``runserver``,
``migrate`` in the release step) refuse it up front, with the fix.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error

from assets import storage

PROVIDER_KEYS = ("FAL_KEY", "REPLICATE_API_TOKEN", "XAI_API_KEY")

FIX = (
    "Either store media in a bucket: set MEDIA_BUCKET (and MEDIA_ENDPOINT_URL, MEDIA_ACCESS_KEY_ID, "
    "MEDIA_SECRET_ACCESS_KEY for S3 or Cloudflare R2), and providers get presigned links; or set "
    "PROVIDER_PUBLIC_URL to an https address that reaches this site (a cloudflared or ngrok tunnel "
    "on a laptop), and providers get signed /media/p/ links. Or unset the provider keys to use the offline "
    "demo provider. See docs/configuration.md, “Media storage”."
)


def provider_media_check(app_configs=None, **kwargs) -> list[Error]:
    keys = [name for name in PROVIDER_KEYS if getattr(settings, name, "")]
    if not keys or storage.providers_can_fetch():
        return []
    named = " and ".join(keys)
    where = (
        f"PROVIDER_PUBLIC_URL is {settings.PROVIDER_PUBLIC_URL!r}, which isn't https"
        if settings.PROVIDER_PUBLIC_URL
        else "media is on this machine's disk and the site has no public https address"
    )
    return [
        Error(
            f"{named} {'are' if len(keys) > 1 else 'is'} set, but AI providers couldn't fetch the images "
            f"they work on: {where}.",
            hint=FIX,
            id="assets.E001",
        )
    ]
