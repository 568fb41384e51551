"""Helpers for the edit tests: masks to paint with, running a start with its commit callbacks,
recorded analytics, and the check that a refusal charged nothing."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from analytics.models import Event as AnalyticsEvent
from billing.models import Hold
from billing.services import credits_available
from generation.models import EditJob
from providers.models import ProviderCall

SIZE = (160, 120)  # the ``photo`` fixture
BOX = (40, 30, 100, 90)  # where the tests paint


def mask_png(size=SIZE, box=BOX, *, mode="L") -> bytes:
    image = Image.new(mode, size, 0)
    if box:
        image.paste(255 if mode == "L" else (255, 255, 255, 255), box)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mask_file(data: bytes | None = None, name="mask.png", content_type="image/png"):
    return SimpleUploadedFile(name, mask_png() if data is None else data, content_type=content_type)


def run(callbacks, fn, **kwargs):
    with callbacks(execute=True):
        return fn(**kwargs)


def events(name):
    return list(AnalyticsEvent.objects.filter(name=name).values_list("properties", flat=True))


def shades(image: Image.Image) -> set[int]:
    return {value for value, count in enumerate(image.histogram()) if count}


def nothing_charged(org, credits):
    assert not EditJob.objects.exists()
    assert not Hold.objects.exists()
    assert not ProviderCall.objects.exists()
    assert credits_available(org) == credits
