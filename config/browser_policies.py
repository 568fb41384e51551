"""The policies browsers enforce on our pages: Content-Security-Policy (django-csp) and
Permissions-Policy (django-permissions-policy). Settings build them from the deployment's media
origins and payment setup; docs/configuration.md#content-security-policy."""

from __future__ import annotations

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE


def media_origins(*, backend: str, bucket: str, endpoint: str, region: str) -> list[str]:
    """The bucket's origins browsers load media from (signed GETs for previews and videos,
    presigned PUTs for uploads), or none with local storage."""
    if backend != "s3":
        return []
    endpoint = endpoint.rstrip("/")
    if endpoint:  # R2 and other S3-compatible stores: path-style and virtual-host-style addresses
        scheme, _, host = endpoint.partition("://")
        return [f"{endpoint}/{bucket}/", f"{scheme}://{bucket}.{host}"]
    region = region or "us-east-1"
    return [
        f"https://{bucket}.s3.amazonaws.com",
        f"https://{bucket}.s3.{region}.amazonaws.com",
        f"https://s3.{region}.amazonaws.com/{bucket}/",
    ]


def content_security_policies(
    *, media_origins: list[str], form_targets: list[str], report_uri: str
) -> tuple[dict, dict]:
    """The site's policy and the admins' (``/admin/`` and ``/cms/``, ADMIN_PATH_PREFIXES): Django's
    admin and Wagtail ship inline scripts and styles, and Wagtail's live preview frames its own pages."""
    common = {
        "default-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *media_origins],
        "media-src": [SELF, "blob:", *media_origins],
        # blob:: three.js's GLTFLoader fetches a 3D model's embedded textures from blob URLs (tools).
        "connect-src": [SELF, "blob:", *media_origins],
        "object-src": [NONE],
        "frame-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "form-action": [SELF, *form_targets],
        "report-uri": report_uri,
    }
    site = {
        **common,
        "script-src": [SELF, NONCE],
        # style="" attributes (computed widths and ratios) are allowed; <style> elements need the nonce.
        "style-src": [SELF, UNSAFE_INLINE],
        "style-src-elem": [SELF, NONCE],
        "font-src": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
    admin = {
        **common,
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],
        "font-src": [SELF, "data:"],
        "base-uri": [SELF],
        "frame-ancestors": [SELF],
    }
    return {"DIRECTIVES": site}, {"DIRECTIVES": admin}


# Powerful browser features nobody here needs are off for every page and every frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "gamepad",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "payment",
            "publickey-credentials-get",
            "screen-wake-lock",
            "serial",
            "usb",
            "xr-spatial-tracking",
        )
    },
    "clipboard-write": ["self"],  # "Copy" buttons
    "fullscreen": ["self"],  # the library's video player
    "picture-in-picture": ["self"],
}
