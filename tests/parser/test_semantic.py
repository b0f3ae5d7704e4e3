"""Stages, the stage graph and ARG/ENV scoping."""

from __future__ import annotations

from pathlib import Path

import pytest

from codi.parser import ParseError, parse, parse_file, parse_syntax
from codi.parser.model import Instruction
from codi.parser.semantic import BUILTIN_ARGS, Model, build_model


def model_of(text: str, **build_args: str) -> Model:
    return build_model(parse(text), build_args or None)


def instr_at(model: Model, line: int) -> Instruction:
    for instr in model.dockerfile.instructions:
        if instr.start_line == line:
            return instr
    raise AssertionError(f"no instruction on line {line}")


MULTI = """\
ARG BASE=python:3.12
ARG TAG
FROM ${BASE}-slim AS Builder
RUN pip wheel .
FROM --platform=$BUILDPLATFORM golang:1.22 as tools
ONBUILD COPY --from=builder /x /y
FROM builder
COPY --from=tools /go/bin/x /usr/bin/x
FROM alpine:${TAG:-3.20}
COPY --from=0 /wheels /wheels
COPY --from=nginx:latest /etc/nginx /etc/nginx
RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=TOOLS,source=/a,target=/b make
FROM img:$TAG
"""


def test_stages() -> None:
    model = model_of(MULTI)
    stages = model.stages
    assert [s.index for s in stages] == [0, 1, 2, 3, 4]
    assert [s.name for s in stages] == ["builder", "tools", None, None, None]
    assert [s.name_raw for s in stages] == ["Builder", "tools", None, None, None]
    assert [s.base for s in stages] == [
        "${BASE}-slim",
        "golang:1.22",
        "builder",
        "alpine:${TAG:-3.20}",
        "img:$TAG",
    ]
    assert [s.base_resolved for s in stages] == [
        "python:3.12-slim",
        "golang:1.22",
        "builder",
        "alpine:3.20",
        None,
    ]
    assert [s.platform for s in stages] == [None, "$BUILDPLATFORM", None, None, None]
    assert [s.base_stage for s in stages] == [None, None, 0, None, None]
    assert stages[0].from_instr.start_line == 3
    assert [i.start_line for i in stages[0].instructions] == [4]
    assert [i.keyword for i in stages[1].instructions] == ["ONBUILD"]
    assert [i.start_line for i in stages[3].instructions] == [10, 11, 12]
    assert model.final_stage is stages[4]
    assert [i.start_line for i in model.global_args] == [1, 2]


def test_stage_of() -> None:
    model = model_of(MULTI)
    assert model.stage_of(instr_at(model, 1)) is None
    assert model.stage_of(instr_at(model, 3)) is model.stages[0]
    assert model.stage_of(instr_at(model, 4)) is model.stages[0]
    onbuild = instr_at(model, 6)
    assert model.stage_of(onbuild) is model.stages[1]
    assert onbuild.inner is not None and model.stage_of(onbuild.inner) is model.stages[1]
    assert model.stage_of(instr_at(model, 12)) is model.stages[3]


def test_stage_by_ref() -> None:
    model = model_of(MULTI)
    assert model.stage_by_ref("builder") is model.stages[0]
    assert model.stage_by_ref("BUILDER") is model.stages[0]
    assert model.stage_by_ref("1") is model.stages[1]
    assert model.stage_by_ref("9") is None
    assert model.stage_by_ref("nginx:latest") is None
    assert model.stage_by_ref("tools", before=1) is None
    assert model.stage_by_ref("tools", before=2) is model.stages[1]
    assert model.stage_by_ref("3", before=3) is None


def test_copy_from_edges() -> None:
    model = model_of(MULTI)
    edges = [(src, dst, instr.start_line) for src, dst, instr in model.copy_from_edges()]
    # ONBUILD's COPY is not an edge; the nginx image is not a stage; cache mount has no from
    assert edges == [(1, 2, 8), (0, 3, 10), (1, 3, 12)]


