"""Worker and beat tasks: ids in, a service does the work."""

from celery import shared_task

from audit.services import audit_purge
from privacy import deletion, exports, retention


@shared_task(time_limit=3600, soft_time_limit=3570, max_retries=1)
def build_data_export(export_id: int) -> None:
    exports.export_build(export_id=export_id)


@shared_task
def delete_due_organisations() -> int:
    return deletion.org_deletions_due()


@shared_task
def purge_failed_jobs() -> dict:
    return retention.failed_jobs_purge()


@shared_task
def purge_abandoned_uploads() -> int:
    return retention.abandoned_uploads_purge()


@shared_task
def purge_trained_datasets() -> int:
    return retention.trained_datasets_purge()


@shared_task
def expire_data_exports() -> dict:
    return retention.data_exports_expire()


@shared_task
def purge_audit_log() -> int:
    return audit_purge()


@shared_task
def trim_provider_records() -> dict:
    return retention.provider_records_trim()
