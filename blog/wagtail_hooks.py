"""Editor tweaks. ``wagtail.documents`` is installed only because the page editor's scripts need
it; the blog has no document downloads (no public URL serves them), so editors don't see it."""

from wagtail import hooks
from wagtail.documents.wagtail_hooks import DocumentsSummaryItem


@hooks.register("construct_main_menu")
def hide_documents_menu(request, menu_items):
    menu_items[:] = [item for item in menu_items if item.name != "documents"]


@hooks.register("construct_homepage_summary_items")
def hide_documents_summary(request, items):
    items[:] = [item for item in items if not isinstance(item, DocumentsSummaryItem)]


@hooks.register("construct_search")
def hide_documents_search(request, search_areas):
    search_areas[:] = [area for area in search_areas if area.name != "documents"]
