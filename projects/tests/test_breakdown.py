"""Script breakdowns: the text read from each format (and bad files refused with what to do), the
cost shown before anything starts, chunking with overlap and de-duplicated merging, the cache
(the same script twice costs nothing), the demo provider's local breakdown, and xAI's answers
(retried when not JSON, then failed with the credits back)."""

import json

import pytest

from billing.services import credits_available, ledger_problems
from core.exceptions import DomainError
from projects import breakdown_answer, breakdowns, services
from projects.models import Breakdown, Passage
from projects.script_files import MAX_BYTES
from projects.tests import screenplays
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    return ProjectFactory(org=org, name="Lighthouse")


def upload(project, user, name, data):
    return services.script_upload(project=project, user=user, filename=name, data=data)


def start(capture, script, user, key=""):
    with capture(execute=True):
        job = breakdowns.breakdown_start(script=script, user=user, key=key)
    job.refresh_from_db()
    return job


# --- Reading files ----------------------------------------------------------------------------------


def test_it_reads_a_fountain_script_and_a_pdf_of_it_alike(project, people):
    fountain = upload(project, people.member, "lighthouse.fountain", screenplays.SHORT.encode())
    pdf = upload(project, people.member, "lighthouse.pdf", screenplays.pdf_of(screenplays.SHORT))

    assert fountain.format == "fountain"
    assert pdf.format == "pdf"
    for script in (fountain, pdf):
        scenes = breakdowns.scenes_of(script.text)
        assert [s.text.split("\n")[0] for s in scenes] == [
            "INT. LIGHTHOUSE KITCHEN - NIGHT",
            "EXT. CLIFF PATH - DAY",
            "INT. LAMP ROOM - CONTINUOUS",
        ]
    assert Passage.objects.filter(script=pdf).count() == 3


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("scan.pdf", screenplays.scanned_pdf(), "no text layer"),
        ("locked.pdf", screenplays.encrypted_pdf(), "password-protected"),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "isn't text"),
        ("archive.fountain", b"PK\x03\x04" + b"\x00" * 500, "isn't text"),
        ("script.docx", b"whatever", ".fountain, .txt or .pdf"),
        ("empty.txt", b"", "empty"),
        ("huge.txt", b"a" * (MAX_BYTES + 1), "at most 5 MB"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "couldn't be read"),
    ],
)
def test_it_refuses_bad_files_with_what_to_do_and_keeps_nothing(project, people, media_root, name, data, words):
    with pytest.raises(DomainError) as refused:
        upload(project, people.member, name, data)

    assert words in refused.value.message
    assert project.scripts.count() == 0
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_a_500_page_script_is_chunked_with_overlap_and_its_cost_is_shown_first(project, people):
    script = upload(project, people.member, "epic.fountain", screenplays.long_fountain(500).encode())

    estimate = breakdowns.estimate(script)
    chunks = breakdowns.chunks_of(script.text)

    assert script.pages == 500
    assert estimate.credits > 10  # 10 credits cover about 60 pages; more by token count
    assert estimate.credits == 10 + 5 * -(-(script.tokens - 15_000) // 15_000)
    assert estimate.chunks == len(chunks) > 5
    assert Breakdown.objects.count() == 0  # nothing started by looking
    first_of_second = chunks[1].split("\n")[0]
    assert first_of_second in chunks[0]  # the overlap: the last scene of a chunk opens the next


# --- The demo provider ---------------------------------------------------------------------------------


def test_the_demo_breaks_a_script_down_from_its_structure(project, people, fund, django_capture_on_commit_callbacks):
    fund(20)
    script = upload(project, people.member, "lighthouse.pdf", screenplays.pdf_of(screenplays.SHORT))

    job = start(django_capture_on_commit_callbacks, script, people.member)

    assert job.status == "succeeded", job.error
    assert job.demo is True
    result = job.result
    assert [(s["number"], s["int_ext"], s["time_of_day"]) for s in result["scenes"]] == [
        (1, "INT", "Night"),
        (2, "EXT", "Day"),
        (3, "INT", "Continuous"),
    ]
    characters = {c["name"]: c for c in result["characters"]}
    assert characters["Ada"]["scenes"] == [1, 2]
    assert "yellow oilskin coat" in characters["Ada"]["description"]
    assert {p["name"] for p in result["props"]} >= {"lantern", "rope", "telescope"}
    assert {p["name"]: p["scenes"] for p in result["props"]}["lantern"] == [1, 2]
    assert {loc["name"] for loc in result["locations"]} == {"Lighthouse Kitchen", "Cliff Path", "Lamp Room"}
    assert {(c["character"], c["name"]) for c in result["costumes"]} >= {("Ada", "a yellow oilskin coat")}
    assert credits_available(project.org) == 10  # charged the estimate
    assert ledger_problems() == []
    assert Passage.objects.filter(breakdown=job).exists()


def test_the_same_script_twice_costs_nothing(project, people, fund, django_capture_on_commit_callbacks):
    fund(10)
    first = upload(project, people.member, "a.fountain", screenplays.SHORT.encode())
    second = upload(ProjectFactory(org=project.org), people.member, "copy.fountain", screenplays.SHORT.encode())
    done = start(django_capture_on_commit_callbacks, first, people.member)

    again = start(django_capture_on_commit_callbacks, second, people.member)

    assert again.status == "succeeded"
    assert again.credits == 0
    assert again.cached_from == done
    assert again.result == done.result
    assert credits_available(project.org) == 0  # only the first was charged
    assert ledger_problems() == []


def test_a_long_script_is_merged_without_duplicate_scenes(project, people, fund, django_capture_on_commit_callbacks):
    fund(200)
    script = upload(project, people.member, "long.fountain", screenplays.long_fountain(120).encode())

    job = start(django_capture_on_commit_callbacks, script, people.member)

    assert job.status == "succeeded", job.error
    assert len(job.chunks) > 1
    numbers = [s["number"] for s in job.result["scenes"]]
    assert numbers == list(range(1, 121))  # the overlapping scenes counted once
    names = [c["name"] for c in job.result["characters"]]
    assert sorted(names) == sorted(set(names)) == ["Ada", "Elspeth", "Jonah", "Mira", "Tomas"]


def test_not_enough_credits_starts_nothing(project, people, django_capture_on_commit_callbacks):
    script = upload(project, people.member, "a.fountain", screenplays.SHORT.encode())

    with pytest.raises(DomainError) as refused:
        start(django_capture_on_commit_callbacks, script, people.member)

    assert "credits" in refused.value.message
    assert Breakdown.objects.count() == 0


# --- xAI ------------------------------------------------------------------------------------------------

ANSWER = {
    "scenes": [
        {"number": 1, "heading": "INT. LIGHTHOUSE KITCHEN - NIGHT", "int_ext": "INT", "time_of_day": "Night",
         "page_start": 1, "page_end": 1, "synopsis": "Ada lights a lantern; Tomas brings news of the storm."},
    ],
    "characters": [{"name": "Ada", "description": "A keeper in her 40s in a yellow oilskin.", "scenes": [1, 2]}],
    "props": [{"name": "brass lantern", "scenes": [1, 2]}],
    "locations": [{"name": "Lighthouse kitchen", "scenes": [1]}],
    "costumes": [{"name": "yellow oilskin coat", "character": "Ada", "scenes": [1]}],
}  # fmt: skip


def test_xai_answers_the_breakdown(xai_emulator, project, people, fund, django_capture_on_commit_callbacks):
    fund(10)
    xai_emulator.reply(
        "```json\n" + json.dumps(ANSWER) + "\n```", usage={"prompt_tokens": 900, "completion_tokens": 300}
    )
    script = upload(project, people.member, "a.fountain", screenplays.SHORT.encode())

    job = start(django_capture_on_commit_callbacks, script, people.member)

    assert job.status == "succeeded", job.error
    assert job.demo is False
    assert job.result["characters"][0]["description"] == "A keeper in her 40s in a yellow oilskin."
    assert (job.tokens_in, job.tokens_out) == (900, 300)
    sent = xai_emulator.requests[0]["messages"][1]["content"]
    assert "=== SCENE 1 · pages 1-1 ===\nINT. LIGHTHOUSE KITCHEN - NIGHT" in sent
    assert xai_emulator.rejected == []


def test_an_answer_that_is_not_json_is_asked_again_then_fails_and_the_credits_come_back(
    xai_emulator, project, people, fund, django_capture_on_commit_callbacks
):
    fund(10)
    for _ in range(breakdowns.MAX_ASKS):
        xai_emulator.reply("Sure! Here is the breakdown: scenes 1, 2 and 3 with Ada and Tomas.")
    script = upload(project, people.member, "a.fountain", screenplays.SHORT.encode())

    job = start(django_capture_on_commit_callbacks, script, people.member)

    assert len(xai_emulator.requests) == breakdowns.MAX_ASKS
    assert job.status == "failed"
    assert "didn't return a usable breakdown" in job.error
    assert "credits are back" in job.error
    assert credits_available(project.org) == 10
    assert ledger_problems() == []


def test_a_retried_answer_that_comes_right_is_used(
    xai_emulator, project, people, fund, django_capture_on_commit_callbacks
):
    fund(10)
    xai_emulator.reply('{"scenes": [{"number": "one"}]')  # cut-off JSON
    xai_emulator.reply(json.dumps(ANSWER))
    script = upload(project, people.member, "a.fountain", screenplays.SHORT.encode())

    job = start(django_capture_on_commit_callbacks, script, people.member)

    assert job.status == "succeeded"
    assert job.asks == 2
    assert credits_available(project.org) == 0


def test_merge_counts_a_scene_read_twice_once_and_joins_names():
    merged = breakdown_answer.merge(
        [
            {"scenes": [{"number": 1, "synopsis": "a"}, {"number": 2, "synopsis": "b"}],
             "characters": [{"name": "ADA", "description": "", "scenes": [1, 2]}], "props": [], "locations": [], "costumes": []},
            {"scenes": [{"number": 2, "synopsis": "b, longer"}, {"number": 3, "synopsis": "c"}],
             "characters": [{"name": "Ada (CONT'D)", "description": "keeper", "scenes": [2, 3]}], "props": [], "locations": [], "costumes": []},
        ]
    )  # fmt: skip

    assert [(s["number"], s["synopsis"]) for s in merged["scenes"]] == [(1, "a"), (2, "b, longer"), (3, "c")]
    assert merged["characters"] == [{"name": "ADA", "description": "keeper", "scenes": [1, 2, 3]}]
