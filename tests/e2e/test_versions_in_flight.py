"""Versions in flight: versions registered within one minute across many groups, 3 targets each, every
execution running at once on the embedded account (`EmbeddedStack.run_in_flight`: Wait states, retry
intervals and callbacks on the simulated clock; nothing sleeps).

The suite runs 30 versions across 10 groups (90 jobs) against the embedded account's default quota
on concurrent compilation jobs (10), so most creates meet the quota and wait; the real time goes to
the states those waits run (60 versions took two and a half minutes on a loaded machine). `make bench`
runs the issue's size, 1,000 versions across 300 groups (bench/inflight.py, docs/PERFORMANCE.md
section 8). What holds at both sizes:
- every version ends attached (3 specs) and decided (the policy's decision recorded), and no
  execution fails;
- the quota is met by waiting: creates refused with ResourceLimitExceeded ("You have exceeded an
  SageMaker resource limit", SageMaker API Reference, CreateCompilationJob) are made again later, and
  the jobs drain no faster than the quota allows;
- a compile watcher round stays within the function's timeout (one minute) at the cost model's round
  trip, and its SageMaker calls grow with the jobs that ended in that round: one DescribeCompilationJob
  per job ended, beside a listing of one page per 100 jobs in flight and status (ListCompilationJobs
  MaxResults, SageMaker API Reference: "The maximum number of model compilation jobs to return in the
  response", at most 100 in the service model).
"""

from __future__ import annotations

import math

import pytest

from autopilot.embedded.synth import SynthesizedApp, synthesize
from bench.inflight import VersionsInFlight, minimum_drain, organisation, run_versions_in_flight
from infra.config import WATCHER_ROUND_SECONDS
from registry_autopilot.logic.compile_watch import IN_FLIGHT
from tests.e2e.test_watcher_round import LIST_JOBS_PAGE

VERSIONS = 30
GROUPS = 10
QUOTA = 10  # the embedded account's default (docs/FIDELITY.md)
COMPILE_SECONDS = 300


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize(organisation(GROUPS))


@pytest.fixture(scope="module")
def run(app: SynthesizedApp) -> VersionsInFlight:
    return run_versions_in_flight(VERSIONS, GROUPS, quota=QUOTA, compile_seconds=COMPILE_SECONDS, app=app)


def test_every_version_registered_within_a_minute_ends_attached_and_decided(run: VersionsInFlight) -> None:
    assert len(run.states) == VERSIONS
    assert len({arn.rsplit("/", 2)[-2] for arn in run.states}) == GROUPS
    assert run.unattached() == []
    assert run.undecided() == []
    assert run.approvals() == {"Approved": VERSIONS}


def test_no_execution_fails(run: VersionsInFlight) -> None:
    assert len(run.outcome.executions) == VERSIONS
    assert run.failed_executions == []
    assert run.outcome.rounds
    assert not [r for r in run.outcome.rounds if r.failures]


def test_the_quota_on_concurrent_compilation_jobs_is_met_by_waiting(run: VersionsInFlight) -> None:
    jobs = VERSIONS * 3
    assert run.refused_for_quota > 0, "the burst should have met the quota"
    assert run.jobs_created == jobs  # each job created once, after however many refusals
    # The jobs drained no faster than the quota allows, and the run ended.
    assert run.decided_after >= minimum_drain(VERSIONS, QUOTA, COMPILE_SECONDS)


def test_a_watcher_round_stays_within_the_function_timeout(run: VersionsInFlight) -> None:
    assert run.busiest_round_seconds() < WATCHER_ROUND_SECONDS


def test_the_sagemaker_calls_of_a_round_grow_with_the_jobs_that_ended_in_it(run: VersionsInFlight) -> None:
    in_flight_pages = len(IN_FLIGHT) * math.ceil(QUOTA / LIST_JOBS_PAGE)  # at most QUOTA jobs in flight
    for answered, sagemaker_calls in run.round_sagemaker_calls():
        # One describe per job that ended (answered), beside the listing: never one per waiting branch.
        assert answered <= sagemaker_calls <= answered + in_flight_pages
    assert {answered for answered, _ in run.round_sagemaker_calls()} != {0}


def test_the_bench_rows_report_the_run(run: VersionsInFlight) -> None:
    """`make bench` prints these rows from the same run at the issue's size (bench/run.py)."""
    from types import SimpleNamespace

    from bench.run import BenchReport

    rows = BenchReport.in_flight_rows(SimpleNamespace(in_flight=run))  # type: ignore[arg-type]

    decided, quota, busiest = rows
    assert busiest[1].strip().startswith("busiest watcher round")
    assert decided[1].startswith(f"{VERSIONS:,} versions registered within a minute, {GROUPS} groups")
    assert "0 executions failed, 0 versions not attached or decided" in decided[2]
    assert f"a quota of {QUOTA} concurrent jobs" in decided[2]
    assert quota[2].startswith(
        f"{run.refused_for_quota:,} ResourceLimitExceeded, {VERSIONS * 3:,} jobs created"
    )
    assert [row[4] for row in rows] == ["met", "met", "met"]
