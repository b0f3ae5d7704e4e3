"""`codi run` over the real projects in shared/projects: what is offered, what is not and why, per project.

    python bench/projects.py [--out DIR] [--projects DIR]

Runs offline (no LLM, no RAG, estimated numbers). Prints a Markdown table, one row per project, then one
row per offered candidate with its review-check result (codi.optimise.review: pins, base tags, findings per
code, install order, ENV) and, where the hadolint binary is installed, hadolint's own verdict: the codes it
reports more often on the candidate than on the original (an independent judge of "adds no hadolint
finding"). Then the totals: "violations among offered" (undeclared runtime-contract changes), "review
problems among offered" and "hadolint codes added" must all be 0. Exits 1 when one is not or a run raised.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codi.optimise.contract import diff_contracts  # noqa: E402
from codi.service.run import RunOptions, RunResult, run_project  # noqa: E402

DEFAULT_PROJECTS = REPO.parent / "shared" / "projects"


def manifest(projects: Path) -> list[dict[str, str]]:
    with (projects / "MANIFEST.tsv").open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return sorted(rows, key=lambda r: r["project"])


def undeclared(result: RunResult) -> list[str]:
    """Contract changes of offered candidates that the candidate does not list as intended."""
    out: list[str] = []
    before = result.record.contract
    for cand in result.record.candidates:
        if before is None or cand.contract is None:
            out.append(f"{cand.id}: no contract")
            continue
        intended = {(c.field, c.key) for c in cand.contract_changes}
        out += [f"{cand.id}: {ch.message}" for ch in diff_contracts(before, cand.contract)
                if (ch.field, ch.key) not in intended]
    return out


def hadolint_codes(path: Path) -> Counter[str] | None:
    """hadolint's finding codes for one file (None when hadolint is not installed or fails)."""
    exe = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(exe).is_file():
        return None
    try:
        proc = subprocess.run([exe, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True, timeout=60)
        return Counter(item["code"] for item in json.loads(proc.stdout or "[]"))
    except (OSError, ValueError, subprocess.TimeoutExpired, KeyError, TypeError):
        return None


def review_rows(result: RunResult) -> list[tuple[str, int, str]]:
    """(candidate id, review problems, the cell to print) per offered candidate, with hadolint's added codes."""
    rows: list[tuple[str, int, str]] = []
    run_dir = result.run_dir
    if run_dir is None:
        return rows
    before = hadolint_codes(run_dir / "inputs" / "Dockerfile")
    for cand in result.record.candidates:
        review = cand.review
        problems = [p.message for p in review.problems] if review is not None else ["no review record"]
        cell = "ok" if not problems else f"**{len(problems)} PROBLEM(S)**: " + "; ".join(problems)
        if review is not None and review.declared:
            cell += " (declared: " + "; ".join(f"{d.before} -> {d.after}" for d in review.declared) + ")"
        after = hadolint_codes(run_dir / cand.path)
        added = 0
        if before is not None and after is not None:
            more = sorted(code for code in after if after[code] > before[code])
            added = len(more)
            cell += " · hadolint: " + (("**adds " + ", ".join(more) + "**") if more else "nothing added")
        rows.append((cand.id, len(problems) + added, cell))
    return rows


def shorten(reason: str, width: int = 70) -> str:
    reason = re.sub(r"\s+", " ", reason).strip()
    reason = reason.replace("changes the runtime contract: ", "contract: ")
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None, help="where run folders go (default: a temporary folder)")
    ap.add_argument("--projects", type=Path, default=DEFAULT_PROJECTS, help="the shared projects folder")
    args = ap.parse_args(argv)
    if not (args.projects / "MANIFEST.tsv").is_file():
        print(f"{args.projects}: no MANIFEST.tsv (the shared projects are not here)", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="codi-bench-projects-"))
    rows: list[str] = []
    totals = {"projects": 0, "offered": 0, "not_offered": 0, "violations": 0, "errors": 0, "with_offer": 0,
              "review_problems": 0, "review_rejected": 0}
    reviews: list[str] = []
    wall_total = 0.0
    print("| project | stack | shapes | offered | not offered (first catalog reason) | recommended: est. size | wall s |")
    print("|---|---|---|---|---|---|---|")
    for row in manifest(args.projects):
        name = row["project"]
        totals["projects"] += 1
        start = time.perf_counter()
        try:
            result = run_project(args.projects / name, RunOptions(llm=False, rag=False, out=out))
        except Exception as exc:  # report and go on: one broken project must not hide the others
            wall = time.perf_counter() - start
            wall_total += wall
            totals["errors"] += 1
            line = (f"| {name} | ? | {cell(row['shape'])} | - | {cell(shorten(f'ERROR {type(exc).__name__}: {exc}'))}"
                    f" | - | {wall:.2f} |")
            print(line, flush=True)
            rows.append(line)
            continue
        wall = time.perf_counter() - start
        wall_total += wall
        rec = result.record
        bad = undeclared(result)
        totals["offered"] += len(rec.candidates)
        totals["not_offered"] += len(rec.rejected)
        totals["violations"] += len(bad)
        totals["with_offer"] += bool(rec.candidates)
        totals["review_rejected"] += sum(1 for r in rec.rejected if r.review_problems)
        for cid, count, text in review_rows(result):
            totals["review_problems"] += count
            reviews.append(f"| {name} | {cid} | {cell(text)} |")
        reviews += [f"| {name} | not offered: {r.rule_id} | {cell(shorten(r.reason, 200))} |"
                    for r in rec.rejected if r.review_problems]
        offered = ", ".join(c.rule_id for c in rec.candidates) or "none"
        rejected = f"{len(rec.rejected)}"
        if rec.rejected:
            # the first catalog rejection says more than "no fix applies to the original"
            first = next((r for r in rec.rejected if r.rule_id not in {"fixed", "tuned"}), rec.rejected[0])
            rejected += f" ({first.rule_id}: {shorten(first.reason)})"
        size = "-"
        best = rec.recommendation.candidate_id if rec.recommendation else None
        if best is not None:
            num = next((n for n in result.metrics.candidates if n.candidate_id == best), None)
            pct = None if num is None else num.size_delta_pct
            size = f"{best.split('-', 1)[1]}: " + ("?" if pct is None else f"{pct:+.1f}%")
        if bad:
            rejected += f"; **{len(bad)} UNDECLARED**: {shorten(bad[0])}"
        line = (f"| {name} | {rec.stack} | {cell(row['shape'])} | {len(rec.candidates)}: {cell(offered)} | "
                f"{cell(rejected)} | {cell(size)} | {wall:.2f} |")
        print(line, flush=True)
        rows.append(line)
    print()
    print("| project | candidate | review check |")
    print("|---|---|---|")
    for line in reviews:
        print(line)
    print()
    print(f"Totals: {totals['projects']} projects ({totals['with_offer']} with a candidate offered), "
          f"{totals['offered']} candidates offered, {totals['not_offered']} not offered "
          f"({totals['review_rejected']} of them by the review check), "
          f"{totals['violations']} violations among offered (must be 0), "
          f"{totals['review_problems']} review problems among offered, hadolint's included (must be 0), "
          f"{totals['errors']} runs raised; {wall_total:.1f} s wall in all. Runs in {out}")
    return 1 if totals["violations"] or totals["errors"] or totals["review_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
