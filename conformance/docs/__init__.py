"""Reference pages generated from the case files and a run's report.

`generate(report, cases, out)` writes a static site that opens from disk with
no server (HTML from Jinja2 templates, math as MathML, figures as SVG) and the
same pages as Markdown for other projects to include. Everything on a page
comes from the report it is given, or from the case file itself.
"""
from conformance.docs.site import generate

__all__ = ["generate"]
