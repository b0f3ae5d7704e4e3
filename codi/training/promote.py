"""`codi adapter promote`: an adapter is promoted only on the evidence of its own eval report.

The rule: the report is of this adapter (same version), the adapter is no worse than the base model on
every deterministic metric (``codi.training.eval.DETERMINISTIC``), and its guard acceptance rate is
higher. The promotion is recorded next to the installed adapter bundles
(``<state>/bundles/adapter/promoted.json``, ``<state>`` as ``codi.config.paths`` has it) with a copy
of the eval report; it does not install anything (``codi adapter install`` does that).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from codi.config.paths import kind_dir

RECORD = "promoted.json"
# Deterministic metrics: all "higher is better"; promotion requires the adapter to be no worse on each.
DETERMINISTIC = ("parse_rate", "lint_delta_mean", "contract_ok_rate", "top_is_deterministic_best")


class PromotionRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def adapter_state(out: str | Path | None = None) -> Path:
    """``<state>/bundles/adapter`` (the bundle store's layout)."""
    return kind_dir("adapter", out)


def _value(metric: Any) -> float | None:
    return metric.get("value") if isinstance(metric, dict) else None


def decide(report: dict[str, Any], version: str | None) -> list[str]:
    """The reasons not to promote (empty: promote)."""
    reasons: list[str] = []
    named = (report.get("adapter") or {}).get("version")
    if named != version:
        reasons.append(f"the report evaluates adapter {named!r}, not {version!r}")
    det = report.get("deterministic") or {}
    if "adapter" not in det or "base" not in det:
        reasons.append("the report has no base-vs-adapter deterministic metrics (run `codi eval --adapter`)")
    else:
        for name in DETERMINISTIC:
            base, ours = _value(det["base"].get(name)), _value(det["adapter"].get(name))
            if base is not None and (ours is None or ours < base):
                reasons.append(f"{name}: adapter {ours} is worse than the base model's {base}")
    acc = report.get("acceptance") or {}
    base_acc, ours_acc = _value(acc.get("base")), _value(acc.get("adapter"))
    if base_acc is None or ours_acc is None:
        reasons.append("the report has no acceptance rate for both the base model and the adapter")
    elif ours_acc <= base_acc:
        reasons.append(f"acceptance ({acc.get('split')}): adapter {ours_acc} is not better than the base "
                       f"model's {base_acc}")
    return reasons


def earned(adapter_dir: Path, report_path: Path) -> tuple[Any, dict[str, Any]]:
    """(the adapter's verification report, its eval report) when the evidence promotes it; else
    PromotionRefused with every reason (used by promote and by codi.training.ship)."""
    from codi.llm.adapters import verify_adapter

    checked = verify_adapter(adapter_dir)
    if not checked.ok:
        raise PromotionRefused([f"adapter does not verify: {p}" for p in checked.problems])
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    reasons = decide(report, checked.version)
    if reasons:
        raise PromotionRefused(reasons)
    return checked, report


def promote(adapter_dir: Path, report_path: Path, out: str | Path | None = None) -> dict[str, Any]:
    """Check and record the promotion; raise PromotionRefused with every reason otherwise."""
    checked, report = earned(adapter_dir, report_path)
    state = adapter_state(out)
    evidence = state / "promotions" / str(checked.version)
    evidence.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report_path, evidence / "eval.json")
    acc = report["acceptance"]
    record = {"schema_version": 1, "version": checked.version, "path": str(adapter_dir.resolve()),
              "base_model": checked.base_model, "promoted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "acceptance": {"split": acc.get("split"), "base": _value(acc["base"]),
                             "adapter": _value(acc["adapter"]), "adapter_ci95": acc["adapter"].get("ci95"),
                             "base_ci95": acc["base"].get("ci95")},
              "deterministic": {k: {s: _value(report["deterministic"][s].get(k)) for s in ("base", "adapter")}
                                for k in DETERMINISTIC},
              "eval_report": (evidence / "eval.json").relative_to(state).as_posix()}
    history = read_promotions(out).get("history", [])
    data = {"schema_version": 1, "current": record, "history": [*history, record]}
    tmp = state / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(state / RECORD)
    return {**record, "record": str(state / RECORD)}


def read_promotions(out: str | Path | None = None) -> dict[str, Any]:
    path = adapter_state(out) / RECORD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def promoted_version(out: str | Path | None = None) -> str | None:
    current = read_promotions(out).get("current") or {}
    return current.get("version")

