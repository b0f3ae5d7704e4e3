"""Guard against invented facts in model text.

A sentence that names a number, an image (``name:tag`` or a well-known base image), a Dockerfile
instruction or a rule code that the facts do not contain is dropped; the count of dropped
sentences goes to ``llm_metrics.guard_removals``. A fact in another spelling is not an
invention: "85%" or "-85.3%" for "-85.3%", "1.1 GB" for "1145 MB", ``docker.io/library/golang:1.22``
for ``golang:1.22``, "USER" when the facts say "non-root user".

Every kept sentence states at least one checkable fact of the run: a number, a candidate id, a rule
code, an instruction keyword, an image, or a claim the facts can check (``Facts.claims``: the size or
layers go down, up or stay, the risk is low, medium or high; a wrong one is a contradiction, below).
A sentence without one ("The original Dockerfile is
designed to build a Docker image with a specific build stage.") says nothing a developer can check:
it is dropped as filler and counted apart (``vague``), since it is not an invention. Sharing an
ordinary word with the facts ("stage", "cache") is no fact.

A sentence that contradicts the facts (``Facts.claims``: the size goes down, stays the same or goes
up, the risk is medium), a sentence kept before it ("smaller" then "larger"; "from 17 MB to 1145 MB"
when the image shrinks; "stays at 881 MB" when it shrinks; the original's size given as the image size),
or itself ("drops from 1103 MB to 1103 MB") is dropped and counted as a contradiction.

A sentence that repeats words the reader already has (``Facts.own_words``: CODI's own sentences and
the catalog's description of the candidate), most of it as one run of the same words, adds nothing:
it is dropped and counted as ``copied``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

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
_CANDIDATE = re.compile(r"\b\d{3}-[a-z0-9][a-z0-9.-]*[a-z0-9]\b")
# Claims a sentence can make about the run, as (topic, value); the facts' own claims are data (Facts.claims).
_SIZE_TOPIC = re.compile(r"\b(size|image|MB|GB)\b|%", re.IGNORECASE)
_SIZE_DOWN = re.compile(r"\b(smaller|shrinks?|shrunk|reduc(?:e|es|ed|ing)|lighter|slimmer|saves?|cuts?|"
                        r"decreases?|less space|drops?|dropped|falls?|fell|goes down|went down|trims?|trimmed)\b",
                        re.IGNORECASE)
_SIZE_UP = re.compile(r"\b(larger|bigger|grows?|heavier|increases?|adds? more|rises?|rose|goes up|went up)\b",
                      re.IGNORECASE)
# "The image size stays at 881 MB" when the candidate is 99% smaller: a claim that nothing changes.
_SIZE_SAME = re.compile(r"\b(stays?|stayed|remains?|remained|keeps?|kept|retains?|retained|unchanged|"
                        r"the same size|does not change|doesn't change|no change)\b", re.IGNORECASE)
# "the original image is 1103 MB": a sentence that names the original before the figure may mean it.
_ORIGINALS = re.compile(r"\boriginal(?:'s)?\b", re.IGNORECASE)
_LAYERS = re.compile(r"\b(fewer|more)\s+layers\b", re.IGNORECASE)
_RISK = re.compile(r"\b(low|medium|high)[- ]risk\b|\brisk\s+(?:is\s+|of\s+|level\s+)?(low|medium|high)\b",
                   re.IGNORECASE)
_FROM_TO = re.compile(r"\bfrom\s+(\d+(?:[.,]\d+)*)\s*(GB|MB)?\s*(?:to|->)\s*(\d+(?:[.,]\d+)*)\s*(GB|MB)?",
                      re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
COPY_SHARE = 0.6  # this share of a sentence's words in one run shared with CODI's words makes it a copy
COPY_MIN_WORDS = 5
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


def _near(a: float, b: float) -> bool:
    """The same size as written: rounded to a whole MB, or to a tenth of a GB ("1.1 GB" for 1103 MB)."""
    return abs(a - b) <= max(1.0, 0.05 * max(a, b))


def _decimals(token: str) -> int:
    return len(token.partition(".")[2])


def _megabytes(token: str, unit: str) -> float | None:
    value = _float(_num(token))
    return None if value is None else value * (1000 if unit.upper() == "GB" else 1)


def claims(sentence: str) -> list[tuple[str, str]]:
    """What a sentence says about the direction of the size and layers, and about the risk."""
    out: list[tuple[str, str]] = []
    for m in _FROM_TO.finditer(sentence):
        before, after = _megabytes(m.group(1), m.group(2) or ""), _megabytes(m.group(3), m.group(4) or "")
        if before is not None and after is not None:
            topic = "layers" if re.search(r"\blayers?\b", sentence, re.IGNORECASE) else "size"
            # "drops from 1103 MB to 1103 MB": as written, nothing changes, whatever the verb says
            out.append((topic, "same" if before == after else "down" if after < before else "up"))
    if _SIZE_TOPIC.search(sentence) and not re.search(r"\blayers?\b", sentence, re.IGNORECASE):
        down, up = bool(_SIZE_DOWN.search(sentence)), bool(_SIZE_UP.search(sentence))
        if down != up:
            out.append(("size", "down" if down else "up"))
        elif not down and _SIZE_SAME.search(sentence):
            out.append(("size", "same"))
    out += [("layers", "down" if m.group(1).lower() == "fewer" else "up") for m in _LAYERS.finditer(sentence)]
    out += [("risk", (m.group(1) or m.group(2)).lower()) for m in _RISK.finditer(sentence)]
    return list(dict.fromkeys(out))


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
    claims: dict[str, str] = field(default_factory=dict)  # what is true: {"size": "down", "risk": "medium"}
    numbers: set[str] = field(default_factory=set)
    lowered: str = ""
    values: list[float] = field(default_factory=list)  # the fact numbers, for rounded mentions
    megabytes: list[float] = field(default_factory=list)  # numbers given in MB, for mentions in GB
    own_words: list[str] = field(default_factory=list)  # what the reader already has: a copy adds nothing

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
        for cid in _CANDIDATE.findall(sentence):
            if cid not in self.text:
                bad.append(cid)
        return bad

    def anchored(self, sentence: str) -> bool:
        """Whether the sentence states a checkable fact: a number, an image, an instruction, a rule code
        or a candidate id (run after ``invented`` found nothing, so each of them is a fact of the run)."""
        return any(p.search(sentence) for p in (_NUMBER, _IMAGE, _FAMILY, _INSTRUCTION, _CODE, _CANDIDATE))

    def copied(self, sentence: str) -> bool:
        """Most of the sentence is one run of words from CODI's own sentences or the catalog description."""
        words = _WORD.findall(sentence.lower())
        if len(words) < COPY_MIN_WORDS:
            return False
        for source in self.own_words:
            theirs = _WORD.findall(source.lower())
            match = SequenceMatcher(None, words, theirs, autojunk=False).find_longest_match(
                0, len(words), 0, len(theirs))
            if match.size >= COPY_MIN_WORDS and match.size >= COPY_SHARE * len(words):
                return True
        return False

    def misread_size(self, sentence: str) -> list[str]:
        """A sentence about the candidate that gives the original's size as the image size ("The image size
        keeps its estimated value of 881 MB" when the candidate is 5 MB): one size figure, no from/to and no
        direction, equal to the original's and not the candidate's (``claims["size_mb"]``: "881->5")."""
        before, _, after = self.claims.get("size_mb", "").partition("->")
        old, new = _float(before), _float(after)
        if old is None or new is None or _near(old, new) or _FROM_TO.search(sentence):
            return []
        if _SIZE_DOWN.search(sentence) or _SIZE_UP.search(sentence):
            return []
        figures = [m for m in _NUMBER_UNIT.finditer(sentence) if m.group(2)]  # numbers with a size unit
        if len(figures) != 1:
            return []
        value = _megabytes(figures[0].group(1), figures[0].group(2))
        if value is None or not _near(value, old) or _near(value, new) or _ORIGINALS.search(sentence[:figures[0].start()]):
            return []
        return [f"size {figures[0].group(0)} is the original's (the candidate: {after} MB)"]

    def contradicted(self, said: list[tuple[str, str]]) -> list[str]:
        """The claims of ``said`` that the facts contradict."""
        return [f"{topic} {value} (the facts: {self.claims[topic]})" for topic, value in said
                if topic in self.claims and self.claims[topic] != value]


