from django import template

from assets import storage

register = template.Library()


@register.simple_tag(takes_context=True)
def asset_url(context, asset, variant: str = "original") -> str:
    """A short-lived signed URL for one of ``asset``'s files (empty if it has no such variant)."""
    key = asset.original_key if variant == "original" else asset.variants.get(variant, "")
    if not key:
        return ""
    return storage.signed_url(context["request"].org, key)


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


@register.filter
def json_pretty(value) -> str:
    import json

    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, [])
