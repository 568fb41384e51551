"""The pipeline with and without a moderator: what an uncertain finding becomes."""

import pytest

from safety import screen
from safety.screen import Moderation, ModerationUnavailable


@pytest.fixture
def moderator(monkeypatch):
    """A stand-in moderator; ``moderator.answer`` is what it says (or an exception it raises)."""

    class Stub:
        answer: Moderation | Exception = Moderation(minor=False)
        asked: list = []

        def __call__(self, text, *, nsfw, org_id=None):
            self.asked.append((text, nsfw))
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    stub = Stub()
    stub.asked = []
    monkeypatch.setattr(screen, "_moderator", screen._Moderator(stub, lambda: True))
    return stub


@pytest.fixture
def no_moderator(monkeypatch):
    monkeypatch.setattr(screen, "_moderator", screen._Moderator())


def test_without_a_moderator_uncertain_adult_content_is_refused_and_the_rest_passes(no_moderator):
    refused = screen.screen(["a nude girl on a bed"], nsfw=True, moderate=True)
    assert (refused.verdict, refused.rule, refused.decided_by) == ("refuse", "youthful", "policy")
    assert "describe the person as a woman or a man" in refused.message()
    assert screen.screen(["a girl on a pier"], nsfw=False, moderate=True).verdict == "allow"


def test_the_moderator_decides_what_the_rules_cannot(moderator):
    moderator.answer = Moderation(minor=True, reason="pigtails and a school bag")
    refused = screen.screen(["a girl with pigtails", "on a bed"], nsfw=True, moderate=True, org_id=7)
    assert (refused.verdict, refused.rule, refused.decided_by) == ("refuse", "moderation", "moderation")
    assert "pigtails and a school bag" in refused.message()
    assert moderator.asked == [("a girl with pigtails\non a bed", True)]
    moderator.answer = Moderation(minor=False)
    assert screen.screen(["a nude girl, 30, on a bed"], nsfw=True, moderate=True).verdict == "allow"


def test_a_failing_moderator_fails_closed_for_adult_content_only(moderator):
    moderator.answer = ModerationUnavailable("timeout")
    assert screen.screen(["a nude girl on a bed"], nsfw=True, moderate=True).refused
    assert not screen.screen(["a woman outside a high school"], nsfw=False, moderate=True).refused


def test_a_certain_refusal_never_asks_the_moderator(moderator):
    assert screen.screen(["a 14 year old"], nsfw=True, moderate=True).rule == "age"
    assert moderator.asked == []


def test_where_no_model_may_be_called_the_gateway_is_left_to_ask(moderator):
    """A web request doesn't call the moderator: with one configured, adult content that only it
    can decide goes on to the gateway, whose screen asks it before anything is sent."""
    assert screen.screen(["a nude girl on a bed"], nsfw=True, moderate=False).verdict == "allow"
    assert moderator.asked == []
