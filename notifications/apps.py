from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core.emails import recipients_filter_register
        from notifications.services import email_recipients_filter

        recipients_filter_register(email_recipients_filter)
