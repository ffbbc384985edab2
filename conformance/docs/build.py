"""The HTML, built from the Markdown by Sphinx in this process: no sphinx-build on PATH, no server, no network."""
from __future__ import annotations

import io
import sys
from pathlib import Path


class BuildError(RuntimeError):
    """Sphinx could not build the pages; the message holds its warnings."""


def html(source: Path, conf: Path, out: Path) -> None:
    """Build the Markdown in `source` with the conf.py in `conf` into `out`, its doctrees in `out`/.doctrees.

    Sphinx's warnings go to stderr; a page Sphinx cannot build is an error, not a silently missing page.
    """
    from sphinx.application import Sphinx  # imported here: only a docs build needs it
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    warnings = io.StringIO()
    with patch_docutils(source), docutils_namespace():
        app = Sphinx(source, conf, out, out / ".doctrees", "html", status=None, warning=warnings)
        app.build()
    if warnings.getvalue():
        sys.stderr.write(warnings.getvalue())
    if app.statuscode:
        raise BuildError(f"sphinx could not build {source}:\n{warnings.getvalue()}")
