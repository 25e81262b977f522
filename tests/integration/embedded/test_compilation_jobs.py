"""Neo compilation jobs walk through statuses instead of completing at once; the status follows the
clock (a script is a job's status minute by minute), never how often it is asked.

- CreateCompilationJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html
- DescribeCompilationJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html
- Neo inference images: https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services-container-images.html
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend

ROLE = "arn:aws:iam::123456789012:role/neo"


def create(sagemaker: Any, name: str, package_arn: str, **output: Any) -> None:
    sagemaker.create_compilation_job(
        CompilationJobName=name,
        RoleArn=ROLE,
        ModelPackageVersionArn=package_arn,
        OutputConfig={"S3OutputLocation": "s3://bucket/neo/", **(output or {"TargetDevice": "ml_c5"})},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )


def statuses(backend: LocalBackend, sagemaker: Any, name: str, count: int) -> list[str]:
    """The job's status `count` times, a minute apart (the first now)."""
    seen = []
    for _ in range(count):
        seen.append(sagemaker.describe_compilation_job(CompilationJobName=name)["CompilationJobStatus"])
        backend.clock.advance(60)
    return seen


def a_minute_later(backend: LocalBackend, sagemaker: Any, name: str) -> dict[str, Any]:
    backend.clock.advance(60)
    return dict(sagemaker.describe_compilation_job(CompilationJobName=name))


@pytest.fixture
def package(local_backend: LocalBackend) -> str:
    return local_backend.seed_model_package("churn")


