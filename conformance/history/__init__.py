"""Release history: which gradient changed in which release of each framework (`conformance history`).

`store.py` keeps each release's answers once, deduplicated; `envs.py` lists a framework's releases and makes an
isolated environment for one (its pins swapped into constraints.txt by `pins.py`, shared with tox); `runs.py`
measures releases into the store; `timeline.py` reads it back as a case's timeline and a framework's changelog;
`search.py` bisects the releases for a case file; `command.py` is the subcommand. Importing this package imports
no framework.
"""
