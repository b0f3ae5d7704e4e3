"""Stages, the stage graph and ARG/ENV scoping, on top of the CST (BuildKit's rules).

Scoping, as BuildKit's dockerfile2llb does it (checked against its source and docs):

- ARGs before the first FROM are *global* (meta) ARGs. They are visible to FROM lines
  only, together with the built-in platform ARGs (TARGETPLATFORM, TARGETOS, ...,
  BUILDPLATFORM, ...), which have no value here unless ``build_args`` gives one.
- Inside a stage, ``ARG NAME`` without a default takes the global value of NAME (or the
  built-in's); ``ARG NAME=x`` takes ``x`` expanded with what is visible at that point;
  ``build_args`` (``--build-arg``) beat both for any ARG that is declared.
- ARG and ENV write to one environment, in order: a later ``ENV A=`` replaces an ARG A,
  and a later ``ARG A=x`` replaces an ENV A for the rest of the build (BuildKit adds ARG
  values to the build state's environment). ``ARG A`` with no value and no global or
  build-arg value leaves an existing A alone, or records A as declared-but-unset (None).
- ENV values (all pairs of one ENV) are expanded with what was visible before the ENV;
  ARG pairs one after the other (``ARG a=1 b=$a`` gives b=1).
- A stage ``FROM <earlier stage>`` starts with that stage's final environment, ARGs
  included (BuildKit inherits both; an external base image's ENV is unknown here).
- A value that depends on a variable without a known value is None (unknown), not the
  empty string BuildKit would substitute when no build-arg is given.

Stage names compare case-insensitively (BuildKit lower-cases ``AS`` names; a ``FROM``
that names an earlier stage in other case is matched too, a lenient reading that keeps
rules from mistaking it for an external image). Duplicate names: the latest wins.
``COPY --from`` and ``RUN --mount=...,from=`` name a stage (any stage, by name or index)
exactly as written; BuildKit refuses variables there, so ``--from=$X`` is no edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from codi.parser.bounds import ExpansionLimit, decimal, expansion_budget
from codi.parser.builtins import BUILTIN_ARGS
from codi.parser.envs import EnvView, Timeline
from codi.parser.expand import UnresolvedVariable, expand, expand_strict
from codi.parser.model import Dockerfile, Flag, Instruction
from codi.parser.mounts import parse_mount

Env = Mapping[str, str | None]


@dataclass(slots=True)
class Stage:
    index: int
    name: str | None  # lower-cased, as BuildKit compares stage names
    name_raw: str | None  # as written after AS
    base: str  # the image reference as written (FROM's first non-flag arg)
    base_resolved: str | None  # after substituting global ARGs; None if a variable has no value
    platform: str | None  # value of --platform, as written
    from_instr: Instruction
    instructions: list[Instruction] = field(default_factory=list)  # after FROM, up to the next FROM
    base_stage: int | None = None  # index of an earlier stage when FROM names it


@dataclass(slots=True)
class Model:
    dockerfile: Dockerfile
    global_args: list[Instruction]  # ARGs before the first FROM
    stages: list[Stage]
    # lookups filled by build_model; keyed by id() because instructions are not hashable
    _stage_of: dict[int, Stage] = field(default_factory=dict, repr=False)
    _vars: dict[int, EnvView] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Stage] = field(default_factory=dict, repr=False)
    _edges: list[tuple[int, int, Instruction]] = field(default_factory=list, repr=False)
    meta_args: Env = field(default_factory=dict)  # global + built-in ARGs, as FROM lines see them
    # values left unknown because expanding them passed a limit (codi.parser.bounds): (instruction, why)
    limits: list[tuple[Instruction, str]] = field(default_factory=list)
    build_args: Mapping[str, str] = field(default_factory=dict)  # the `--build-arg` values it was built with
    # expansion budget units its build charged: a lint that reuses the model charges them to its own budget
    expansion_spent: int = 0

    def stage_of(self, instr: Instruction) -> Stage | None:
        """The stage an instruction belongs to (None for global ARGs). A FROM belongs to
        the stage it starts; an ONBUILD's inner instruction to the ONBUILD's stage."""
        return self._stage_of.get(id(instr))

    def vars_at(self, instr: Instruction) -> Mapping[str, str | None]:
        """ARG and ENV values visible to ``instr`` (declared before it in its stage,
        plus global ARGs re-declared in the stage, plus what a parent stage set).
        For FROM and global ARGs: the global ARGs declared before it and the built-ins.
        An ARG without a known value maps to None. See the module doc for the order rules.
        A read-only view (``dict(...)`` it to change it); unknown instructions get {}."""
        env = self._vars.get(id(instr))
        return env if env is not None else {}

    def stage_by_ref(self, ref: str, before: int | None = None) -> Stage | None:
        """The stage named ``ref`` (case-insensitive) or numbered ``ref``; with ``before``,
        only stages with a smaller index (what a FROM at that index can name)."""
        limit = len(self.stages) if before is None else min(before, len(self.stages))
        if ref.isascii() and ref.isdigit():
            idx = decimal(ref)
            return self.stages[idx] if idx < limit else None
        if before is None:
            return self._by_name.get(ref.lower())
        return _latest_named(self.stages[:limit], ref.lower())

    def copy_from_edges(self) -> list[tuple[int, int, Instruction]]:
        """(source stage index, target stage index, instruction) for COPY --from / RUN --mount from=.
        Only references to stages of this file; external images are left out."""
        return list(self._edges)

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_chain(self, stage: Stage) -> list[Stage]:
        """``stage`` and the earlier stages it is built ``FROM``, oldest first: the stages whose
        layers make up ``stage``'s image."""
        chain = [stage]
        while (parent := chain[-1].base_stage) is not None and 0 <= parent < chain[-1].index:
            chain.append(self.stages[parent])
        chain.reverse()
        return chain


