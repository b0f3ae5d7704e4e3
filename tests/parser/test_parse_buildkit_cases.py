"""Tricky inputs, each compared with BuildKit's own parser (the ``dockerfile`` wheel).

The comparison (and how it normalises the wheel's output) is the one the corpus test uses.
"""

from __future__ import annotations

import pytest

pytest.importorskip("dockerfile")

from test_corpus_buildkit import compare  # noqa: E402

CASES = [
    'FROM a\nCMD ["a"] b\n',
    "FROM a\nCMD [1e999]\n",
    'FROM a\nCMD ["a", ]\n',
    'FROM a\nCMD ["\\ud800"]\n',
    'FROM a\nCMD  [ "a" ,"b"]  \n',
    "FROM a\nCMD [NaN]\n",
    "FROM a\nRUN a\\\\\nb\n",
    "FROM a\nRUN a \\\n  # c\n\n b\n",
    "FROM a\nRUN a \\ \t\nb\n",
    "FROM a\nCOPY --from a b c\n",
    "FROM a\nCOPY --from=a -- --b c\n",
    'FROM a\nCOPY --chown="a b" x y\n',
    "FROM a\nCOPY --chown='a b' x y\n",
    "FROM a\nCOPY --chown=a\\ b x y\n",
    "FROM a\nCOPY --x=é y z\n",
    "FROM a\nCOPY --x=à y z\n",
    "FROM a\nCOPY -- x y\n",
    "FROM a\nCOPY --\n",
    "FROM a\nCOPY --a --b\n",
    "FROM a\nONBUILD RUN <<EOF\nx\nEOF\n",
    'FROM a\nRUN 3<<-"EOF" <<B\n\tx\n\tEOF\ny\nB\nRUN x\n',
    "FROM a\nRUN <<EOF cat <<'B'\na\nEOF\nb\nB\n",
    "FROM a\nRUN <<EOF\r\nx\r\nEOF\r\n",
    'FROM a\nRUN echo "<<EOF"\n',
    "FROM a\nRUN echo '<<EOF\n",
    "FROM a\nRUN cat <<E\\OF\nx\nEOF\n",
    'FROM a\nRUN cat <<"E F"\nx\nE F\n',
    "FROM a\nRUN cat <<EOF<<X\nx\nEOF\n",
    "FROM a\nRUN cat <<<EOF\n",
    "FROM a\nRUN cat 2<<EOF >x\nx\nEOF\n",
    'FROM a\nRUN ["<<EOF"]\nRUN x\n',
    "FROM a\nCOPY <<EOF <<EOF2 /dst/\na\nEOF\nb\nEOF2\n",
    "FROM a\nRUN <<EOF\n  EOF\nEOF\n",
    "FROM a\nRUN <<-EOF\n\t\tEOF\n",
    "FROM a\nHEALTHCHECK NONE\n",
    'FROM a\nHEALTHCHECK --interval=5s CMD ["a"]\n',
    "FROM a\nHEALTHCHECK --interval=5s CMD a b  c\n",
    "FROM a\nHEALTHCHECK CMD\n",
    'FROM a\nARG a b=c "d e"\n',
    "FROM a\nARG\n",
    'FROM a\nLABEL a="b c" d=e\\ f\n',
    'FROM a\nLABEL "a b"=c\n',
    "FROM a\nENV a b c  d\n",
    "FROM a\nENV a=\n",
    "FROM a\nENV a='x y' b=\"$c\"\n",
    "FROM a\nEXPOSE  1   2\t3\n",
    "FROM a\nRUN\t--mount=type=cache,target=/x\t--network=none echo hi\n",
    "from a\nrun x\n",
    "FROM a\nMAINTAINER  me  you \n",
    "FROM a\nUSER  a b\n",
    'FROM a\nVOLUME ["/a", "/b"]\n',
    "FROM a\nVOLUME /a /b\n",
    'FROM a\nSHELL ["sh", "-c"]\n',
    "# escape=`\nFROM a\nRUN a `\n b\n",
    "# escape=`\nFROM a\nRUN a \\\nRUN b\n",
    "#escape=`\n\n# syntax=x\nFROM a\n",
    "# Syntax = docker/dockerfile:1 \n#ESCAPE = ` \nFROM a\n",
    "# comment\n# escape=`\nFROM a\nRUN a `\n b\n",
    "\ufeff# escape=`\nFROM a\nRUN a `\n b\n",
    "  # escape=`\nFROM a\nRUN a `\n b\n",
    "FROM a\n\\\nRUN b\n",
    "FROM a\nRUN a\\\n",
    "FROM a\nRUN a \\\n\n",
    "FROM a\n  RUN   a  \n",
    "FROM a\nRUN a\rb\n",
    "FROM a\r\nRUN a \\\r\n b\r\n",
    "FROM a\nRUN a \\\n # x \\\n b\n",
    "FROM a\nENV a=b\\\n c=d\n",
    'FROM a\nRUN "a\n',
    "FROM a\nONBUILD ADD . /app\n",
    "FROM a\nONBUILD --x=y RUN a\n",
    'FROM a\nCMD ["a",\n  "b"]\n',
    "FROM a\nENTRYPOINT []\n",
    "FROM a\nRUN echo \u00a0x\n",
    "FROM a\nENV a\u00a0b\n",
    "FROM a\nENV a=\u00a0b c=d\n",
    "FROM a\nRUN\u00a0x\n",
    "FROM a\nSTOPSIGNAL\n",
    "FROM a\nWORKDIR\n",
    'FROM a\nRUN --x="a\n',
    "FROM a\nRUN --x=\\\n",
    "FROM a\nRUN a \\\\\\\nb\n",
]


@pytest.mark.parametrize("text", CASES)
def test_same_nodes_as_buildkit(text: str) -> None:
    compare(text)
