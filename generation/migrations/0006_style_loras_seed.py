"""The two looks the product plan names (seed 000: "preload NSFW & Instagram LoRAs"), as inactive
rows with no file: no style LoRA has been chosen yet, so none is pretended. Staff add an https URL
of a .safetensors file whose licence allows this use, check the scale, and switch it on."""

from django.db import migrations

NEEDS_FILE = (
    " No file chosen yet: add the https URL of a .safetensors LoRA trained for Z-Image Turbo (it is "
    "used in Z-Image drafts), then switch it on. For HQ images, add a second row with a FLUX file."
)
LOOKS = [
    {
        "slug": "instagram-look",
        "name": "Instagram look",
        "description": "A social-media photo look (phone-camera light, casual framing) for lifestyle scenes."
        + NEEDS_FILE,
        "nsfw": False,
        "applies_to": [
            "candid_lifestyle",
            "fitness_motivation",
            "morning_vibes",
            "night_out",
            "cozy_home",
            "beach_day",
        ],
    },
    {
        "slug": "nsfw-look",
        "name": "NSFW look",
        "description": "An adult-content look, used only in packs with adult content switched on." + NEEDS_FILE,
        "nsfw": True,
        "applies_to": ["always"],
    },
]


def looks_add(apps, schema_editor):
    StyleLora = apps.get_model("generation", "StyleLora")
    for look in LOOKS:
        StyleLora.objects.get_or_create(
            slug=look["slug"], defaults={**look, "url": "", "base": "zimage", "active": False}
        )


def looks_remove(apps, schema_editor):
    apps.get_model("generation", "StyleLora").objects.filter(
        slug__in=[look["slug"] for look in LOOKS], active=False, url=""
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("generation", "0005_style_loras")]

    operations = [migrations.RunPython(looks_add, looks_remove)]
