"""`manage.py provider_smoke`: one cheap real call per configured provider, against the emulators."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture(autouse=True)
def no_keys(settings):
    settings.FAL_KEY = settings.REPLICATE_API_TOKEN = settings.XAI_API_KEY = ""


def smoke(*args):
    out = StringIO()
    call_command("provider_smoke", "--poll-interval", "0", *args, stdout=out)
    return out.getvalue()


def test_with_no_provider_configured_it_says_what_to_set_and_succeeds():
    output = smoke()

    assert "No AI provider is configured" in output
    assert "FAL_KEY, REPLICATE_API_TOKEN or XAI_API_KEY" in output


def test_it_checks_every_configured_provider(fal_emulator, replicate_emulator, xai_emulator):
    fal_emulator.behave(
        "fal-ai/z-image/turbo",
        result={"images": [{"url": fal_emulator.add_file("smoke.png"), "width": 512, "height": 512}]},
    )

    lines = smoke().splitlines()

    fal, replicate, xai = lines
    assert fal.split()[:3] == ["fal", "fal-ai/z-image/turbo", "ok"]
    assert "$0.005000 for 1 megapixel" in fal
    sent = fal_emulator.last
    assert sent.arguments["image_size"] == {"width": 512, "height": 512}
    assert sent.arguments["num_images"] == 1
    assert replicate.split()[:4] == ["replicate", "GET", "/v1/account", "ok"]
    assert "free" in replicate
    assert "personae-test" in replicate
    assert xai.split()[:3] == ["xai", "grok-4-1-fast-non-reasoning", "ok"]
    assert "$0.000039 for 150 tokens" in xai
    assert xai_emulator.requests[0]["max_tokens"] == 5


def test_a_failing_provider_is_reported_in_plain_words_and_fails_the_command(fal_emulator, xai_emulator):
    xai_emulator.fail(status=401, json={"code": "unauthorized", "error": "Incorrect API key"})
    out = StringIO()

    with pytest.raises(CommandError, match="1 provider"):
        call_command("provider_smoke", "--poll-interval", "0", stdout=out)

    fal, xai = out.getvalue().splitlines()
    assert " ok " in fal
    assert "failed: The provider refused our credentials (HTTP 401)" in xai


def test_a_replicate_token_refused_is_a_failure(replicate_emulator):
    replicate_emulator.fail("account", status=401)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("provider_smoke", stdout=out)

    assert "Replicate token" in out.getvalue()


def test_fal_that_never_finishes_is_cancelled_after_the_timeout(fal_emulator):
    fal_emulator.behave("fal-ai/z-image/turbo", queue_positions=(3,) * 100)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("provider_smoke", "--poll-interval", "0.05", "--timeout", "0.2", stdout=out)

    assert "no result within 0.2 s (cancelled)" in out.getvalue()
    assert fal_emulator.last.cancelled


def test_naming_a_provider_that_is_not_configured_fails():
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("provider_smoke", "--provider", "fal", stdout=out)

    assert "not configured: set FAL_KEY" in out.getvalue()
