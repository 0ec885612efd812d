"""Stage 9: the cycle report."""

from tradepipe.core.reporting.summary import CycleSummary, render_markdown

__all__ = ["CycleSummary", "render_markdown"]
