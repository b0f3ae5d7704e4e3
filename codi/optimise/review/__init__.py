"""The review check of a candidate: pins, base tags, findings, install order, ENV (see ``check``)."""

from codi.optimise.review.check import Reviewed, image_refs, review
from codi.optimise.review.model import PROPERTIES, DeclaredBaseChange, ReviewCheck, ReviewProblem

__all__ = ["PROPERTIES", "DeclaredBaseChange", "ReviewCheck", "ReviewProblem", "Reviewed", "image_refs", "review"]