@dataclass(slots=True)
class Guarded:
    text: str
    kept: int
    removals: int  # sentences dropped for inventing something
    removed: list[str] = field(default_factory=list)  # why each dropped sentence went
    vague: int = 0  # sentences dropped for stating no checkable fact (filler)
    contradictions: list[str] = field(default_factory=list)  # why each contradicting sentence went
    sentences: int = 0  # sentences the model wrote (an unfinished last one included)
    copied: int = 0  # sentences dropped for repeating CODI's own words or the catalog description

    @property
    def acceptance(self) -> float | None:
        """Accepted sentences / model sentences (None when the model wrote none)."""
        return round(self.kept / self.sentences, 3) if self.sentences else None

    def why_unused(self) -> str:
        """Why sentences were dropped, in words (empty when none was)."""
        parts = []
        if self.removals:
            parts.append(f"{self.removals} invented {'; '.join(self.removed)}")
        if self.contradictions:
            parts.append(f"{len(self.contradictions)} contradicted {'; '.join(self.contradictions)}")
        if self.copied:
            parts.append(f"{self.copied} repeated CODI's own words or the catalog description")
        if self.vague:
            parts.append(f"{self.vague} stated no checkable fact (no number, candidate, rule code, instruction "
                         "or image)")
        unfinished = (self.sentences - self.kept - self.removals - len(self.contradictions) - self.vague
                      - self.copied)
        if unfinished > 0:
            parts.append(f"{unfinished} unfinished, repeated or over the limit")
        return "; ".join(parts)


def sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s.strip() for s in _SENTENCE.split(flat) if s.strip()]


def guard(text: str, facts: Facts, max_sentences: int = 4) -> Guarded:
    """Keep at most ``max_sentences`` sentences that state a fact, invent nothing and contradict nothing."""
    kept: list[str] = []
    removed: list[str] = []
    contradictions: list[str] = []
    said: dict[str, str] = {}  # the claims of the sentences kept so far
    vague = copied = 0
    written = sentences(text)
    for sentence in written:
        if not sentence.rstrip().endswith((".", "!", "?")):
            continue  # cut off by max_tokens: unfinished, not invented
        bad = facts.invented(sentence)
        if bad:
            removed.append(", ".join(dict.fromkeys(bad)))
            continue
        own = claims(sentence)
        if not facts.anchored(sentence) and not any(topic in facts.claims for topic, _ in own):
            vague += 1
            continue
        if facts.copied(sentence):
            copied += 1
            continue
        against = facts.contradicted(own) + facts.misread_size(sentence) + [
            f"{t} {v} (an earlier sentence: {said[t]})" for t, v in own if said.get(t, v) != v]
        topics = [t for t, _ in own]
        against += [f"{t} both ways in one sentence" for t in dict.fromkeys(topics) if topics.count(t) > 1]
        if against:
            contradictions.append(", ".join(against))
            continue
        if len(kept) < max_sentences and sentence not in kept:
            kept.append(sentence)
            said.update(own)
    return Guarded(text=" ".join(kept), kept=len(kept), removals=len(removed), removed=removed, vague=vague,
                   contradictions=contradictions, sentences=len(written), copied=copied)
