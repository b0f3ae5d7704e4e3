"""The RUN shell reader: commands, words, separators, wrappers and flags."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from codi.parser import ParseError, parse_file
from codi.parser.shell import Command, parse_script


def argvs(text: str) -> list[list[str]]:
    return [c.argv for c in parse_script(text).commands]


def test_and_chain_with_continuation() -> None:
    text = "apt-get update && apt-get install -y \\\n  curl git && rm -rf /var/lib/apt/lists/*"
    cmds = parse_script(text).commands
    assert [c.argv for c in cmds] == [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "curl", "git"],
        ["rm", "-rf", "/var/lib/apt/lists/*"],
    ]
    assert [c.separator for c in cmds] == ["&&", "&&", ""]
    assert text[cmds[1].start : cmds[1].end] == "apt-get install -y \\\n  curl git"
    assert cmds[1].raw_words[-1] == "git"
    assert all(text[s:e] == w for c in cmds for (s, e), w in zip(c.word_spans, c.raw_words, strict=True))


def test_separators() -> None:
    cmds = parse_script("a; b || c & d\ne | f |& g").commands
    assert [(c.name, c.separator, c.piped) for c in cmds] == [
        ("a", ";", False),
        ("b", "||", False),
        ("c", "&", False),
        ("d", "\n", False),
        ("e", "|", True),
        ("f", "|", True),
        ("g", "", True),
    ]
    assert parse_script("curl x | sh").has_pipe
    assert not parse_script("a && b").has_pipe


def test_quotes_removed_substitutions_kept() -> None:
    text = 'echo "a b" \'c $d\' e\\ f "$(date +%s)" `uname -m` ${X:-y} "x\\"y" $((1 + 2))'
    (cmd,) = parse_script(text).commands
    assert cmd.argv == [
        "echo",
        "a b",
        "c $d",
        "e f",
        "$(date +%s)",
        "`uname -m`",
        "${X:-y}",
        'x"y',
        "$((1 + 2))",
    ]
    assert cmd.raw_words[1] == '"a b"'


def test_operators_inside_substitutions_and_quotes() -> None:
    assert argvs("x=$(a && b | c) ; echo \"a;b\" 'c|d' `e && f`") == [
        ["x=$(a && b | c)"],
        ["echo", "a;b", "c|d", "`e && f`"],
    ]


def test_comments() -> None:
    assert argvs("echo a#b # a comment && rm x\nls") == [["echo", "a#b"], ["ls"]]
    assert argvs("# only a comment") == []


def test_redirections_excluded() -> None:
    (cmd,) = parse_script("make >build.log 2>&1 </dev/null install").commands
    assert cmd.argv == ["make", "install"]
    assert cmd.redirects == [(">", "build.log"), ("2>&", "1"), ("<", "/dev/null")]
    assert argvs("echo x >> /etc/f; cat &>/dev/null f") == [["echo", "x"], ["cat", "f"]]


def test_heredoc_body_skipped() -> None:
    text = "cat > /etc/conf <<'EOF' && chmod 600 /etc/conf\nrm -rf / && apt-get install x\nEOF\necho done"
    cmds = parse_script(text).commands
    assert [c.argv for c in cmds] == [["cat"], ["chmod", "600", "/etc/conf"], ["echo", "done"]]
    assert cmds[0].redirects == [(">", "/etc/conf"), ("<<", "EOF")]
    tabbed = "cat <<-END\n\tbody here\n\tEND\nls"
    assert argvs(tabbed) == [["cat"], ["ls"]]
    assert argvs("cat <<< 'word' ; ls") == [["cat"], ["ls"]]


def test_keywords_skipped() -> None:
    assert argvs("if [ -f /x ]; then echo yes; elif true; then :; else echo no; fi") == [
        ["[", "-f", "/x", "]"],
        ["echo", "yes"],
        ["true"],
        [":"],
        ["echo", "no"],
    ]
    assert argvs("for p in a b c; do pip install $p; done") == [["pip", "install", "$p"]]
    assert argvs("for ((i=0;i<3;i++)); do echo $i; done") == [["echo", "$i"]]
    assert argvs('while read l; do echo "$l"; done < f') == [["read", "l"], ["echo", "$l"]]
    assert argvs("until false; do sleep 1; done") == [["false"], ["sleep", "1"]]
    assert argvs("! grep -q x f") == [["grep", "-q", "x", "f"]]
    assert argvs("echo if then done") == [["echo", "if", "then", "done"]]


def test_case_statement() -> None:
    text = 'case "$ARCH" in amd64|x86_64) A=x;; (arm64) A=y ;; *) exit 1;; esac; echo $A'
    assert argvs(text) == [["A=x"], ["A=y"], ["exit", "1"], ["echo", "$A"]]
    multi = "case $x in\n  a)\n    apt-get install a\n    ;;\n  *) echo other\nesac"
    assert argvs(multi) == [["apt-get", "install", "a"], ["echo", "other"]]


def test_functions() -> None:
    assert argvs("f() { echo hi; }; function g { echo g; }; f") == [["echo", "hi"], ["echo", "g"], ["f"]]


def test_groups_and_subshells() -> None:
    cmds = parse_script("(cd /src && make) && { echo a; echo b; } | tee log").commands
    assert [c.argv for c in cmds] == [["cd", "/src"], ["make"], ["echo", "a"], ["echo", "b"], ["tee", "log"]]
    assert [c.separator for c in cmds] == ["&&", "&&", ";", ";", ""]
    assert [c.piped for c in cmds] == [False, False, True, True, True]
    into = parse_script("curl x | (cd /t && tar x)").commands
    assert all(c.piped for c in into)


def test_array_assignment_is_one_word() -> None:
    assert argvs("arr=(a b c) cmd") == [["arr=(a b c)", "cmd"]]


def test_name_strips_path() -> None:
    (cmd,) = parse_script("/usr/bin/apt-get update").commands
    assert cmd.name == "apt-get"
    assert cmd.args == ["update"]
    assert Command([], [], 0, 0, "").name == ""


def test_unwrapped() -> None:
    text = "FOO=bar sudo -u root -E env -u X Y=1 /usr/bin/pip install -r req.txt"
    (cmd,) = parse_script(text).commands
    assert cmd.name == "FOO=bar"
    inner = cmd.unwrapped()
    assert inner.argv == ["/usr/bin/pip", "install", "-r", "req.txt"]
    assert inner.name == "pip"
    assert text[inner.start : inner.end] == "/usr/bin/pip install -r req.txt"
    assert inner.word_spans[0][0] == inner.start
    assert cmd.argv[0] == "FOO=bar"  # the original is untouched
    chain = parse_script("time -p nice -n 5 exec -a x command nohup make all").commands[0]
    assert chain.unwrapped().argv == ["make", "all"]
    lookup = parse_script("command -v apt-get").commands[0]
    assert lookup.unwrapped().name == "command"
    assert parse_script("X=1 env").commands[0].unwrapped().argv == ["env"]
    only = parse_script("A=1 B=2").commands[0]
    assert only.unwrapped().argv == []
    plain = parse_script("ls -la").commands[0]
    assert plain.unwrapped() is plain


def test_has_flag() -> None:
    (cmd,) = parse_script("apt-get -qq -y install --no-install-recommends=true x -- -z").commands
    assert cmd.has_flag("-y")
    assert cmd.has_flag("-q")
    assert cmd.has_flag("--yes", "-y")
    assert cmd.has_flag("--no-install-recommends")
    assert not cmd.has_flag("--no-install")
    assert not cmd.has_flag("-z")  # after --
    assert not cmd.has_flag("-x")
    (bundle,) = parse_script("pip install -Uq x").commands
    assert bundle.has_flag("-U") and bundle.has_flag("-q")
    assert not parse_script("-y").commands[0].has_flag("-y")  # the program itself is no flag


def test_positional_and_subcommand() -> None:
    (cmd,) = parse_script("apt-get -q install -y curl - -- -x").commands
    assert cmd.positional() == ["install", "curl", "-", "-x"]
    assert cmd.subcommand() == "install"
    assert parse_script("ls -la").commands[0].subcommand() is None


def test_find() -> None:
    script = parse_script("sudo apt-get update && DEBIAN_FRONTEND=x apt-get install y && pip install z")
    found = script.find("apt-get")
    assert [c.argv for c in found] == [["apt-get", "update"], ["apt-get", "install", "y"]]
    assert [c.subcommand() for c in script.find("pip", "pip3")] == ["install"]
    assert script.find("npm") == []


def test_odd_input_never_raises() -> None:
    for text in [
        "",
        '"unterminated',
        "'open",
        "$(",
        "${",
        "`",
        "\\",
        "a &",
        "((",
        "))",
        "}",
        "esac",
        "<<",
        "<<EOF\n",
    ]:
        script = parse_script(text)
        assert isinstance(script.commands, list)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab $(){}|&;<>'\"\\`#\n=-", max_size=40))
def test_fuzz_never_raises(text: str) -> None:
    for cmd in parse_script(text).commands:
        assert cmd.argv
        assert 0 <= cmd.start <= cmd.end <= len(text)
        cmd.unwrapped()


def test_fast_enough() -> None:
    text = 'apt-get update && apt-get install -y --no-install-recommends curl "a b" $(x) && rm -rf /a/* ' * 2
    start = time.perf_counter()
    for _ in range(500):
        parse_script(text)
    assert time.perf_counter() - start < 1.5  # well over 1000 RUNs per second, with margin for slow CI


def test_corpus_runs(corpus: list[Path]) -> None:
    """Every shell-form RUN of the shared corpus (and its heredoc bodies): no exception,
    spans that point at the words, and fast."""
    scripts: list[str] = []
    for path in corpus:
        try:
            df = parse_file(str(path))
        except ParseError:
            continue
        for instr in df.instructions:
            if instr.keyword == "RUN" and not instr.json_form and instr.args:
                scripts.append(instr.args[0])
                scripts.extend(h.content for h in instr.heredocs)
    assert len(scripts) > 1000
    start = time.perf_counter()
    parsed = [parse_script(text) for text in scripts]
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0  # ~0.25 s here; generous for slow CI machines
    names = set()
    for script in parsed:
        for cmd in script.commands:
            assert all(script.text[s:e] == w for (s, e), w in zip(cmd.word_spans, cmd.raw_words, strict=True))
            names.add(cmd.unwrapped().name)
    assert {"apt-get", "apk", "curl", "rm", "pip"} <= names


def test_wrappers_with_assignments_and_fd_redirects() -> None:
    (cmd,) = parse_script("sudo -E DEBIAN_FRONTEND=noninteractive apt-get -y install x 2>/dev/null").commands
    assert cmd.unwrapped().argv == ["apt-get", "-y", "install", "x"]
    assert cmd.redirects == [("2>", "/dev/null")]
    assert argvs("echo a2>f") == [["echo", "a2"]]
    assert argvs("diff <(sort a) b") == [["diff", "<(sort a)", "b"]]


def test_heredoc_as_written_back_by_rules() -> None:
    # rules pass "RUN line\nbody...DELIM\n" for RUN with heredocs that are not the script
    text = 'cat <<"EOF" > /etc/app.conf && chmod 600 /etc/app.conf\nkey=$VALUE\nrm -rf /\nEOF\n'
    assert argvs(text) == [["cat"], ["chmod", "600", "/etc/app.conf"]]
