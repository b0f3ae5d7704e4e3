"""BuildKit checks on EXPOSE: ExposeProtoCasing, ExposeInvalidFormat."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from codi.parser.expand import expand
from codi.parser.model import Instruction
from codi.rules.base import Applicability, Edit, Finding, Fix, Rule, RuleContext, Severity
from codi.rules.buildkit.words import rest_words
from codi.rules.registry import register


def split_port(raw: str) -> tuple[str, str, str, str]:
    """(ip, host port, container port, protocol) of an EXPOSE word, split the way BuildKit's
    ``splitParts``/``splitProtoPort`` do (``[ip:]host:container[/proto]``)."""
    parts = raw.split(":")
    container = parts[-1]
    if len(parts) == 1:
        ip, host = "", ""
    elif len(parts) == 2:
        ip, host = "", parts[0]
    else:
        ip, host = ":".join(parts[:-2]), parts[-2]
    port, _, proto = container.partition("/")
    return ip, host, port, proto


def _ports(ctx: RuleContext) -> Iterator[tuple[Instruction, str, str]]:
    """(instruction, word as written, word after variable expansion) for every EXPOSE port."""
    for instr in ctx.instructions("EXPOSE"):
        env = ctx.model.vars_at(instr) if any("$" in a for a in instr.args) else {}
        for arg in instr.args:
            value = expand(arg, env, ctx.dockerfile.escape) if "$" in arg else arg
            yield instr, arg, value


@register
class ExposeProtoCasing(Rule):
    """Protocol in EXPOSE instruction should be lowercase.

    ## What it does
    Flags `EXPOSE` ports whose protocol is not lowercase, such as `80/TCP`.

    ## Why is this bad?
    BuildKit lowercases the protocol anyway, so the uppercase spelling only adds noise and
    inconsistency. BuildKit reports this as a warning; CODI treats it as a style issue.

    ## Example
    ```dockerfile
    FROM alpine
    EXPOSE 80/TCP
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    EXPOSE 80/tcp
    ```

    ## Fix safety
    Safe: the builder lowercases the protocol itself.

    ## References
    - https://docs.docker.com/reference/build-checks/expose-proto-casing/
    """

    code = "BK021"
    name = "ExposeProtoCasing"
    severity = Severity.STYLE
    fix_applicability = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr, arg, value in _ports(ctx):
            proto = split_port(value)[3]
            if proto == proto.lower():
                continue
            fix = None
            if arg == value:
                for word, start, end in rest_words(instr):
                    if word == arg:
                        fix = Fix(
                            "Lowercase the protocol", Applicability.SAFE, [Edit(start, end, arg.lower())]
                        )
                        break
            msg = f"Defined protocol '{value}' in EXPOSE instruction should be lowercase"
            yield self.finding(ctx, instr, msg, fix)


@register
class ExposeInvalidFormat(Rule):
    """IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release.

    ## What it does
    Flags `EXPOSE` ports written with an IP address or a host port, such as
    `EXPOSE 127.0.0.1:80:80` or `EXPOSE 8080:80`.

    ## Why is this bad?
    `EXPOSE` only documents which container ports the application listens on; publishing
    and host mapping are decided by `docker run -p`. The extra parts are ignored today and
    Docker has announced they will become an error.

    ## Example
    ```dockerfile
    FROM alpine
    EXPOSE 8080:80
    ```

    ## Use instead
    ```dockerfile
    FROM alpine
    EXPOSE 80
    ```

    ## References
    - https://docs.docker.com/reference/build-checks/expose-invalid-format/
    """

    code = "BK022"
    name = "ExposeInvalidFormat"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for instr, _arg, value in _ports(ctx):
            ip, host, _, _ = split_port(value)
            if ip or host:
                msg = f"EXPOSE instruction should not define an IP address or host-port mapping, found '{value}'"
                yield self.finding(ctx, instr, msg)
