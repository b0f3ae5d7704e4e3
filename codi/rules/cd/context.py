"""CD202: the whole build context is copied and there is no .dockerignore."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from codi.rules.base import Finding, Rule, RuleContext, Severity
from codi.rules.cd.stages import whole_context
from codi.rules.registry import register


def has_dockerignore(context_dir: Path, dockerfile_path: str) -> bool:
    """``.dockerignore`` in the context, or ``<Dockerfile name>.dockerignore`` beside the Dockerfile
    (BuildKit prefers the latter when it exists)."""
    if (context_dir / ".dockerignore").is_file():
        return True
    own = Path(dockerfile_path)
    return own.with_name(own.name + ".dockerignore").is_file() or (
        context_dir / (own.name + ".dockerignore")
    ).is_file()


@register
class CopyContextWithoutDockerignore(Rule):
    """The whole build context is copied but the context has no `.dockerignore`.

    ## What it does
    When the build context is known (linting real files: the Dockerfile's folder), reports each
    `COPY . <dir>` / `ADD . <dir>` when neither `.dockerignore` in the context nor
    `<Dockerfile name>.dockerignore` beside the Dockerfile exists. Snippets linted without a
    context are not checked.

    ## Why is this bad?
    Without a `.dockerignore`, `COPY . .` sends and stores everything: `.git` history,
    `node_modules` and virtualenvs built for the host, test data, local `.env` files with secrets,
    build outputs. The image grows, the context upload slows every build, and any change to an
    unrelated file (even in `.git`) invalidates the copy layer and everything after it.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    ```
    in a folder with no `.dockerignore`.

    ## Use instead
    Add a `.dockerignore` next to the Dockerfile:
    ```text
    .git
    **/__pycache__
    .venv
    node_modules
    .env
    ```

    ## References
    - [Docker: .dockerignore files](https://docs.docker.com/build/concepts/context/#dockerignore-files)
    """

    code = "CD202"
    name = "copy-context-without-dockerignore"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if ctx.context_dir is None:
            return
        copies = [instr for instr in ctx.instructions("COPY", "ADD") if whole_context(instr)]
        if not copies or has_dockerignore(ctx.context_dir, ctx.path):  # look at the disk only when it matters
            return
        for instr in copies:
            yield self.finding(
                ctx, instr,
                f"{instr.keyword} copies the whole build context but there is no .dockerignore: "
                ".git, local dependencies and secrets end up in the image",
            )
