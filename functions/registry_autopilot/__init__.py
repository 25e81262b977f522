"""Registry Autopilot Lambda code: handlers -> logic -> models, handlers -> adapters."""
