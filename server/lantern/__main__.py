"""`python -m lantern` runs the command-line interface."""

from lantern.cli import main

raise SystemExit(main())
