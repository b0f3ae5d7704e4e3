"""One run's analysed texts: each exact text is parsed once and modelled once per set of build args.

The service owns one ``Texts`` per run (``Analysis.texts``) and passes it down explicitly to the fix loop,
the drafts, the polish steps and the candidate checks, so that a text two steps read (a fix round's result
that becomes a candidate, a rendered template that polishing leaves as it is) is not parsed again. Texts
that differ are different texts. The original and the candidates' texts are kept for the whole run
(``keep``); other texts (fix trials) only while they are among the last ``limit`` looked up, so that a fix
loop over a huge file does not hold hundreds of trees.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from codi.parser import ParseError
from codi.parser.model import Dockerfile
from codi.parser.parse import parse_syntax, validated
from codi.parser.semantic import Model, build_model
from codi.rules.base import Finding
from codi.service.linting import ProjectLinter

ArgsKey = tuple[tuple[str, str], ...]


@dataclass(slots=True)
class _Entry:
    tree: Dockerfile | ParseError  # BuildKit's parser stage, or why it failed
    checks: dict[bool, ParseError | None] = field(default_factory=dict)  # lint_mode -> validated()'s verdict
    models: dict[ArgsKey, Model] = field(default_factory=dict)


class Texts:
    """text -> its tree (parse_syntax), its strict check (validated) and its models, each computed once."""

    def __init__(self, path: str, limit: int = 32) -> None:
        self.path = path  # every tree carries the project's Dockerfile path: the lint reuses it as it is
        self.limit = limit
        self._kept: dict[str, _Entry] = {}
        self._recent: OrderedDict[str, _Entry] = OrderedDict()

    def add(self, df: Dockerfile, model: Model | None = None, build_args: Mapping[str, str] | None = None) -> None:
        """A tree (and model) the caller already made of ``df.text`` (the analysed original); kept."""
        entry = self._kept.setdefault(df.text, _Entry(df))
        if model is not None:
            entry.models[_key(build_args)] = model

    def keep(self, text: str) -> None:
        """Keep ``text``'s analysis for the rest of the run (a candidate's text, read by later steps)."""
        entry = self._recent.pop(text, None)
        if entry is not None:
            self._kept[text] = entry

    def _entry(self, text: str) -> _Entry:
        entry = self._kept.get(text)
        if entry is not None:
            return entry
        entry = self._recent.get(text)
        if entry is None:
            try:
                entry = _Entry(parse_syntax(text, self.path))
            except ParseError as exc:  # the same text fails the same way: not parsed again
                entry = _Entry(exc)
            self._recent[text] = entry
            while len(self._recent) > self.limit:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(text)
        return entry

    def tree(self, text: str) -> Dockerfile:
        """BuildKit's parser stage of ``text`` (``parse_syntax``); ParseError where it fails."""
        tree = self._entry(text).tree
        if isinstance(tree, ParseError):
            raise tree
        return tree

    def checked(self, text: str, lint_mode: bool = False) -> Dockerfile:
        """``parse(text, lint_mode=...)``: the tree when ``docker build`` accepts it, else ParseError."""
        entry = self._entry(text)
        if isinstance(entry.tree, ParseError):
            raise entry.tree
        if lint_mode not in entry.checks:
            try:
                validated(entry.tree, lint_mode=lint_mode)
                entry.checks[lint_mode] = None
            except ParseError as exc:
                entry.checks[lint_mode] = exc
        problem = entry.checks[lint_mode]
        if problem is not None:
            raise problem
        return entry.tree

    def model(self, text: str, build_args: Mapping[str, str] | None = None) -> Model:
        """The semantic model of ``text`` (which parses) under ``build_args``."""
        entry = self._entry(text)
        key = _key(build_args)
        if key not in entry.models:
            entry.models[key] = build_model(self.tree(text), dict(build_args or {}))
        return entry.models[key]

    def lint(self, linter: ProjectLinter, text: str, with_batch: bool = True) -> list[Finding]:
        """``linter.lint_text`` on this run's tree and model of ``text`` (a text that does not parse is linted as
        it is: the lint reports why). The lint takes no build args, so it reads the model without them."""
        try:
            tree = self.tree(text)
        except ParseError:
            return linter.lint_text(text, with_batch=with_batch)
        return linter.lint_text(text, with_batch=with_batch, syntax=tree, model=self.model(text))


def _key(build_args: Mapping[str, str] | None) -> ArgsKey:
    return tuple(sorted((build_args or {}).items()))
