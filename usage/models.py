from providers.models import ProviderCall


class MarginReport(ProviderCall):
    """No table of its own: it puts staff's margin report (``usage.admin``) on the admin's index."""

    class Meta:
        proxy = True
        verbose_name = "margin report"
        verbose_name_plural = "margin report"