def test_given_scripted_job_when_polled_each_minute_then_each_minute_takes_one_step(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script("churn-1-ml-c5", ["STARTING", "INPROGRESS", "COMPLETED"])
    create(sagemaker, "churn-1-ml-c5", package)

    assert statuses(local_backend, sagemaker, "churn-1-ml-c5", 4) == [
        "STARTING",
        "INPROGRESS",
        "COMPLETED",
        "COMPLETED",
    ]


def test_given_unscripted_job_when_polled_then_the_default_script_applies(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.default_script = ["INPROGRESS", "INPROGRESS", "COMPLETED"]
    create(sagemaker, "job", package)

    assert statuses(local_backend, sagemaker, "job", 3) == ["INPROGRESS", "INPROGRESS", "COMPLETED"]


def test_given_completed_job_when_described_then_artifact_and_neo_image_are_returned(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    create(sagemaker, "job", package)
    described = a_minute_later(local_backend, sagemaker, "job")

    assert described["CompilationJobStatus"] == "COMPLETED"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == "s3://bucket/neo/model-ml_c5.tar.gz"
    assert described["InferenceImage"] == (
        "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:2.0-cpu-py3"
    )
    assert described["ModelPackageVersionArn"] == package
    assert "CompilationEndTime" in described


@pytest.mark.parametrize(
    "output",
    [
        {"TargetDevice": "jetson_nano"},
        {"TargetDevice": "rasp4b"},
        {"TargetPlatform": {"Os": "LINUX", "Arch": "ARM64"}},
    ],
)
def test_given_an_edge_or_platform_target_when_completed_then_no_inference_image_is_named(
    local_backend: LocalBackend, sagemaker: Any, package: str, output: dict[str, Any]
) -> None:
    """DescribeCompilationJob.InferenceImage: "Specify an image only if the target device is a cloud
    instance."; "SageMaker Neo now provides inference image URI information for ml_* targets"
    (Developer Guide, "Inference Container Images")."""
    create(sagemaker, "edge-job", package, **output)
    described = a_minute_later(local_backend, sagemaker, "edge-job")

    assert described["CompilationJobStatus"] == "COMPLETED"
    assert described["ModelArtifacts"]["S3ModelArtifacts"].startswith("s3://bucket/neo/")
    assert "InferenceImage" not in described


def test_given_in_progress_job_when_described_then_no_image_is_offered_yet(
    sagemaker: Any, package: str
) -> None:
    create(sagemaker, "job", package)

    described = sagemaker.describe_compilation_job(CompilationJobName="job")

    assert described["CompilationJobStatus"] == "INPROGRESS"
    assert "InferenceImage" not in described
    assert "CompilationEndTime" not in described


def test_given_failing_script_when_polled_then_failure_reason_is_returned(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script(
        "job", ["INPROGRESS", "FAILED"], failure_reason="ClientError: bad shape"
    )
    create(sagemaker, "job", package)

    described = a_minute_later(local_backend, sagemaker, "job")

    assert described["CompilationJobStatus"] == "FAILED"
    assert described["FailureReason"] == "ClientError: bad shape"


def test_given_failing_target_when_jobs_run_then_only_that_target_fails(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.fail_target("ml_inf2", "target not supported in region")
    create(sagemaker, "job-c5", package, TargetDevice="ml_c5")
    create(sagemaker, "job-inf2", package, TargetDevice="ml_inf2")

    assert statuses(local_backend, sagemaker, "job-c5", 2)[-1] == "COMPLETED"
    assert statuses(local_backend, sagemaker, "job-inf2", 2)[-1] == "FAILED"


def test_given_failing_platform_key_when_compiled_for_it_then_it_fails(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.fail_target("LINUX_ARM64", "no")
    create(sagemaker, "job", package, TargetPlatform={"Os": "LINUX", "Arch": "ARM64"})

    assert statuses(local_backend, sagemaker, "job", 2)[-1] == "FAILED"


def test_given_existing_job_name_when_creating_again_then_resource_in_use(
    sagemaker: Any, package: str
) -> None:
    create(sagemaker, "job", package)
    with pytest.raises(ClientError) as caught:
        create(sagemaker, "job", package)
    assert caught.value.response["Error"]["Code"] == "ResourceInUse"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_given_both_target_device_and_platform_when_creating_then_validation_fails(
    sagemaker: Any, package: str
) -> None:
    with pytest.raises(ClientError) as caught:
        create(
            sagemaker, "job", package, TargetDevice="ml_c5", TargetPlatform={"Os": "LINUX", "Arch": "X86_64"}
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_given_nvidia_platform_without_compiler_options_when_creating_then_validation_fails(
    sagemaker: Any, package: str
) -> None:
    with pytest.raises(ClientError) as caught:
        create(
            sagemaker,
            "job",
            package,
            TargetPlatform={"Os": "LINUX", "Arch": "X86_64", "Accelerator": "NVIDIA"},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_given_unknown_job_when_described_then_resource_not_found(sagemaker: Any) -> None:
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.describe_compilation_job(CompilationJobName="missing")


# --- Time limit (StoppingCondition) and StopCompilationJob ----------------------------------------------
# SageMaker API Reference, StoppingCondition
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html), MaxRuntimeInSeconds:
# "For compilation jobs, if the job does not complete during this time, a TimeOut error is generated. We
# recommend starting with 900 seconds and increasing as necessary based on your model."


def create_limited(sagemaker: Any, name: str, package_arn: str, seconds: int) -> None:
    sagemaker.create_compilation_job(
        CompilationJobName=name,
        RoleArn=ROLE,
        ModelPackageVersionArn=package_arn,
        OutputConfig={"S3OutputLocation": "s3://bucket/neo/", "TargetDevice": "ml_c5"},
        StoppingCondition={"MaxRuntimeInSeconds": seconds},
    )


def test_given_a_job_compiling_longer_than_its_max_runtime_when_polled_then_it_fails_with_timeout(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script("slow", ["INPROGRESS"])  # never finishes by itself
    create_limited(sagemaker, "slow", package, 900)
    assert statuses(local_backend, sagemaker, "slow", 1) == ["INPROGRESS"]  # and a minute passes

    local_backend.clock.advance(839)
    still = sagemaker.describe_compilation_job(CompilationJobName="slow")
    local_backend.clock.advance(2)
    described = sagemaker.describe_compilation_job(CompilationJobName="slow")

    assert still["CompilationJobStatus"] == "INPROGRESS"
    assert described["CompilationJobStatus"] == "FAILED"
    assert described["FailureReason"].startswith("TimeOut")
    assert "900 seconds" in described["FailureReason"]
    assert statuses(local_backend, sagemaker, "slow", 1) == ["FAILED"]  # for good


def test_given_a_job_that_completes_within_its_max_runtime_when_polled_later_then_it_stays_completed(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script("quick", ["INPROGRESS", "COMPLETED"])
    create_limited(sagemaker, "quick", package, 60)

    first = statuses(local_backend, sagemaker, "quick", 2)
    local_backend.clock.advance(3600)

    assert first == ["INPROGRESS", "COMPLETED"]
    assert statuses(local_backend, sagemaker, "quick", 1) == ["COMPLETED"]


def test_given_a_running_job_when_stopped_then_it_is_stopping_then_stopped(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    """SageMaker API Reference, StopCompilationJob
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopCompilationJob.html): "When it
    receives a StopCompilationJob request, Amazon SageMaker AI changes the CompilationJobStatus of the job
    to Stopping. After Amazon SageMaker stops the job, it sets the CompilationJobStatus to Stopped.\""""
    local_backend.compilation_jobs.script("job", ["STARTING"])
    create(sagemaker, "job", package)
    statuses(local_backend, sagemaker, "job", 1)

    sagemaker.stop_compilation_job(CompilationJobName="job")

    assert statuses(local_backend, sagemaker, "job", 3) == ["STOPPING", "STOPPED", "STOPPED"]


def test_given_a_completed_job_when_stopped_then_validation_fails(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script("job", ["COMPLETED"])
    create(sagemaker, "job", package)
    statuses(local_backend, sagemaker, "job", 1)

    with pytest.raises(ClientError) as caught:
        sagemaker.stop_compilation_job(CompilationJobName="job")

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert statuses(local_backend, sagemaker, "job", 1) == ["COMPLETED"]


def test_given_an_unknown_job_when_stopped_then_resource_not_found(sagemaker: Any) -> None:
    with pytest.raises(sagemaker.exceptions.ResourceNotFound):
        sagemaker.stop_compilation_job(CompilationJobName="missing")


# --- InputConfig rules ----------------------------------------------------------------------------------
# SageMaker API Reference, InputConfig (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InputConfig.html):
# FrameworkVersion: "This API field is only supported for the MXNet, PyTorch, TensorFlow and TensorFlow Lite
# frameworks." DataInputConfig: "TensorFlow: You must specify the name and shape (NHWC format) of the
# expected data inputs"; "KERAS: You must specify ..."; "MXNET/ONNX/DARKNET: You must specify ...";
# "XGBOOST: input data name and shape are not needed." PyTorch 2.0+ on cloud instance targets: "SageMaker
# Neo now supports data input shape derivation for Pytorch 2.0 and XGBoost compilation job for cloud
# instance targets. You can skip DataInputConfig field during compilation job creation." (SageMaker API
# change log, 2023-09-05).


def create_from_input(sagemaker: Any, device: str = "ml_c5", **input_config: str) -> None:
    sagemaker.create_compilation_job(
        CompilationJobName="job",
        RoleArn=ROLE,
        InputConfig={"S3Uri": "s3://bucket/model.tar.gz", **input_config},
        OutputConfig={"S3OutputLocation": "s3://bucket/neo/", "TargetDevice": device},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )


@pytest.mark.parametrize("framework", ["XGBOOST", "ONNX", "KERAS", "DARKNET", "SKLEARN"])
def test_given_a_framework_version_for_a_framework_that_takes_none_then_validation_fails(
    sagemaker: Any, framework: str
) -> None:
    with pytest.raises(ClientError) as caught:
        create_from_input(
            sagemaker, Framework=framework, FrameworkVersion="1.0", DataInputConfig='{"a": [1]}'
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "FrameworkVersion" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("framework", ["TENSORFLOW", "KERAS", "MXNET", "ONNX", "DARKNET"])
def test_given_no_data_input_config_for_a_framework_that_needs_one_then_validation_fails(
    sagemaker: Any, framework: str
) -> None:
    with pytest.raises(ClientError) as caught:
        create_from_input(sagemaker, Framework=framework)
    assert "DataInputConfig" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("version", "device"), [("1.13", "ml_c5"), ("2.0", "jetson_xavier")], ids=["pytorch-1", "edge-device"]
)
def test_given_pytorch_without_data_input_config_when_neo_cannot_derive_it_then_validation_fails(
    sagemaker: Any, version: str, device: str
) -> None:
    with pytest.raises(ClientError) as caught:
        create_from_input(sagemaker, device, Framework="PYTORCH", FrameworkVersion=version)
    assert "DataInputConfig" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "input_config",
    [
        {"Framework": "PYTORCH", "FrameworkVersion": "2.0"},
        {"Framework": "XGBOOST"},
        {"Framework": "TENSORFLOW", "FrameworkVersion": "2.9", "DataInputConfig": '{"input": [1, 3]}'},
    ],
    ids=["pytorch-2-cloud", "xgboost", "tensorflow-with-shape"],
)
def test_given_an_input_config_within_the_rules_then_the_job_is_created(
    sagemaker: Any, input_config: dict[str, str]
) -> None:
    create_from_input(sagemaker, **input_config)

    assert sagemaker.describe_compilation_job(CompilationJobName="job")["CompilationJobName"] == "job"


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        (
            [
                {"Image": "features:1", "ModelDataUrl": "s3://m/features.tar.gz"},
                {"Image": "xgb:1", "ModelDataUrl": "s3://m/model.tar.gz"},
            ],
            "has 2 containers",
        ),
        ([{"Image": "xgb:1", "ModelDataUrl": "s3://m/model.tar.gz", "ProductId": "prod-1"}], "Marketplace"),
        (
            [
                {
                    "Image": "xgb:1",
                    "ModelDataSource": {
                        "S3DataSource": {
                            "S3Uri": "s3://m/model/",
                            "S3DataType": "S3Prefix",
                            "CompressionType": "None",
                        }
                    },
                }
            ],
            "uncompressed",
        ),
    ],
)
def test_given_a_version_neo_cannot_compile_when_compiling_it_by_arn_then_validation_fails(
    sagemaker: Any, containers: list[dict[str, Any]], message: str
) -> None:
    """InputConfig.S3Uri (CreateCompilationJob): "This path must point to a single gzip compressed tar
    archive (.tar.gz suffix)." AWS's answer for these versions is not documented; the backend refuses
    them (docs/FIDELITY.md, "Where the documentation is silent")."""
    sagemaker.create_model_package_group(ModelPackageGroupName="pipeline")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="pipeline", InferenceSpecification={"Containers": containers}
    )["ModelPackageArn"]

    with pytest.raises(ClientError) as caught:
        create(sagemaker, "not-compilable", arn)

    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert message in caught.value.response["Error"]["Message"]


def test_given_jobs_in_several_statuses_when_listed_by_name_and_status_then_the_list_agrees_with_describe(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    """SageMaker API Reference, ListCompilationJobs
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListCompilationJobs.html):
    NameContains "A filter that returns the model compilation jobs whose name contains a specified
    string"; StatusEquals "A filter that retrieves model compilation jobs with a specific
    CompilationJobStatus status"; MaxResults 1-100, and "If the result of the previous
    ListCompilationJobs request was truncated, the response includes a NextToken". moto lists its own
    statuses (COMPLETED at once); the backend lists what DescribeCompilationJob last answered, without
    moving the job along its walk."""
    local_backend.compilation_jobs.script("churn-v1-a", ["INPROGRESS", "COMPLETED"])
    local_backend.compilation_jobs.script("churn-v1-b", ["INPROGRESS", "INPROGRESS", "COMPLETED"])
    local_backend.compilation_jobs.script("churn-v1-c", ["FAILED"])
    local_backend.compilation_jobs.script("other-v1-a", ["INPROGRESS"])
    for name in ("churn-v1-a", "churn-v1-b", "churn-v1-c", "other-v1-a"):
        create(sagemaker, name, package)
    local_backend.clock.advance(60)  # a minute on: a is COMPLETED, b still INPROGRESS

    def listed(**filters: Any) -> list[tuple[str, str]]:
        pages = sagemaker.get_paginator("list_compilation_jobs").paginate(
            **filters, PaginationConfig={"PageSize": 1}
        )
        return sorted(
            (job["CompilationJobName"], job["CompilationJobStatus"])
            for page in pages
            for job in page["CompilationJobSummaries"]
        )

    assert listed(NameContains="churn-v1-") == [
        ("churn-v1-a", "COMPLETED"),
        ("churn-v1-b", "INPROGRESS"),
        ("churn-v1-c", "FAILED"),
    ]
    assert listed(NameContains="churn-v1-", StatusEquals="INPROGRESS") == [("churn-v1-b", "INPROGRESS")]
    # Listing is a read: the walk did not move.
    assert statuses(local_backend, sagemaker, "churn-v1-b", 2) == ["INPROGRESS", "COMPLETED"]
    assert [local_backend.compilation_jobs.describe_count(n) for n in ("churn-v1-a", "churn-v1-c")] == [0, 0]


def test_given_jobs_that_end_on_the_clock_when_time_passes_then_list_and_describe_see_them_end(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    """A job compiles for a time, not for a number of describes: a caller that only lists (a watcher)
    sees it end when that time has passed. Statuses: SageMaker API Reference, DescribeCompilationJob,
    CompilationJobStatus "INPROGRESS | COMPLETED | FAILED | STARTING | STOPPING | STOPPED"."""
    local_backend.compilation_jobs.compile_seconds = 600
    local_backend.compilation_jobs.fail_target("ml_m5", "ClientError: unsupported operator")
    create(sagemaker, "churn-v2-c5", package)
    create(sagemaker, "churn-v2-m5", package, TargetDevice="ml_m5")

    def listed() -> dict[str, str]:
        page = sagemaker.list_compilation_jobs(NameContains="churn-v2-")
        return {
            job["CompilationJobName"]: job["CompilationJobStatus"] for job in page["CompilationJobSummaries"]
        }

    local_backend.clock.advance(599)
    assert listed() == {"churn-v2-c5": "INPROGRESS", "churn-v2-m5": "INPROGRESS"}
    local_backend.clock.advance(1)
    assert listed() == {"churn-v2-c5": "COMPLETED", "churn-v2-m5": "FAILED"}
    assert statuses(local_backend, sagemaker, "churn-v2-c5", 1) == ["COMPLETED"]
    failed = sagemaker.describe_compilation_job(CompilationJobName="churn-v2-m5")
    assert failed["FailureReason"] == "ClientError: unsupported operator"


def test_given_a_job_that_would_compile_past_its_max_runtime_when_the_limit_passes_then_it_fails_with_timeout(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    """SageMaker API Reference, StoppingCondition: "For compilation jobs, if the job does not complete
    during this time, a TimeOut error is generated." (`create` asks for 900 seconds.)"""
    local_backend.compilation_jobs.compile_seconds = 1200
    create(sagemaker, "churn-v3-c5", package)

    local_backend.clock.advance(901)

    described = sagemaker.describe_compilation_job(CompilationJobName="churn-v3-c5")
    assert described["CompilationJobStatus"] == "FAILED"
    assert described["FailureReason"].startswith("TimeOut")
