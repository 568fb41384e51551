from django.db import migrations

GB = 1024**3

PLANS = [
    # slug, name, tagline, price_cents, credits, recur, characters, storage, seats, position, default
    ("free", "Free", "Try the whole product with one character.", 0, 100, False, 1, 2 * GB, 1, 0, True),
    ("creator", "Creator", "For a creator running their own characters.", 2900, 2000, True, 3, 50 * GB, 1, 1, False),
    ("studio", "Studio", "For small teams producing every day.", 7900, 6000, True, 10, 250 * GB, 3, 2, False),
    (
        "agency",
        "Agency",
        "For agencies running many characters for clients.",
        24900,
        20000,
        True,
        None,
        1024 * GB,
        10,
        3,
        False,
    ),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for slug, name, tagline, price, credits, recur, chars, storage, seats, position, default in PLANS:
        Plan.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "tagline": tagline,
                "price_cents": price,
                "monthly_credits": credits,
                "credits_recur": recur,
                "max_characters": chars,
                "storage_bytes": storage,
                "seats": seats,
                "position": position,
                "is_default": default,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
