"""Local tooling for Registry Autopilot, never shipped to Lambda. One package per concern, arrows
pointing down only (import-linter holds them: `[tool.importlinter]` in pyproject.toml; the picture is
docs/ARCHITECTURE.md):

- `cli`: the command line, one module per verb; nothing imports it.
- `account`: the tools that talk to a real AWS account (credentials, the runner behind `plan` and
  `invoke --aws`, doctor, status, retry).
- `e2e`: the throwaway world `make e2e-aws` builds, runs in and removes (scripts/e2e_aws.py, tests/e2e).
- `cost`: what a version and a month cost: the lifecycle counted, list prices, the report.
- `embedded`: the AWS account in-process (backend, state-machine runner, event matcher, synthesized
  wiring) and what runs on it (replay, the demo).
- `errors`: the one error a user can fix.
"""