def test_copy_from_variable_is_not_an_edge() -> None:
    # BuildKit builds the stage graph before expansion and rejects variables in --from
    model = model_of("FROM a AS one\nFROM b\nARG SRC=one\nCOPY --from=$SRC /x /y\nCOPY --from=ONE /x /y\n")
    assert [(s, d, i.start_line) for s, d, i in model.copy_from_edges()] == [(0, 1, 5)]


def test_global_args_only_visible_to_from() -> None:
    model = model_of("ARG V=1\nFROM img:$V\nRUN echo $V\nARG V\nRUN echo $V\n")
    assert model.vars_at(instr_at(model, 2))["V"] == "1"
    assert "V" not in model.vars_at(instr_at(model, 3))
    assert model.vars_at(instr_at(model, 5))["V"] == "1"  # re-declared: inherits the global default


def test_builtin_platform_args() -> None:
    model = model_of("FROM --platform=$BUILDPLATFORM a\nRUN x\nARG TARGETARCH\nRUN y\n")
    from_vars = model.vars_at(instr_at(model, 1))
    assert all(from_vars[name] is None for name in BUILTIN_ARGS)
    assert "TARGETARCH" not in model.vars_at(instr_at(model, 2))
    assert "TARGETARCH" in model.vars_at(instr_at(model, 4))
    assert model.vars_at(instr_at(model, 4))["TARGETARCH"] is None
    given = model_of("FROM a\nARG TARGETARCH\nRUN y\n", TARGETARCH="arm64")
    assert given.vars_at(instr_at(given, 3))["TARGETARCH"] == "arm64"


def test_sees_only_earlier_declarations() -> None:
    text = "FROM a\nRUN one\nARG A=1\nRUN two\nENV B=$A-b\nRUN three\n"
    model = model_of(text)
    assert model.vars_at(instr_at(model, 2)) == {}
    assert model.vars_at(instr_at(model, 3)) == {}  # an instruction does not see itself
    assert model.vars_at(instr_at(model, 4)) == {"A": "1"}
    assert model.vars_at(instr_at(model, 6)) == {"A": "1", "B": "1-b"}


def test_arg_without_value_is_none() -> None:
    model = model_of("FROM a\nARG X\nENV Y=$X Z=${X:-dflt}\nRUN x\n")
    assert model.vars_at(instr_at(model, 4)) == {"X": None, "Y": None, "Z": "dflt"}


def test_env_over_arg_and_order() -> None:
    model = model_of("FROM a\nARG V=arg\nENV V=env\nRUN one\nARG V\nRUN two\nARG V=again\nRUN three\n")
    assert model.vars_at(instr_at(model, 4))["V"] == "env"
    assert model.vars_at(instr_at(model, 6))["V"] == "env"  # ARG without value keeps ENV's
    assert model.vars_at(instr_at(model, 8))["V"] == "again"  # BuildKit: a later ARG value replaces it


def test_global_arg_without_value_keeps_env() -> None:
    model = model_of("ARG G\nARG H=h\nFROM a\nENV G=env H=env\nARG G H\nRUN x\n")
    assert model.vars_at(instr_at(model, 6)) == {"G": "env", "H": "h"}


def test_expansion_at_declaration() -> None:
    text = "FROM a\nENV a=1\nENV a=2 b=$a\nARG c=$a d=$c\nENV q=\"x y\" r='$a' s=\\$a\nRUN x\n"
    model = model_of(text)
    assert model.vars_at(instr_at(model, 6)) == {
        "a": "2",
        "b": "1",
        "c": "2",
        "d": "2",
        "q": "x y",
        "r": "$a",
        "s": "$a",
    }


def test_legacy_env_form() -> None:
    model = model_of("FROM a\nENV PATH /opt/bin:/usr/bin\nENV X y z\nRUN x\n")
    assert model.vars_at(instr_at(model, 4)) == {"PATH": "/opt/bin:/usr/bin", "X": "y z"}


