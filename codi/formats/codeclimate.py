"""`--format codeclimate`: the Code Climate engine stream (see ``gitlab.render_stream``)."""

from codi.formats.gitlab import render_stream as render

__all__ = ["render"]
