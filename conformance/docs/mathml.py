"""A Sphinx math renderer that writes MathML at build time, so pages show formulas with no script and no network.

The Markdown keeps plain `$...$` / `$$...$$` TeX (MyST's dollarmath): another Sphinx project that includes the
pages renders it with its own renderer (MathJax by default); this site turns it into MathML with latex2mathml,
which every current browser draws natively, offline.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes  # type: ignore[import-untyped]  # docutils has no stubs

from conformance.docs.syntax import mathml


def _inline(self: Any, node: nodes.math) -> None:
    self.body.append(
        self.starttag(node, "span", "", CLASS="math notranslate") + mathml(node.astext(), False) + "</span>"
    )
    raise nodes.SkipNode


def _block(self: Any, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate") + mathml(node.astext()) + "</div>\n")
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Register the renderer as `mathml`; conf.py selects it with html_math_renderer."""
    app.add_html_math_renderer("mathml", (_inline, None), (_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
