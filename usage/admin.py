from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from usage import selectors
from usage.models import MarginReport


@admin.register(MarginReport)
class MarginReportAdmin(admin.ModelAdmin):
    """Per operation: credits charged, what they earn, what providers billed; thin margins in red."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            days = int(request.GET.get("days", ""))
        except ValueError:
            days = 30
        if days not in selectors.MARGIN_WINDOWS:
            days = 30
        context = {
            **self.admin_site.each_context(request),
            "title": f"Margins by operation, last {days} days",
            "opts": self.model._meta,
            "report": selectors.margin_report(days=days),
            "windows": selectors.MARGIN_WINDOWS,
            "min_margin": selectors.MIN_MARGIN,
        }
        return TemplateResponse(request, "admin/usage/marginreport/report.html", context)
