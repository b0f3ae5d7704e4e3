"""Guard against invented facts in model text.

A sentence that names a number, an image (``name:tag`` or a well-known base image), a Dockerfile
instruction or a rule code that the facts do not contain is dropped; the count of dropped
sentences goes to ``llm_metrics.guard_removals``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

INSTRUCTIONS = ("FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR", "EXPOSE", "CMD",
                "ENTRYPOINT", "HEALTHCHECK", "LABEL", "VOLUME", "ONBUILD", "STOPSIGNAL", "SHELL", "MAINTAINER")
IMAGE_FAMILIES = ("alpine", "debian", "ubuntu", "busybox", "distroless", "scratch", "centos", "fedora",
                  "amazonlinux", "node", "python", "golang", "openjdk", "eclipse-temurin", "temurin", "maven",
                  "gradle", "nginx", "ruby", "php", "rust", "dotnet", "bookworm", "bullseye", "buster", "jammy",
                  "noble", "focal", "slim", "chainguard", "wolfi", "ubi")

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_IMAGE = re.compile(r"\b[a-z0-9][a-z0-9._/-]*:[a-z0-9][\w.-]*\b", re.IGNORECASE)
_CODE = re.compile(r"\b[A-Z]{2,3}\d{3,4}\b")
_INSTRUCTION = re.compile(r"\b(" + "|".join(INSTRUCTIONS) + r")\b")
_FAMILY = re.compile(r"\b(" + "|".join(re.escape(f) for f in IMAGE_FAMILIES) + r")\b", re.IGNORECASE)


def _num(token: str) -> str:
    token = token.replace(",", "")
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token


@dataclass(slots=True)
class Facts:
    """What the model may mention: numbers, images, instructions and codes found in the fact text."""

    text: str
    numbers: set[str] = field(default_factory=set)
    lowered: str = ""

    def __post_init__(self) -> None:
        self.lowered = self.text.lower()
        self.numbers = {_num(n) for n in _NUMBER.findall(self.text)}
        # "-12.5%" in the facts also allows "12.5"; both spellings of a number are the same fact.
        self.numbers |= {n.lstrip("-+") for n in self.numbers}

    def invented(self, sentence: str) -> list[str]:
        """The tokens of a sentence that are not in the facts."""
        bad: list[str] = []
        for n in _NUMBER.findall(sentence):
            if _num(n) not in self.numbers:
                bad.append(n)
        for image in _IMAGE.findall(sentence):
            if image.lower() not in self.lowered:
                bad.append(image)
        for family in _FAMILY.findall(sentence):
            if family.lower() not in self.lowered:
                bad.append(family)
        for word in _INSTRUCTION.findall(sentence):
            if not re.search(rf"\b{word}\b", self.text):
                bad.append(word)
        for code in _CODE.findall(sentence):
            if code not in self.text:
                bad.append(code)
        return bad


@dataclass(slots=True)
class Guarded:
    text: str
    kept: int
    removals: int
    removed: list[str] = field(default_factory=list)  # why each dropped sentence went


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s.strip() for s in _SENTENCE.split(flat) if s.strip()]


def guard(text: str, facts: Facts, max_sentences: int = 4) -> Guarded:
    """Keep at most ``max_sentences`` sentences that invent nothing; count the ones dropped."""
    kept: list[str] = []
    removed: list[str] = []
    for sentence in sentences(text):
        if not sentence.rstrip().endswith((".", "!", "?")):
            continue  # cut off by max_tokens: unfinished, not invented
        bad = facts.invented(sentence)
        if bad:
            removed.append(", ".join(dict.fromkeys(bad)))
            continue
        if len(kept) < max_sentences and sentence not in kept:
            kept.append(sentence)
    return Guarded(text=" ".join(kept), kept=len(kept), removals=len(removed), removed=removed)