def _latest_named(stages: list[Stage], name: str) -> Stage | None:
    for stage in reversed(stages):
        if stage.name == name:
            return stage
    return None


def _arg_pairs(instr: Instruction) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for arg in instr.args:
        key, eq, value = arg.partition("=")
        if key:
            out.append((key, value if eq else None))
    return out


def _env_pairs(instr: Instruction) -> list[tuple[str, str]]:
    args = instr.args
    return [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 3)]


class _Builder:
    def __init__(self, df: Dockerfile, build_args: Mapping[str, str]) -> None:
        self.df = df
        self.esc = df.escape or "\\"
        self.build_args = build_args
        self.model = Model(df, [], [])

    def resolve(self, word: str, env: Mapping[str, str | None], instr: Instruction) -> str | None:
        """``word`` expanded, or None when a variable in it has no known value or a limit is passed."""
        try:
            return expand_strict(word, env, self.esc)
        except ExpansionLimit as exc:
            if not self.model.limits or self.model.limits[-1][0] is not instr:
                self.model.limits.append((instr, str(exc)))
            return None
        except UnresolvedVariable:
            return None

    def declare_arg(self, env: Timeline, instr: Instruction, fallback: Env) -> None:
        env.advance()
        for key, default in _arg_pairs(instr):  # one after the other: `ARG a=1 b=$a` gives b=1
            now = env.view()
            value: str | None
            if key in self.build_args:
                value = self.build_args[key]
            elif default is not None:
                value = self.resolve(default, now, instr)
            else:
                value = fallback.get(key)
                if value is None and key in now:
                    continue  # no value to set: BuildKit leaves the variable as it is
            env.set(key, value)

    def set_env(self, env: Timeline, instr: Instruction) -> None:
        before = env.view()  # every pair of one ENV sees what was there before it
        env.advance()
        for key, value in _env_pairs(instr):
            name = expand(key, before, self.esc)
            if name:
                env.set(name, self.resolve(value, before, instr))

    def build(self) -> Model:
        df, model = self.df, self.model
        instrs = df.instructions or [n for n in df.nodes if isinstance(n, Instruction)]
        # global ARGs (and the built-ins) as FROM lines see them; they stop changing at the first FROM
        globals_ = Timeline({name: self.build_args.get(name) for name in BUILTIN_ARGS})
        meta = globals_.view()
        finals: list[EnvView] = []
        env = globals_
        stage: Stage | None = None
        for instr in instrs:
            if instr.keyword == "FROM":
                if stage is not None:
                    finals.append(env.view())
                meta = globals_.view()
                stage = self.start_stage(instr, meta)
                env = Timeline(finals[stage.base_stage] if stage.base_stage is not None else None)
                model._vars[id(instr)] = meta
                continue
            model._vars[id(instr)] = env.view()
            if stage is None:
                if instr.keyword == "ARG":
                    model.global_args.append(instr)
                    self.declare_arg(globals_, instr, {})
                continue
            stage.instructions.append(instr)
            model._stage_of[id(instr)] = stage
            if instr.inner is not None:
                model._stage_of[id(instr.inner)] = stage
                model._vars[id(instr.inner)] = env.view()
            if instr.keyword == "ARG":
                self.declare_arg(env, instr, meta)
            elif instr.keyword == "ENV":
                self.set_env(env, instr)
        model.meta_args = dict(globals_.view())
        self.collect_edges()
        return model

    def start_stage(self, instr: Instruction, meta: Env) -> Stage:
        model = self.model
        args = instr.args
        base = args[0] if args else ""
        name_raw = args[2] if len(args) >= 3 and args[1].lower() == "as" else None
        resolved = self.resolve(base, meta, instr) or None
        platform = instr.flag("platform")
        stage = Stage(
            index=len(model.stages),
            name=name_raw.lower() if name_raw is not None else None,
            name_raw=name_raw,
            base=base,
            base_resolved=resolved,
            platform=platform.value if platform is not None else None,
            from_instr=instr,
        )
        parent = model._by_name.get((resolved or base).lower())
        if parent is not None:
            stage.base_stage = parent.index
        model.stages.append(stage)
        model._stage_of[id(instr)] = stage
        if stage.name is not None:
            model._by_name[stage.name] = stage
        return stage

    def collect_edges(self) -> None:
        model = self.model
        for stage in model.stages:
            for instr in stage.instructions:
                for _, ref in from_flags(instr):
                    # taken as written: BuildKit builds the graph before expanding and
                    # rejects variables in --from
                    source = model.stage_by_ref(ref)
                    if source is not None:
                        model._edges.append((source.index, stage.index, instr))


def from_flags(instr: Instruction) -> list[tuple[Flag, str]]:
    """(flag, reference) of COPY --from=... (the last one: BuildKit's) and of each RUN --mount=...,from=...,
    as written: a stage of the file or an image."""
    if instr.keyword == "COPY":
        flag = instr.flag("from")
        return [(flag, flag.value)] if flag is not None and flag.value else []
    if instr.keyword == "RUN":
        pairs = [(f, (parse_mount(f.value).from_ or "").strip("\"'"))
                 for f in instr.flags if f.name == "mount" and f.value]
        return [(f, ref) for f, ref in pairs if ref]
    return []


def build_model(dockerfile: Dockerfile, build_args: Mapping[str, str] | None = None) -> Model:
    """The semantic model of a parsed file; ``build_args`` act like ``--build-arg``."""
    with expansion_budget(len(dockerfile.text)) as budget:
        left = budget.left
        model = _Builder(dockerfile, build_args or {}).build()
        model.build_args = dict(build_args or {})
        model.expansion_spent = left - budget.left
        return model
