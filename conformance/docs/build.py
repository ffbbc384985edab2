"""The HTML, built from the Markdown by Sphinx in this process: no sphinx-build on PATH, no server, no network."""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

for _extension in ("myst_parser", "furo"):  # named by conf/conf.py: missing, they are a missing docs extra, and
    importlib.import_module(_extension)  # an ImportError here lets `conformance docs` say so before any work


class BuildError(RuntimeError):
    """Sphinx could not build the pages; the message holds its warnings."""


def html(source: Path, conf: Path, out: Path, workers: int = 1) -> None:
    """Build the Markdown in `source` with the conf.py in `conf` into `out`, its doctrees in `out`/.doctrees, reading
    and writing the pages in `workers` processes. Sphinx keeps its environment there: a page whose source has not
    changed since the last build is not read again.

    Sphinx's warnings go to stderr; a page Sphinx cannot build is an error, not a silently missing page.
    """
    warnings = io.StringIO()
    with patch_docutils(conf), docutils_namespace():
        app = Sphinx(source, conf, out, out / ".doctrees", "html", status=None, warning=warnings, parallel=workers)
        app.build()
    if warnings.getvalue():
        sys.stderr.write(warnings.getvalue())
    if app.statuscode:
        raise BuildError(f"sphinx could not build {source}:\n{warnings.getvalue()}")
