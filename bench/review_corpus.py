"""The review check over real Dockerfiles without their projects: each corpus file alone in a folder.

    python bench/review_corpus.py [--limit N] [--seed S] [--corpus DIR]

For each file: the candidates CODI offers (by kind), the candidates the review check refuses (by
property), and hadolint's own verdict on every offered candidate (the codes it reports more often than
on the original; needs the `hadolint` binary). "hadolint codes added" must be 0 and no run may raise.
Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.projects import hadolint_codes  # noqa: E402
from codi.optimise.catalog import load_catalog  # noqa: E402
from codi.service.analyze import analyze  # noqa: E402
from codi.service.candidates import build_candidates  # noqa: E402
from codi.service.errors import InputError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "dockerfiles")
    ap.add_argument("--limit", type=int, default=200, help="files to sample (default 200)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    files = sorted(args.corpus.glob("*.Dockerfile"))
    if not files:
        print(f"{args.corpus}: no *.Dockerfile files", file=sys.stderr)
        return 2
    random.seed(args.seed)
    files = random.sample(files, min(args.limit, len(files)))
    catalog = load_catalog(None)
    offered: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    added: Counter[str] = Counter()
    errors = skipped = judged = 0
    for path in files:
        folder = Path(tempfile.mkdtemp(prefix="codi-review-corpus-"))
        try:
            shutil.copy(path, folder / "Dockerfile")
            candidates = build_candidates(analyze(folder, None, None, None), catalog, 6)
            before = hadolint_codes(folder / "Dockerfile")
            for built in candidates.built:
                offered[built.record.kind] += 1
                (folder / "candidate").write_text(built.text, encoding="utf-8")
                after = hadolint_codes(folder / "candidate")
                if before is None or after is None:
                    continue
                judged += 1
                for code in sorted(c for c in after if after[c] > before[c]):
                    added[code] += 1
                    print(f"{path.name}: {built.record.rule_id} adds hadolint {code}")
            for rejected in candidates.rejected:
                refused.update({p.property for p in rejected.review_problems})
        except InputError:
            skipped += 1  # not a Dockerfile CODI can read (it says why to the user)
        except Exception as exc:  # report and go on
            errors += 1
            print(f"{path.name}: ERROR {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(files)} files ({skipped} unreadable), candidates offered {sum(offered.values())} "
          f"{dict(offered)}; refused by the review check, by property: {dict(refused)}; "
          f"hadolint judged {judged} candidates: {sum(added.values())} codes added (must be 0) {dict(added)}; "
          f"{errors} runs raised")
    return 1 if errors or added else 0


if __name__ == "__main__":
    sys.exit(main())
