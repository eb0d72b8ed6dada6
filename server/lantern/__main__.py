"""`python -m lantern` runs the command-line interface."""

import os
import sys

# `python -m` puts the working directory first on sys.path. The server runs inside the
# user's project, whose `typing.py` or `enum.py` must never shadow the standard library.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from lantern.cli import main

raise SystemExit(main())
