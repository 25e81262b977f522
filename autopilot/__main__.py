"""`python -m autopilot`: the local command line (see `python -m autopilot --help`)."""

from autopilot.cli.main import main

raise SystemExit(main())
