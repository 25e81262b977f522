"""CDK infrastructure for Registry Autopilot: configuration, constructs and the stack."""
