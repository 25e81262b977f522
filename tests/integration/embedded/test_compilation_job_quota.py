"""The account's quota on concurrent compilation jobs: CreateCompilationJob past it answers
ResourceLimitExceeded, "You have exceeded an SageMaker resource limit. For example, you might have too
many training jobs created." (SageMaker API Reference, CreateCompilationJob, Errors:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html). A job that
has ended (COMPLETED, FAILED, STOPPED) no longer counts. The default value is not in the documentation
we hold (docs/FIDELITY.md): the embedded account's default is DEFAULT_CONCURRENT_COMPILATION_JOBS and a
test sets its own.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend._sagemaker import DEFAULT_CONCURRENT_COMPILATION_JOBS
from tests.integration.embedded.test_compilation_jobs import create


@pytest.fixture
def package(local_backend: LocalBackend) -> str:
    return local_backend.seed_model_package("churn")


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response["Error"])


def test_create_compilation_job_declares_resource_limit_exceeded_in_the_service_model() -> None:
    operation = (
        botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateCompilationJob")
    )
    assert "ResourceLimitExceeded" in {shape.name for shape in operation.error_shapes}


def test_given_the_quota_filled_with_running_jobs_when_one_more_is_created_then_resource_limit_exceeded(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.concurrent_quota = 2
    local_backend.compilation_jobs.default_script = ["INPROGRESS"]
    create(sagemaker, "one", package)
    create(sagemaker, "two", package)

    error = refusal(lambda: create(sagemaker, "three", package))

    assert error["Code"] == "ResourceLimitExceeded"
    assert "is 2 Jobs, with current utilization of 2 Jobs" in error["Message"]
    assert local_backend.compilation_jobs.refused_for_quota == 1
    names = {j["CompilationJobName"] for j in sagemaker.list_compilation_jobs()["CompilationJobSummaries"]}
    assert names == {"one", "two"}  # nothing created


def test_given_a_job_that_ended_when_one_more_is_created_then_its_place_is_free(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.concurrent_quota = 2
    local_backend.compilation_jobs.script("quick", ["INPROGRESS", "COMPLETED"])
    local_backend.compilation_jobs.script("slow", ["INPROGRESS"])
    create(sagemaker, "quick", package)
    create(sagemaker, "slow", package)
    assert refusal(lambda: create(sagemaker, "early", package))["Code"] == "ResourceLimitExceeded"

    local_backend.clock.advance(60)  # "quick" has completed
    create(sagemaker, "later", package)

    described = sagemaker.describe_compilation_job(CompilationJobName="later")
    assert described["CompilationJobStatus"] == "INPROGRESS"


def test_given_the_quota_filled_when_a_taken_name_is_created_again_then_resource_in_use_as_before(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.concurrent_quota = 1
    local_backend.compilation_jobs.default_script = ["INPROGRESS"]
    create(sagemaker, "only", package)

    assert refusal(lambda: create(sagemaker, "only", package))["Code"] == "ResourceInUse"


def test_given_no_quota_set_then_the_embedded_account_holds_the_documented_default(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.default_script = ["INPROGRESS"]
    for index in range(DEFAULT_CONCURRENT_COMPILATION_JOBS):
        create(sagemaker, f"job-{index}", package)

    assert refusal(lambda: create(sagemaker, "one-more", package))["Code"] == "ResourceLimitExceeded"
