"""Stack detection: which language, package manager and frameworks a project uses, with evidence."""

from codi.optimise.stack.detect import detect_stack
from codi.optimise.stack.model import Detection, Entrypoint, Evidence, Framework, StackMatch

__all__ = ["Detection", "Entrypoint", "Evidence", "Framework", "StackMatch", "detect_stack"]
