"""``{% page_meta %}``: canonical link, Open Graph and Twitter card tags for a public page."""

from django import template

from core.seo import PageMeta

register = template.Library()


@register.inclusion_tag("includes/meta.html", takes_context=True)
def page_meta(context):
    """The page's ``meta`` (a ``core.seo.PageMeta``) or, for screens that don't set one (sign-up,
    log in), the site's defaults at the page's own path."""
    meta = context.get("meta")
    if not isinstance(meta, PageMeta):
        request = context["request"]
        meta = PageMeta(title=context.get("SITE_NAME", "Personae"), path=request.path)
    return {"meta": meta, "SITE_NAME": context.get("SITE_NAME", "Personae")}
