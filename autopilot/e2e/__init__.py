"""The end-to-end world: what `make e2e-aws` (scripts/e2e_aws.py) creates in an account, what it
costs and how it is removed (`world`), and the embedded account standing in for a real one in the
tests (`embedded_account`).

May import `autopilot.cost`, `autopilot.embedded` and `autopilot.errors`; never the CLI or the
account tools.
"""
