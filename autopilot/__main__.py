"""`python -m autopilot`: the local command line (see `python -m autopilot --help`)."""

import gc

# A verb is a process of a few seconds that builds a large heap while it starts (botocore's service
# models, moto, the pydantic models, the synthesized wiring): with the default thresholds the
# collector walks that whole heap again each time it grows, a quarter of a short verb's time
# (docs/PERFORMANCE.md, "The CLI's speed"). Young objects are still collected every 100,000
# allocations, so a long replay's cyclic garbage is freed; the older generations are walked rarely.
gc.set_threshold(100_000, 20, 100)

from autopilot.cli.main import main  # noqa: E402 - after the collector is set, before the imports

raise SystemExit(main())
