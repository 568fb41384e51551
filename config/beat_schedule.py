"""Celery beat's schedule: the periodic tasks (sweepers, retention, payouts), read by
``config.settings``. Each entry's ``expires`` drops a run that waited past its next one."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    # Product analytics keeps ANALYTICS_RETENTION_DAYS of events.
    "prune-analytics-events": {
        "task": "analytics.tasks.prune_events",
        "schedule": crontab(hour=4, minute=13),
        "options": {"expires": 3600},
    },
    # "Generate until N keepers": runs whose scoring or next batch was lost are moved on.
    "keepers-sweep": {"task": "identity.tasks.keepers_sweep", "schedule": 120.0, "options": {"expires": 110}},
    # Providers: ask about calls whose webhook hasn't come, and move stalled calls on.
    "poll-provider-calls": {
        "task": "providers.tasks.poll_due_calls",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Credits: release holds whose job never settled (a safety net), and check the ledger nightly.
    "release-expired-holds": {
        "task": "billing.tasks.release_expired_holds",
        "schedule": crontab(minute=17),
        "options": {"expires": 50 * 60},
    },
    # Stripe: webhook deliveries whose processing task was lost are queued again.
    "sweep-stripe-webhooks": {
        "task": "billing.tasks.sweep_stripe_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "check-ledger": {
        "task": "billing.tasks.check_ledger",
        "schedule": crontab(hour=3, minute=41),
        "options": {"expires": 3600},
    },
    "sweep-provider-calls": {
        "task": "providers.tasks.sweep_calls",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "sweep-tool-jobs": {
        "task": "tools.tasks.sweep",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    "sweep-animation-prepares": {
        "task": "video.tasks.prepare_sweep",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # Outgoing webhooks: deliveries whose task was lost are queued again; the log keeps 30 days.
    "sweep-webhook-deliveries": {
        "task": "api.tasks.sweep_webhook_deliveries",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "library-housekeeping": {
        "task": "assets.tasks.library_housekeeping",
        "schedule": crontab(minute="*/30"),
        "options": {"expires": 25 * 60},
    },
    "expire-stale-invitations-and-join-requests": {
        "task": "orgs.tasks.expire_stale_invitations_and_requests",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
    # Retention and deletion (privacy/retention.py, docs/operations.md#retention). Each is
    # idempotent, so a late or repeated run only finds less to do.
    "delete-due-organisations": {
        "task": "privacy.tasks.delete_due_organisations",
        "schedule": crontab(minute=23),
        "options": {"expires": 50 * 60},
    },
    "expire-data-exports": {
        "task": "privacy.tasks.expire_data_exports",
        "schedule": crontab(minute=37),
        "options": {"expires": 50 * 60},
    },
    "purge-failed-jobs": {
        "task": "privacy.tasks.purge_failed_jobs",
        "schedule": crontab(hour=2, minute=13),
        "options": {"expires": 3600},
    },
    "purge-abandoned-uploads": {
        "task": "privacy.tasks.purge_abandoned_uploads",
        "schedule": crontab(hour=2, minute=29),
        "options": {"expires": 3600},
    },
    "purge-trained-datasets": {
        "task": "privacy.tasks.purge_trained_datasets",
        "schedule": crontab(hour=2, minute=47),
        "options": {"expires": 3600},
    },
    "trim-provider-records": {
        "task": "privacy.tasks.trim_provider_records",
        "schedule": crontab(hour=2, minute=43),
        "options": {"expires": 3600},
    },
    "purge-audit-log": {
        "task": "privacy.tasks.purge_audit_log",
        "schedule": crontab(hour=3, minute=5),
        "options": {"expires": 3600},
    },
    # Likeness licensing: last month's royalty transfers (once per creator and month), and retries.
    "royalty-payouts": {
        "task": "licensing.tasks.royalty_payouts",
        "schedule": crontab(hour=6, minute=23),
        "options": {"expires": 3600},
    },
}
