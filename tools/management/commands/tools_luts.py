"""Write the preset looks' .cube files (tools/static/tools/luts/) from ``tools.luts.PRESETS``."""

from django.core.management.base import BaseCommand

from tools import luts


class Command(BaseCommand):
    help = "Regenerate the shipped colour-grading LUTs (.cube) from their definitions in tools/luts.py."

    def handle(self, *args, **options):
        for path in luts.write_presets():
            self.stdout.write(f"wrote {path}")
