"""Release history: which gradient changed in which release of each framework (`conformance history`).

The store (`store.py`) keeps each release's answers once, deduplicated; `envs.py` lists a framework's releases and
makes an isolated environment for one; `runs.py` measures releases into the store; `timeline.py` reads it back as a
case's timeline and a framework's changelog. Importing this package imports no framework.
"""
