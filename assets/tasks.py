from celery import shared_task

from assets import services


@shared_task(time_limit=600, soft_time_limit=570, max_retries=1)
def process_upload(upload_id: int) -> None:
    services.upload_process(upload_id=upload_id)


@shared_task(time_limit=1800, soft_time_limit=1770, max_retries=1)
def build_export(export_id: int) -> None:
    services.export_build(export_id=export_id)


@shared_task
def library_housekeeping() -> dict:
    return services.library_housekeeping()


@shared_task(time_limit=900, soft_time_limit=870, max_retries=1)
def run_import(import_id: int) -> None:
    services.import_run(import_id=import_id)
