"""The plans the product launches with (PRODUCT.md §6). Rows in ``billing.Plan`` are the live
data, editable in the admin; this table seeds them (migration 0002) and restores them in tests."""

GB = 1024**3

DEFAULT_PLANS = [
    {
        "slug": "free",
        "name": "Free",
        "tagline": "Try the whole product with one character.",
        "price_cents": 0,
        "monthly_credits": 100,
        "credits_recur": False,
        "max_characters": 1,
        "storage_bytes": 2 * GB,
        "seats": 1,
        "max_concurrent_jobs": 1,
        "position": 0,
        "is_default": True,
    },
    {
        "slug": "creator",
        "name": "Creator",
        "tagline": "For a creator running their own characters.",
        "price_cents": 2900,
        "monthly_credits": 2000,
        "credits_recur": True,
        "max_characters": 3,
        "storage_bytes": 50 * GB,
        "seats": 1,
        "max_concurrent_jobs": 3,
        "position": 1,
        "is_default": False,
    },
    {
        "slug": "studio",
        "name": "Studio",
        "tagline": "For small teams producing every day.",
        "price_cents": 7900,
        "monthly_credits": 6000,
        "credits_recur": True,
        "max_characters": 10,
        "storage_bytes": 250 * GB,
        "seats": 3,
        "max_concurrent_jobs": 6,
        "position": 2,
        "is_default": False,
    },
    {
        "slug": "agency",
        "name": "Agency",
        "tagline": "For agencies running many characters for clients.",
        "price_cents": 24900,
        "monthly_credits": 20000,
        "credits_recur": True,
        "max_characters": None,
        "storage_bytes": 1024 * GB,
        "seats": 10,
        "max_concurrent_jobs": 12,
        "position": 3,
        "is_default": False,
    },
]


def plans_ensure(plan_model) -> None:
    """Create any default plan that is missing; existing rows (maybe edited by staff) are kept.
    Fields a migration's historical model doesn't have yet are left to the migration that adds them."""
    fields = {field.name for field in plan_model._meta.get_fields()}
    for plan in DEFAULT_PLANS:
        defaults = {k: v for k, v in plan.items() if k != "slug" and k in fields}
        plan_model.objects.get_or_create(slug=plan["slug"], defaults=defaults)
