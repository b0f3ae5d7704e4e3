"""Why a build failed, when the log says so plainly: no network for a download, an untrusted CA, a
command the base image does not have, or a language runtime older than the project needs.

The first two fail every image of a run the same way (the original and each candidate download the
same dependencies), so measured mode stops after the original and says what to change, instead of
spending minutes per candidate on the same failure (``STOPS``). A missing command is said, not
generalised: a candidate may not run that command; nor is a runtime too old (a candidate may be built
on another base).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NETWORK = "network"
CA = "ca"
COMMAND = "command"
RUNTIME = "runtime"
STOPS = frozenset({NETWORK, CA})  # the kinds every image of a run fails alike

# (kind, pattern): the first kind whose pattern occurs in the log wins. A CA failure needs the network,
# so it is checked first: a log with both (retries, then a TLS error) is about the CA.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (CA, re.compile(r"CERTIFICATE_VERIFY_FAILED|SELF_SIGNED_CERT_IN_CHAIN|unable to get local issuer certificate"
                    r"|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|self[- ]signed certificate in certificate chain"
                    r"|server certificate verification failed", re.IGNORECASE)),
    (NETWORK, re.compile(r"Temporary failure in name resolution|EAI_AGAIN|Could not resolve host"
                         r"|getaddrinfo|Name or service not known|Could not resolve '|ENOTFOUND"
                         r"|Network is unreachable|dial tcp: lookup ", re.IGNORECASE)),
    # The project needs a newer language runtime than the one that stood in for the tag: Go's go.mod check,
    # pip's Requires-Python check, npm's and yarn's engines check (engine-strict).
    (RUNTIME, re.compile(r"invalid go version '[^'\n]+': must match format|go\.mod requires go >= ?[\d.]+"
                         r"|requires a different Python: [\d.]+ not in"
                         r"|The engine \"node\" is incompatible with this module|npm ERR! code EBADENGINE"
                         r"|npm error code EBADENGINE", re.IGNORECASE)),
    # dash, bash and busybox words for an unknown command in a shell-form RUN; the runtime's for exec form.
    (COMMAND, re.compile(r"^(?:/bin/)?(?:ba|da)?sh: (?:\d+: |line \d+: )?[\w.+-]+: (?:command )?not found$"
                         r"|exec: \"[^\"\n]+\": executable file not found in \$PATH", re.MULTILINE)),
)

# Without network, pip finds no version of anything; with it, the same words mean a wrong name or pin.
_OFFLINE_ONLY = re.compile(r"\(from versions: none\)")

ADVICE = {
    NETWORK: "the build downloads dependencies: turn on the build network (--build-network)",
    CA: "the registry's CA is not trusted inside the build: give the CA bundle (--ca-bundle or CODI_CA_BUNDLE), "
        "or re-run `codi bases bootstrap` to add it to the stand-ins",
    COMMAND: "a command the build runs is not in the base image it was built on (the local stand-ins hold "
             "Debian's packages, not everything the official image ships): map that base onto an image that "
             "has it (CODI_BASE_MAP or [bases] in .codi.toml)",
    RUNTIME: "the project needs a newer language runtime than the local stand-in holds (its Debian runtime "
             "stands in whatever version the tag names; the run notes say which): not provable on this stand-in; "
             "map that base onto the real image (CODI_BASE_MAP or [bases] in .codi.toml)",
}

# The same words from a build that had the network: the registry is not one this machine reaches.
UNREACHABLE = ("the build downloads dependencies from a host this machine cannot reach (the build network is on; "
               "its name did not resolve or it did not answer): not provable here; use a registry mirror this "
               "machine reaches (the tool's own proxy setting, e.g. GOPROXY, PIP_INDEX_URL, npm_config_registry)")


@dataclass(frozen=True, slots=True)
class BuildFailure:
    """A recognised cause: ``kind`` (network, ca, command or runtime), the log line that shows it, and what to do."""

    kind: str
    evidence: str
    offline: bool | None = None  # whether the build ran without network (None: not known)

    @property
    def advice(self) -> str:
        if self.kind == NETWORK and self.offline is False:
            return UNREACHABLE
        return ADVICE[self.kind]

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "evidence": self.evidence, "advice": self.advice}


def classify(log: str, offline: bool | None = None) -> BuildFailure | None:
    """The recognised cause of a failed build's output, or None (any other failure). ``offline``: the build
    had no network, so an index that lists no version at all is the network's doing too."""
    patterns = [*_PATTERNS, (NETWORK, _OFFLINE_ONLY)] if offline else list(_PATTERNS)
    for kind, pattern in patterns:
        match = pattern.search(log)
        if match:
            # The words around the match on its line: enough to recognise, short enough for a one-line reason.
            start = max(log.rfind("\n", 0, match.start()) + 1, match.start() - 40)
            end = min(len(log), match.end() + 40)
            newline = log.find("\n", match.end())
            end = min(end, newline) if newline >= 0 else end
            return BuildFailure(kind, log[start:end].strip(), offline)
    return None
