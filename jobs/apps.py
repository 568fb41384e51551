from django.apps import AppConfig


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from billing import limits
        from jobs import engine, inputs, notices

        inputs.register()
        notices.kinds_register()
        limits.counter_register(limits.JOBS, engine.jobs_running)
