"""Every custom CloudWatch metric the functions may emit: the one list that the functions' code, the
operations dashboard, the alarms and the cost model (`python -m autopilot cost`, `make bench`) read.

Each name is a billed custom metric: namespace `RegistryAutopilot`, one dimension set (`service`, the
Powertools default), no cold-start metric. CloudWatch bills it by the hour, and only in hours it
receives data (CloudWatch User Guide, "Analyzing, optimizing, and reducing CloudWatch costs": "All
custom metrics are prorated by the hour. They're metered only when they're sent to CloudWatch."), so the
functions emit a count only when it is not zero: a stack where nothing needs a person pays for none.

A metric is here only if it counts something that needs a person and that no free AWS metric shows: the
function or the execution ends normally, so Lambda's `Errors` and Step Functions' `ExecutionsFailed`
stay at zero. The normal path (versions approved, targets attached, shadow tests started, rolled,
concluded, events skipped) is counted for free: Step Functions' execution metrics and the dashboard's
Logs Insights widgets over the logs the functions write anyway. Input a handler rejects raises, so
Lambda's `Errors` metric and the `<Function>Errors` alarm count it.
"""

from __future__ import annotations

from enum import StrEnum


class CustomMetric(StrEnum):
    """A count the functions emit (Powertools EMF, unit Count), with what it means to an operator."""

    # A target's Neo compilation failed or timed out; the version's other targets went on, and the
    # execution succeeds (Attach notifies the topic with the retry command).
    TARGETS_FAILED = "TargetsFailed"
    # A target compiled but could not be attached (the 15-specification limit, no serving image, ...).
    TARGETS_NOT_ATTACHED = "TargetsNotAttached"
    # The approval policy left a version PendingManualApproval: a person has to decide.
    VERSIONS_LEFT_FOR_REVIEW = "VersionsLeftForReview"
    # An approved version cannot be shadow-tested on its endpoint (recorded, notified, not retried).
    SHADOW_TESTS_INELIGIBLE = "ShadowTestsIneligible"
    # The roller failed on an experiment and went on with the others (alarm `RollerFailures`).
    ROLLER_EXPERIMENT_FAILURES = "RollerExperimentFailures"


CUSTOM_METRICS: tuple[CustomMetric, ...] = tuple(CustomMetric)
