"""The project assistant: a question costs 2 credits and is answered from the passages retrieval
found (cited), streamed into the message as it is written; a stream cut by the provider keeps
what came, marks it and charges nothing; Stop keeps what came; another org's project is a 404."""

import json

import pytest

from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from projects import chat, retrieval, services
from projects.models import ChatMessage
from projects.tests import screenplays
from projects.tests.factories import ProjectFactory
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org, people):
    project = ProjectFactory(org=org, name="Lighthouse")
    services.script_upload(project=project, user=people.member, filename="l.fountain", data=screenplays.SHORT.encode())
    return project


def ask(capture, project, user, question):
    with capture(execute=True):
        message = chat.chat_ask(project=project, user=user, question=question)
    message.refresh_from_db()
    return message


def events_of(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    found = []
    for block in body.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_retrieval_ranks_the_passage_that_answers_first(project):
    found = retrieval.retrieve(project, "Who polishes the lens in the lamp room?")

    assert found[0]["title"] == "l · scene 3 (p. 1)"
    assert "polishes the great LENS" in found[0]["text"]


def test_the_demo_answers_by_quoting_the_best_passage_and_cites_it(
    project, people, fund, client, django_capture_on_commit_callbacks
):
    fund(2)

    message = ask(django_capture_on_commit_callbacks, project, people.member, "What does Tomas polish?")

    assert message.status == "succeeded", message.error
    assert message.demo is True
    assert message.answer.startswith("Demo answer")
    assert "Tomas polishes the great LENS" in message.answer
    assert "[S1]" in message.answer
    assert message.sources[0]["title"].startswith("l · scene 3")
    assert message.tokens_in > 0
    assert message.tokens_out > 0
    assert credits_available(project.org) == 0
    assert ledger_problems() == []
    client.force_login(people.viewer)
    events = events_of(
        client.get(f"/o/{project.org.slug}/projects/{project.public_id}/chat/{message.public_id}/stream/")
    )
    assert "".join(e["text"] for kind, e in events if kind == "token") == message.answer
    assert events[-1][0] == "done"
    assert "Sources (" in events[-1][1]["html"]
    assert "2 credits" in events[-1][1]["html"]


def test_xai_streams_the_answer_with_the_passages_and_history(
    xai_emulator, project, people, fund, django_capture_on_commit_callbacks
):
    fund(4)
    xai_emulator.reply("Ada keeps the light (1).", usage={"prompt_tokens": 321, "completion_tokens": 9})
    xai_emulator.reply("In the lamp room [S2].")
    first = ask(django_capture_on_commit_callbacks, project, people.member, "Who keeps the lighthouse burning?")

    second = ask(django_capture_on_commit_callbacks, project, people.member, "Where is the telescope?")

    assert (first.answer, first.tokens_in, first.tokens_out, first.status) == (
        "Ada keeps the light (1).",
        321,
        9,
        "succeeded",
    )
    assert second.answer == "In the lamp room [S2]."
    assert second.demo is False
    request = xai_emulator.requests[1]
    assert request["stream"] is True
    assert [m["role"] for m in request["messages"]] == ["system", "user", "assistant", "user"]
    assert "Passages:\n[S1] l · scene" in request["messages"][-1]["content"]
    assert request["messages"][2]["content"] == "Ada keeps the light [S1]."  # "(1)" would read as an age
    assert xai_emulator.rejected == []
    call = ProviderCall.objects.get(pk=second.call_id)
    assert call.status == "succeeded"
    assert call.output["text"] == second.answer


def test_a_stream_cut_by_the_provider_keeps_the_partial_answer_marked_and_charges_nothing(
    xai_emulator, project, people, fund, django_capture_on_commit_callbacks
):
    fund(2)
    xai_emulator.reply("Ada keeps the light, and Tomas brings the rope when the storm comes.", cut_after=3)

    message = ask(django_capture_on_commit_callbacks, project, people.member, "Who keeps the light?")

    assert message.status == "failed"
    assert message.cut is True
    assert message.answer == "Ada keeps the light, and"  # the three chunks that came (8 characters each)
    assert "broke off part-way" in message.error
    assert credits_available(project.org) == 2
    assert ledger_problems() == []
    assert ProviderCall.objects.get(pk=message.call_id).status == "failed"


def test_stop_keeps_what_came(project, people, fund, monkeypatch, django_capture_on_commit_callbacks):
    fund(2)
    monkeypatch.setattr(chat, "FLUSH_SECONDS", 0)
    real = ChatMessage.objects.filter

    def stop_after_first_words(*args, **kwargs):
        if kwargs.get("stop_requested"):  # the worker checking for Stop: the person pressed it
            ChatMessage.objects.update(stop_requested=True)
        return real(*args, **kwargs)

    monkeypatch.setattr(ChatMessage.objects, "filter", stop_after_first_words)

    message = ask(django_capture_on_commit_callbacks, project, people.member, "What does Tomas polish?")

    assert message.status == "succeeded"
    assert message.stopped is True
    assert message.answer == "Demo "  # the first piece, then it stopped
    assert ProviderCall.objects.get(pk=message.call_id).status == "cancelled"


def test_stopping_a_question_not_yet_started_cancels_it_for_nothing(project, people, fund):
    fund(2)
    message = chat.chat_ask(project=project, user=people.member, question="Who keeps the light?")  # task not run

    chat.chat_stop(message=message)

    message.refresh_from_db()
    assert message.status == "cancelled"
    assert credits_available(project.org) == 2


@pytest.mark.parametrize(
    ("question", "words"),
    [("   ", "Type a question"), ("x" * 2001, "2000 characters"), ("Write a love scene with a 14 year old", "can't")],
)
def test_bad_questions_are_refused_before_anything_is_charged(project, people, fund, question, words):
    fund(2)

    with pytest.raises(DomainError) as refused:
        chat.chat_ask(project=project, user=people.member, question=question)

    assert words in refused.value.message
    assert ChatMessage.objects.count() == 0
    assert credits_available(project.org) == 2


def test_chat_about_another_orgs_project_is_a_404(client, project, people, fund):
    fund(2)
    message = chat.chat_ask(project=project, user=people.member, question="Who keeps the light?")
    client.force_login(people.outsider)
    base = f"/o/{project.org.slug}/projects/{project.public_id}/chat/"
    theirs = f"/o/{people.other_org.slug}/projects/{project.public_id}/chat/"

    assert client.get(base).status_code == 404
    assert client.post(base + "ask/", {"question": "Leak it"}).status_code == 404
    assert client.get(theirs).status_code == 404  # their own org, our project's id
    assert client.get(f"{theirs}{message.public_id}/stream/").status_code == 404
    assert ChatMessage.objects.count() == 1


def test_the_page_asks_and_answers_as_json_for_its_script(
    client, project, people, fund, django_capture_on_commit_callbacks
):
    fund(2)
    client.force_login(people.member)
    url = f"/o/{project.org.slug}/projects/{project.public_id}/chat/ask/"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"question": "What does Ada light?"}, headers={"Accept": "application/json"})
    refused = client.post(url, {"question": "What does Ada light?"}, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert "What does Ada light?" in response.json()["html"]
    assert refused.status_code == 400
    assert "credits" in refused.json()["error"]