def test_unknown_inherited_value_is_none() -> None:
    model = model_of("FROM a\nENV PATH=/opt/bin:$PATH\nRUN x\n")
    assert model.vars_at(instr_at(model, 3)) == {"PATH": None}


def test_child_stage_inherits_env_and_args() -> None:
    text = "FROM a AS base\nARG NAME=joe\nENV HOME=/h\nFROM base AS child\nRUN one\nFROM a\nRUN two\n"
    model = model_of(text)
    assert model.vars_at(instr_at(model, 5)) == {"NAME": "joe", "HOME": "/h"}
    assert model.vars_at(instr_at(model, 7)) == {}


def test_global_arg_chain_and_build_args() -> None:
    text = "ARG REG=docker.io\nARG IMG=$REG/lib/app\nARG V\nFROM $IMG:${V}\nARG V\nRUN x\n"
    model = model_of(text)
    assert model.stages[0].base_resolved is None
    assert model.vars_at(instr_at(model, 4))["IMG"] == "docker.io/lib/app"
    given = model_of(text, V="1.0", REG="ghcr.io")
    assert given.stages[0].base_resolved == "ghcr.io/lib/app:1.0"
    assert given.vars_at(instr_at(given, 6))["V"] == "1.0"


def test_escape_directive_is_used() -> None:
    model = model_of("# escape=`\nFROM a\nENV P=C:\\dir`$X\nRUN x\n")
    assert model.vars_at(instr_at(model, 4))["P"] == "C:\\dir$X"


def test_vars_at_is_read_only() -> None:
    # a view, not a copy per instruction (20,000 ENV lines took 5 GB of copies): the model cannot be
    # changed through it, and a copy of it can
    model = model_of("FROM a\nENV A=1\nRUN x\n")
    instr = instr_at(model, 3)
    with pytest.raises(TypeError):
        model.vars_at(instr)["A"] = "changed"  # type: ignore[index]
    copy = dict(model.vars_at(instr))
    copy["A"] = "changed"
    assert model.vars_at(instr)["A"] == "1"


def test_many_env_lines_share_one_timeline() -> None:
    text = "FROM a\n" + "".join(f"ENV V{i}=v{i}\n" for i in range(3000)) + "RUN x\n"
    model = model_of(text)
    last = instr_at(model, 3002)
    assert len(model.vars_at(last)) == 3000 and model.vars_at(last)["V2999"] == "v2999"
    assert "V10" not in model.vars_at(instr_at(model, 12)) and model.vars_at(instr_at(model, 13))["V10"] == "v10"


def test_no_stages() -> None:
    # `docker build` rejects a file without FROM (parse raises); the model of its syntax has no stages
    model = build_model(parse_syntax("ARG A=1\n"))
    assert model.stages == []
    assert model.final_stage is None
    assert model.copy_from_edges() == []


def test_corpus_models(corpus: list[Path]) -> None:
    """build_model on every corpus file: no exception, every instruction placed, edges valid."""
    built = 0
    for path in corpus:
        try:
            df = parse_file(str(path))
        except ParseError:
            continue
        model = build_model(df)
        built += 1
        assert len(model.global_args) + sum(1 + len(s.instructions) for s in model.stages) == len(
            df.instructions
        )
        for instr in df.instructions:
            stage = model.stage_of(instr)
            assert (stage is None) == (instr in model.global_args)
            assert isinstance(dict(model.vars_at(instr)), dict)  # a mapping every name of which reads
        for src, dst, instr in model.copy_from_edges():
            assert 0 <= src < len(model.stages) and model.stage_of(instr) is model.stages[dst]
    assert built > 600


def test_stage_chain_follows_from_stage_oldest_first() -> None:
    from codi.parser import parse
    from codi.parser.semantic import build_model

    model = build_model(parse("FROM a AS base\nFROM b AS other\nFROM base AS mid\nFROM mid\nRUN x\n"))
    assert [s.index for s in model.stage_chain(model.stages[3])] == [0, 2, 3]
    assert [s.index for s in model.stage_chain(model.stages[1])] == [1]
