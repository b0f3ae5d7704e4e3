"""The invention guard accepts what the facts say in other spellings, and still drops inventions."""

from __future__ import annotations

import pytest

from codi.llm.guard import Facts, guard

FACTS = Facts("Change: Static Go binary on distroless static.\n"
              "Runtime image: gcr.io/distroless/static-debian12:nonroot.\n"
              "Size (estimated): 1145 MB before, 17 MB after, 1128 MB smaller (-98.5%).\n"
              "Layers: 4 before, 1 after.\n"
              "Fixes: CD306 no-user-in-final-image (line 2); it runs as a non-root user.\n"
              "Diff:\n-FROM golang:1.22\n+FROM golang:1.22 AS build\n+COPY go.mod ./go.mod")


@pytest.mark.parametrize("sentence", [
    "The image is 98.5% smaller.",                      # sign dropped
    "The image is -98.5% smaller.",
    "It shrinks the image by about 98%.",               # cut to whole percent
    "It shrinks the image by about 99%.",               # rounded to whole percent
    "The image goes from 1.1 GB to 17 MB.",             # MB written as GB, rounded
    "The image goes from 1145MB to 17MB.",              # no space before the unit
    "It saves 1,128 MB.",                               # thousands separator
    "The build stage uses docker.io/library/golang:1.22.",  # Docker Hub's default prefix
    "The build stage uses golang.",                     # image family without its tag
    "It builds on Go 1.22.",
    "It adds a USER so it does not run as root.",       # keyword spelled as the English word in the facts
    "The COPY of go.mod comes first.",
    "It fixes CD306 from line 2.",
    "Layers go from 4 to 1.",
])
def test_guard_accepts_facts_in_other_spellings(sentence: str) -> None:
    out = guard(sentence, FACTS)
    assert out.removals == 0 and out.text == sentence, out.removed


@pytest.mark.parametrize(("sentence", "token"), [
    ("The image is 97% smaller.", "97"),                # neither rounded nor cut from 98.5
    ("The image is 90.5% smaller.", "90.5"),
    ("It saves 3 GB.", "3"),                            # 1145 MB is 1.1 GB, not 3
    ("It saves 1000 MB.", "1000"),                      # 1128 rounded to a precision the facts never had
    ("It is built with Go 1.2.2.", "1.2.2"),
    ("It runs on alpine:3.19.", "alpine:3.19"),
    ("It uses golang:1.21 for the build.", "golang:1.21"),
    ("It runs on Ubuntu.", "Ubuntu"),
    ("It adds a HEALTHCHECK.", "HEALTHCHECK"),
    ("It fixes DL3008 too.", "DL3008"),
    ("Java 8 is not needed.", "8"),
])
def test_guard_still_drops_inventions(sentence: str, token: str) -> None:
    out = guard(sentence, FACTS)
    assert out.removals == 1 and out.text == "" and token in out.removed[0]


def test_times_are_numbers_not_images() -> None:
    out = guard("It finished at 10:30.", Facts("Built at 10:30."))
    assert out.removals == 0
    assert guard("It finished at 11:45.", Facts("Built at 10:30.")).removals == 1


def test_a_sentence_must_state_a_checkable_fact() -> None:
    """A shared ordinary word ("pip", "cache", "user") is no fact: only numbers, ids, codes, keywords, images."""
    facts = Facts("Runtime: python:3.12-slim. Fixes: pip-no-cache-dir (line 4). Runs as a non-root user.")
    out = guard("The original Dockerfile is designed to be a reproducible example. "
                "It runs as a non-root USER. It drops the pip cache. It runs as a non-root user.", facts)
    assert out.kept == 1 and out.vague == 3 and out.removals == 0
    assert out.text == "It runs as a non-root USER."


@pytest.mark.parametrize(("sentence", "truth", "kept"), [
    # what the shipped adapter wrote in `make demo` (go: 888 MB -> 4.8 MB; node: 1103.8 -> 1102.6 MB)
    ("The image size stays at 881 MB.", "down", False),
    ("The estimated image size drops from 1103 MB to 1103 MB.", "down", False),
    ("The estimated image size drops from 698 MB to 293 MB.", "down", True),
    ("The image size stays at 881 MB.", "same", True),
    ("The image size falls to 881 MB.", "up", False),
    ("The image size rises to 881 MB.", "down", False),
])
def test_a_size_that_stays_or_moves_must_be_what_the_run_says(sentence: str, truth: str, kept: bool) -> None:
    facts = Facts("original 888 MB, 1103 MB, 698 MB; candidate 881 MB, 293 MB", claims={"size": truth})
    got = guard(sentence, facts)
    assert (got.kept == 1) is kept, got
    if not kept:
        assert got.contradictions


@pytest.mark.parametrize(("sentence", "kept"), [
    # what the shipped adapter wrote in `make demo` (go: 881 MB -> 5 MB; python: 1062 MB -> 151 MB)
    ("The image size keeps its estimated value of 881 MB.", False),
    ("It resolves 9 findings of the original, including the estimated image size of 881 MB.", True),
    ("The image is 0.9 GB.", False),
    ("The candidate image is 5 MB.", True),
    ("The original image is 881 MB.", True),
    ("It saves 876 MB against the original.", True),
    ("The estimated image size goes from 881 MB to 5 MB.", True),
])
def test_the_originals_size_is_not_the_candidates(sentence: str, kept: bool) -> None:
    facts = Facts("Size (estimated): 881 MB -> 5 MB, 876 MB smaller (-99.4%). Fixes 9 findings.",
                  claims={"size": "down", "size_mb": "881->5"})
    got = guard(sentence, facts)
    assert (got.kept == 1) is kept, got
    if not kept:
        assert got.contradictions


def test_the_size_figures_come_from_the_candidate_claims() -> None:
    from llmkit import candidate, numbers

    from codi.artifacts.models import ImageNumbers
    from codi.llm.prompts import candidate_claims

    n = numbers("002-slim", -99.4)
    original = ImageNumbers(size_bytes=881_000_000, layers=9)
    n.size_bytes = 5_000_000
    assert candidate_claims(candidate("002-slim", "slim"), n, original)["size_mb"] == "881->5"
