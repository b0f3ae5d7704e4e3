"""`RUN --mount` options are parsed once, in the parser, the way BuildKit reads them."""

from __future__ import annotations

from codi.parser import parse
from codi.parser.mounts import cache_targets, mounts, parse_mount


def test_fields_aliases_and_defaults() -> None:
    m = parse_mount("type=cache,dst=/root/.cache/pip,sharing=locked")
    assert (m.type, m.target, m.is_cache, m.options["sharing"]) == ("cache", "/root/.cache/pip", True, "locked")
    bind = parse_mount("target=/src,source=.,from=build")
    assert (bind.type, bind.source, bind.from_) == ("bind", ".", "build")
    assert parse_mount("type=secret,id=npmrc,required").options["required"] == "true"
    quoted = parse_mount('"type=cache,target=/a",id=x')  # a quoted field is one field, as in CSV
    assert (quoted.type, quoted.target, quoted.options["id"]) == ("cache,target=/a", None, "x")


def test_mounts_of_a_run_and_cache_targets() -> None:
    df = parse("FROM x\nRUN --mount=type=cache,target=/a --mount=type=tmpfs,target=/t "
               "--mount=type=bind,target=/b,from=s true\nCOPY a b\n")
    run, copy = df.instructions[1], df.instructions[2]
    assert [m.type for m in mounts(run)] == ["cache", "tmpfs", "bind"]
    assert cache_targets(run) == ["/a"] and cache_targets(run, tmpfs=True) == ["/a", "/t"]
    assert mounts(copy) == []
