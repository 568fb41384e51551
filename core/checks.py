from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def email_provider_configured(app_configs, **kwargs):
    if settings.EMAIL_PROVIDER or settings.EMAIL_BACKEND != "core.mail.DevMailboxBackend":
        return []
    return [
        Warning(
            "No email provider is configured: verification, password-reset and invitation emails are only "
            "written to files on this server.",
            hint="Set EMAIL_PROVIDER and EMAIL_PROVIDER_API_KEY (see docs/configuration.md).",
            id="personae.W001",
        )
    ]
