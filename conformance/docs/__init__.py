"""Reference pages generated from the case files and a run's report.

`generate(report, cases, out)` writes the pages as MyST Markdown (out/markdown/, with the figures as SVG) and
builds them with Sphinx and the furo theme into a static site that opens from disk with no server (math as
MathML, no script fetched): search, the mobile layout, dark mode, heading anchors and an intersphinx inventory
come with Sphinx. Everything on a page comes from the report it is given, or from the case file itself.
"""

from conformance.docs.site import generate

__all__ = ["generate"]
