"""A compile watcher round at scale, on the embedded account (bench/watcher.py, `make bench` row 8).

The round is the deployed code with its real S3 and SageMaker adapters; its calls must grow with the
jobs that ended in the round, not with the versions waiting: one listing of the waits per 1,000
(ListObjectsV2 "Returns some or all (up to 1,000) of the objects in a bucket", Amazon S3 API
Reference), one ListCompilationJobs page per 100 jobs in flight and status (MaxResults 1-100 in the
pinned SDK's service model), then per ended job one GetObject, one DescribeCompilationJob, one
SendTaskSuccess and one DeleteObject. At 1,000 waiting the round stays far within the function's
one-minute timeout at the cost model's 100 ms a call.
"""

from __future__ import annotations

import math

import botocore.session
import pytest

from bench.watcher import ENDED_PER_ROUND, WatcherRound, measure_round
from infra.config import WATCHER_ROUND_SECONDS
from registry_autopilot.logic.compile_watch import IN_FLIGHT
from registry_autopilot.models.config import AutopilotConfig
from tests.infrastructure.synthesis import cdk_json_context

LIST_JOBS_PAGE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("ListCompilationJobs")
    .input_shape.members["MaxResults"]
    .metadata["max"]
)


@pytest.fixture(scope="module")
def config() -> AutopilotConfig:
    return AutopilotConfig.model_validate(cdk_json_context()["autopilot"])


@pytest.fixture(scope="module")
def thousand(config: AutopilotConfig) -> WatcherRound:
    return measure_round(1_000, ENDED_PER_ROUND, config)


def per_ended(measured: WatcherRound) -> dict[str, int]:
    return {
        name: measured.calls[name]
        for name in (
            "s3:GetObject",
            "s3:DeleteObject",
            "sagemaker:DescribeCompilationJob",
            "stepfunctions:SendTaskSuccess",
        )
    }


def test_with_1000_versions_waiting_a_round_reads_describes_and_answers_only_the_jobs_that_ended(
    thousand: WatcherRound,
) -> None:
    assert per_ended(thousand) == dict.fromkeys(per_ended(thousand), ENDED_PER_ROUND)


def test_the_listings_grow_by_one_page_per_100_jobs_in_flight_and_one_per_1000_waits(
    thousand: WatcherRound,
) -> None:
    in_flight = thousand.waiting - thousand.ended
    assert thousand.calls["s3:ListObjectsV2"] == math.ceil(thousand.waiting / 1_000)
    # One page per status at least (an empty status answers one empty page).
    assert thousand.calls["sagemaker:ListCompilationJobs"] == math.ceil(in_flight / LIST_JOBS_PAGE) + (
        len(IN_FLIGHT) - 1
    )


def test_a_round_with_1000_waiting_stays_within_the_function_timeout(thousand: WatcherRound) -> None:
    assert thousand.modelled_seconds < WATCHER_ROUND_SECONDS / 10


def test_ten_times_fewer_waiting_versions_change_only_the_listings(
    config: AutopilotConfig, thousand: WatcherRound
) -> None:
    hundred = measure_round(100, ENDED_PER_ROUND, config)

    assert per_ended(hundred) == per_ended(thousand)
    assert thousand.total - hundred.total == (
        thousand.calls["sagemaker:ListCompilationJobs"] - hundred.calls["sagemaker:ListCompilationJobs"]
    )
