"""Sphinx configuration of the reference pages (package data: `conformance docs` copies it beside the Markdown).

The pages are MyST Markdown; furo gives search, the mobile layout, dark mode and heading anchors. Math is MathML
written at build time (conformance.docs.mathml), so the HTML opens from disk with no server and no network.
Another project can build this folder as is (`sphinx-build <folder> <out>`) or include its pages.
"""

project = "gradient conformance"
html_title = "gradient conformance"
extensions = ["myst_parser", "conformance.docs.mathml"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
html_math_renderer = "mathml"
html_theme = "furo"
html_static_path = ["_static"]
html_css_files = ["conformance.css"]
html_copy_source = False  # the Markdown sources sit in markdown/ already
html_show_sourcelink = False
html_last_updated_fmt = None
pygments_style = "default"
pygments_dark_style = "monokai"
suppress_warnings = ["myst.header"]  # a case title may follow its own label; levels are ours to choose
