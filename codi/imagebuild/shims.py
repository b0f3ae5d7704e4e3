"""What the official images have that Debian's packages do not, added to the stand-ins by mmdebstrap hooks.

- ``docker-entrypoint.sh`` in the node stand-ins (the official node images' ENTRYPOINT): the command runs
  as given, unless its first word is an option, names no command, or names a file that is not executable
  (``CMD ["server.js"]``): then ``node`` runs it. Written for CODI from that documented behaviour.
- ``/usr/local/bin`` names of the runtime (official images install there: ``CMD ["/usr/local/bin/python", ...]``),
  and ``yarn`` in the node stand-ins: the official node images ship Yarn 1 (Debian's ``yarnpkg`` stands in).
"""

from __future__ import annotations

import base64

ENTRYPOINT_SHIM = """#!/bin/sh
# CODI stand-in for the official node images' entrypoint: node runs the command when its first word
# is an option (-e ...), names no command on PATH, or is a file that is not executable (server.js).
set -e
first=${1:-}
case "$first" in
  -*) set -- node "$@" ;;
  *)
    if [ -z "$(command -v "$first" 2>/dev/null)" ] || { [ -f "$first" ] && [ ! -x "$first" ]; }; then
      set -- node "$@"
    fi
    ;;
esac
exec "$@"
"""


def write_file_hook(path: str, text: str, mode: str = "0755") -> str:
    """A customize hook writing ``text`` at ``path`` inside the root (base64: no quoting to get wrong)."""
    encoded = base64.b64encode(text.encode()).decode()
    return f'echo {encoded} | base64 -d > "$1{path}" && chmod {mode} "$1{path}"'


def link_hook(names: dict[str, str]) -> str:
    """A customize hook adding ``/usr/local/bin/<name> -> <target>`` symlinks where no file is there yet."""
    parts = [f'[ -e "$1/usr/local/bin/{name}" ] || ln -s {target} "$1/usr/local/bin/{name}"'
             for name, target in names.items()]
    return 'mkdir -p "$1/usr/local/bin" && ' + " && ".join(parts)


NODE_HOOKS = (write_file_hook("/usr/local/bin/docker-entrypoint.sh", ENTRYPOINT_SHIM),
              link_hook({"node": "/usr/bin/node", "npm": "/usr/bin/npm", "npx": "/usr/bin/npx",
                         "yarn": "/usr/bin/yarnpkg", "yarnpkg": "/usr/bin/yarnpkg"}))
PYTHON_HOOKS = (link_hook({"python": "/usr/bin/python3", "python3": "/usr/bin/python3", "pip": "/usr/bin/pip3",
                           "pip3": "/usr/bin/pip3"}),)
NODE_CHANGES = ('entrypoint=["docker-entrypoint.sh"]',)
