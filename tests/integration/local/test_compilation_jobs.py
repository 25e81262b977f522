"""Neo compilation jobs walk through statuses instead of completing at once.

- CreateCompilationJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html
- DescribeCompilationJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html
- Neo inference images: https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services-container-images.html
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.backend import LocalBackend

ROLE = "arn:aws:iam::123456789012:role/neo"


def create(sagemaker: Any, name: str, package_arn: str, **output: Any) -> None:
    sagemaker.create_compilation_job(
        CompilationJobName=name,
        RoleArn=ROLE,
        ModelPackageVersionArn=package_arn,
        OutputConfig={"S3OutputLocation": "s3://bucket/neo/", **(output or {"TargetDevice": "ml_c5"})},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )


def statuses(sagemaker: Any, name: str, count: int) -> list[str]:
    return [
        sagemaker.describe_compilation_job(CompilationJobName=name)["CompilationJobStatus"]
        for _ in range(count)
    ]


@pytest.fixture
def package(local_backend: LocalBackend) -> str:
    return local_backend.seed_model_package("churn")


def test_given_scripted_job_when_polled_then_each_describe_takes_one_step(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.script("churn-1-ml-c5", ["STARTING", "INPROGRESS", "COMPLETED"])
    create(sagemaker, "churn-1-ml-c5", package)

    assert statuses(sagemaker, "churn-1-ml-c5", 4) == ["STARTING", "INPROGRESS", "COMPLETED", "COMPLETED"]


def test_given_unscripted_job_when_polled_then_the_default_script_applies(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.default_script = ["INPROGRESS", "INPROGRESS", "COMPLETED"]
    create(sagemaker, "job", package)

    assert statuses(sagemaker, "job", 3) == ["INPROGRESS", "INPROGRESS", "COMPLETED"]


def test_given_completed_job_when_described_then_artifact_and_neo_image_are_returned(
    sagemaker: Any, package: str
) -> None:
    create(sagemaker, "job", package)
    described = [sagemaker.describe_compilation_job(CompilationJobName="job") for _ in range(2)][-1]

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
    sagemaker: Any, package: str, output: dict[str, Any]
) -> None:
    """DescribeCompilationJob.InferenceImage: "Specify an image only if the target device is a cloud
    instance."; "SageMaker Neo now provides inference image URI information for ml_* targets"
    (Developer Guide, "Inference Container Images")."""
    create(sagemaker, "edge-job", package, **output)
    described = [sagemaker.describe_compilation_job(CompilationJobName="edge-job") for _ in range(2)][-1]

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

    described = [sagemaker.describe_compilation_job(CompilationJobName="job") for _ in range(2)][-1]

    assert described["CompilationJobStatus"] == "FAILED"
    assert described["FailureReason"] == "ClientError: bad shape"


def test_given_failing_target_when_jobs_run_then_only_that_target_fails(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.fail_target("ml_inf2", "target not supported in region")
    create(sagemaker, "job-c5", package, TargetDevice="ml_c5")
    create(sagemaker, "job-inf2", package, TargetDevice="ml_inf2")

    assert statuses(sagemaker, "job-c5", 2)[-1] == "COMPLETED"
    assert statuses(sagemaker, "job-inf2", 2)[-1] == "FAILED"


def test_given_failing_platform_key_when_compiled_for_it_then_it_fails(
    local_backend: LocalBackend, sagemaker: Any, package: str
) -> None:
    local_backend.compilation_jobs.fail_target("LINUX_ARM64", "no")
    create(sagemaker, "job", package, TargetPlatform={"Os": "LINUX", "Arch": "ARM64"})

    assert statuses(sagemaker, "job", 2)[-1] == "FAILED"


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
