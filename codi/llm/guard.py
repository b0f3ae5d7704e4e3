"""Guard against invented facts in model text.

A sentence that names a number, an image (``name:tag`` or a well-known base image), a Dockerfile
instruction or a rule code that the facts do not contain is dropped; the count of dropped
sentences goes to ``llm_metrics.guard_removals``. A fact in another spelling is not an
invention: "85%" or "-85.3%" for "-85.3%", "1.1 GB" for "1145 MB", ``docker.io/library/golang:1.22``
for ``golang:1.22``, "USER" when the facts say "non-root user".

A sentence that invents nothing but names nothing from the facts either ("The original Dockerfile
is designed to be a reproducible example.") says nothing a developer can use: it is dropped too,
and counted apart (``vague``), since it is not an invention.
"""

from __future__ import annotations

import math
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
_NUMBER_UNIT = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s*(GB|MB)\b)?", re.IGNORECASE)
_IMAGE = re.compile(r"\b[a-z0-9][a-z0-9._/-]*:[a-z0-9][\w.-]*\b", re.IGNORECASE)
_CODE = re.compile(r"\b[A-Z]{2,3}\d{3,4}\b")
_INSTRUCTION = re.compile(r"\b(" + "|".join(INSTRUCTIONS) + r")\b")
_FAMILY = re.compile(r"\b(" + "|".join(re.escape(f) for f in IMAGE_FAMILIES) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z-]{3,}")
# Words every sentence about a Dockerfile may use: sharing one of them with the facts is no anchor.
_GENERIC = frozenset(["dockerfile", "dockerfiles", "original", "image", "images", "build", "builds", "built", "building", "designed", "design", "example", "docker", "container", "containers", "file", "files", "version", "this", "that", "which", "with", "from", "have", "will", "into", "uses", "used", "using", "make", "makes", "made", "more", "less", "than", "also", "only", "some", "there", "their", "them", "they", "when", "what", "been", "being", "does", "just", "like", "very", "much", "such", "each", "other", "these", "those", "your", "about", "allow", "allows", "allowed", "process", "specific", "create", "creates", "created", "candidate", "candidates", "code", "runs", "running", "ensure", "ensures", "help", "helps", "better", "best", "well", "good", "great", "because", "while", "where", "after", "before", "over", "under", "same", "both", "then", "here", "first", "second", "change", "changes", "changed", "risk", "risks", "diff", "fixes", "fixed", "reduce", "reduces", "reduced", "potential", "significant"])

_HUB = ("docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "docker.io/",
        "library/")


def _num(token: str) -> str:
    token = token.replace(",", "")
    if "." in token:
        token = token.rstrip("0").rstrip(".")
    return token


def _float(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:  # a version such as 1.22.3
        return None


def _decimals(token: str) -> int:
    return len(token.partition(".")[2])


def _image(name: str) -> str:
    """``docker.io/library/python:3.12`` and ``python:3.12`` name the same image."""
    name = name.lower()
    for prefix in _HUB:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


@dataclass(slots=True)
class Facts:
    """What the model may mention: numbers, images, instructions and codes found in the fact text."""

    text: str
    numbers: set[str] = field(default_factory=set)
    lowered: str = ""
    values: list[float] = field(default_factory=list)  # the fact numbers, for rounded mentions
    megabytes: list[float] = field(default_factory=list)  # numbers given in MB, for mentions in GB

    def __post_init__(self) -> None:
        self.lowered = self.text.lower()
        self.numbers = {_num(n) for n in _NUMBER.findall(self.text)}
        # "-12.5%" in the facts also allows "12.5"; both spellings of a number are the same fact.
        self.numbers |= {n.lstrip("-+") for n in self.numbers}
        self.values = [v for v in map(_float, self.numbers) if v is not None]
        self.megabytes = [v for n, unit in _NUMBER_UNIT.findall(self.text)
                          if unit.upper() == "MB" and (v := _float(_num(n))) is not None]
        # Images are compared without Docker Hub's default prefixes, on either side.
        for prefix in _HUB:
            self.lowered = self.lowered.replace(prefix, "")

    def _number_known(self, token: str, unit: str) -> bool:
        """Exactly in the facts, or a fact rounded or cut to the digits written ("85%" for
        "-85.3%"; "1.1 GB" for "1145 MB"). Versions such as 1.2.2 must match exactly."""
        number = _num(token)
        if number in self.numbers:
            return True
        value = _float(number)
        if value is None:
            return False
        places = _decimals(number)
        half = 0.5 * 10 ** -places + 1e-9
        finer = [fact for fact in self.values if _decimals(_num(f"{fact}")) > places]
        if any(abs(fact - value) <= half for fact in finer):
            return True
        if places == 0 and any(math.trunc(fact) == value for fact in finer):
            return True  # "80%" for "80.8%": cut, not rounded, is still the same fact
        return unit.upper() == "GB" and any(abs(fact / 1000 - value) <= half for fact in self.megabytes)

    def invented(self, sentence: str) -> list[str]:
        """The tokens of a sentence that are not in the facts."""
        bad: list[str] = []
        for token, unit in _NUMBER_UNIT.findall(sentence):
            if not self._number_known(token, unit):
                bad.append(token)
        for image in _IMAGE.findall(sentence):
            if re.fullmatch(r"[\d.:]+", image):
                continue  # a time or a ratio, checked as numbers above
            if _image(image) not in self.lowered:
                bad.append(image)
        for family in _FAMILY.findall(sentence):
            if family.lower() not in self.lowered:
                bad.append(family)
        for word in _INSTRUCTION.findall(sentence):
            # "runs as a non-root user" in the facts supports "USER": the keyword is an English word too.
            if not re.search(rf"\b{word}\b", self.text, re.IGNORECASE):
                bad.append(word)
        for code in _CODE.findall(sentence):
            if code not in self.text:
                bad.append(code)
        return bad

    def anchored(self, sentence: str) -> bool:
        """Whether the sentence names something from the facts (run after ``invented`` found nothing,
        so any number, image, instruction or code in it is a fact), or shares a specific word."""
        if _NUMBER.search(sentence) or _IMAGE.search(sentence) or _FAMILY.search(sentence):
            return True
        if _INSTRUCTION.search(sentence) or _CODE.search(sentence):
            return True
        return any(word not in _GENERIC and re.search(rf"\b{re.escape(word)}\b", self.lowered)
                   for word in _WORD.findall(sentence.lower()))


@dataclass(slots=True)
class Guarded:
    text: str
    kept: int
    removals: int  # sentences dropped for inventing something
    removed: list[str] = field(default_factory=list)  # why each dropped sentence went
    vague: int = 0  # sentences dropped for naming nothing from the facts


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s.strip() for s in _SENTENCE.split(flat) if s.strip()]


def guard(text: str, facts: Facts, max_sentences: int = 4) -> Guarded:
    """Keep at most ``max_sentences`` sentences that invent nothing; count the ones dropped."""
    kept: list[str] = []
    removed: list[str] = []
    vague = 0
    for sentence in sentences(text):
        if not sentence.rstrip().endswith((".", "!", "?")):
            continue  # cut off by max_tokens: unfinished, not invented
        bad = facts.invented(sentence)
        if bad:
            removed.append(", ".join(dict.fromkeys(bad)))
            continue
        if not facts.anchored(sentence):
            vague += 1
            continue
        if len(kept) < max_sentences and sentence not in kept:
            kept.append(sentence)
    return Guarded(text=" ".join(kept), kept=len(kept), removals=len(removed), removed=removed, vague=vague)
