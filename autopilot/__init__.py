"""Local tooling for Registry Autopilot: the embedded backend and the CLI (never shipped to Lambda)."""
