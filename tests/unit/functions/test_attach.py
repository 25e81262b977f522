"""Attach: the one UpdateModelPackage request built from finished compilations.

Rules: SageMaker API Reference, UpdateModelPackage
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html) and
AdditionalInferenceSpecificationDefinition
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AdditionalInferenceSpecificationDefinition.html):
at most 15 additional specifications per version, names unique and 1-63 chars of
[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}, Description <= 1024, metadata keys <= 128 and values <= 256,
ClientToken <= 36; fields absent from the request stay unchanged. Image from
DescribeCompilationJob.InferenceImage
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_autopilot.logic import naming
from registry_autopilot.logic.attach import CompiledJob, plan_attach
from registry_autopilot.models.config import AutopilotConfig, GroupConfig
from registry_autopilot.models.registry import ModelPackage
from registry_autopilot.models.workflow import TargetOutcome
from tests.compile_fixtures import REGION, describe_output

ENTITY_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
IMAGE = "785573368785.dkr.ecr.us-east-1.amazonaws.com/xgboost-neo:latest"


def completed(target: str, job: str | None = None) -> TargetOutcome:
    return TargetOutcome(target=target, job_name=job or f"autopilot-job-{target}", status="COMPLETED")


def compiled_job(target: str, image: str | None = IMAGE) -> CompiledJob:
    return CompiledJob(
        job_name=f"autopilot-job-{target}",
        artifact=f"s3://bucket/compiled/churn-xgboost/3/{target}/model-{target}.tar.gz",
        inference_image=image,
    )


def attach(
    group: GroupConfig,
    outcomes: list[TargetOutcome],
    jobs: dict[str, CompiledJob] | None = None,
    **package: Any,
) -> Any:
    if jobs is None:
        jobs = {o.job_name: compiled_job(o.target) for o in outcomes if o.status == "COMPLETED"}
    return plan_attach(ModelPackage.from_describe(describe_output(**package)), group, outcomes, jobs, REGION)


def churn(config: AutopilotConfig) -> GroupConfig:
    return config.groups["churn-xgboost"]


def test_one_spec_per_compiled_cloud_target_in_one_request(config: AutopilotConfig) -> None:
    result = attach(churn(config), [completed("ml-c5"), completed("ml-m5"), completed("graviton")])

    specs = result.request["AdditionalInferenceSpecificationsToAdd"]
    assert [spec["Name"] for spec in specs] == ["neo-ml-c5", "neo-ml-m5"]
    assert result.result.attached == ["neo-ml-c5", "neo-ml-m5"]


def test_request_names_no_other_field_than_specs_metadata_and_token(config: AutopilotConfig) -> None:
    # Fields absent from UpdateModelPackage stay unchanged: approval, description and metadata stay.
    request = attach(
        churn(config),
        [completed("ml-c5"), TargetOutcome(target="ml-m5", job_name="j", status="FAILED", reason="bad")],
    ).request

    assert set(request) == {
        "ModelPackageArn",
        "AdditionalInferenceSpecificationsToAdd",
        "CustomerMetadataProperties",
        "ClientToken",
    }


def test_device_spec_payload(config: AutopilotConfig) -> None:
    spec = attach(churn(config), [completed("ml-c5")]).request["AdditionalInferenceSpecificationsToAdd"][0]

    assert spec["Containers"] == [
        {
            "Image": IMAGE,
            "ModelDataUrl": "s3://bucket/compiled/churn-xgboost/3/ml-c5/model-ml-c5.tar.gz",
            "Framework": "XGBOOST",
            "FrameworkVersion": "1.7",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        }
    ]
    assert spec["SupportedRealtimeInferenceInstanceTypes"][:2] == ["ml.c5.large", "ml.c5.xlarge"]
    assert spec["SupportedContentTypes"] == ["text/csv"]
    assert spec["SupportedResponseMIMETypes"] == ["text/csv"]
    assert "autopilot-job-ml-c5" in spec["Description"]


def test_a_platform_target_is_recorded_with_its_artifact_and_not_attached(config: AutopilotConfig) -> None:
    """UpdateModelPackage.AdditionalInferenceSpecificationsToAdd: each specification "specifies
    artifacts based on this model package that can be used on inference endpoints"; an artifact
    compiled for a TargetPlatform is not served by one, and DescribeCompilationJob.InferenceImage is
    "only if the target device is a cloud instance"."""
    result = attach(churn(config), [completed("graviton")])

    assert "AdditionalInferenceSpecificationsToAdd" not in result.request
    record = result.request["CustomerMetadataProperties"][naming.metadata_key("graviton")]
    assert record == (
        "COMPILED: s3://bucket/compiled/churn-xgboost/3/graviton/model-graviton.tar.gz job "
        "autopilot-job-graviton built for platform LINUX/ARM64 which no SageMaker endpoint serves"
    )
    assert [note.target for note in result.result.recorded] == ["graviton"]
    assert result.result.failed == []
    assert result.new_failures == []
    assert result.compiled == ["graviton"]


@pytest.mark.parametrize("device", ["jetson_nano", "rasp4b", "ml_eia2", "lambda"])
def test_an_edge_or_elastic_inference_target_is_recorded_never_given_a_cloud_image(device: str) -> None:
    """Even when the describe result names an image, a target no endpoint serves gets no
    specification: no x86 cloud image is ever attached to an artifact built for another device.
    ml_eia2: "Amazon Elastic Inference is no longer available" (EC2 API Reference,
    ElasticInferenceAccelerator)."""
    group = GroupConfig.model_validate({"neoTargets": [{"name": "edge", "targetDevice": device}]})

    result = attach(group, [completed("edge")])

    assert "AdditionalInferenceSpecificationsToAdd" not in result.request
    assert naming.is_compiled_record(
        result.request["CustomerMetadataProperties"][naming.metadata_key("edge")]
    )


def test_image_falls_back_to_the_regional_neo_image_when_describe_names_none(config: AutopilotConfig) -> None:
    outcome = completed("ml-c5")
    result = attach(churn(config), [outcome], {outcome.job_name: compiled_job("ml-c5", image=None)})

    assert result.request["AdditionalInferenceSpecificationsToAdd"][0]["Containers"][0]["Image"] == IMAGE


def test_a_cloud_target_without_any_fitting_image_is_recorded_as_compiled_not_failed(
    config: AutopilotConfig,
) -> None:
    group = config.groups["fraud-pytorch"]
    outcome = completed("ml-inf2")
    result = attach(group, [outcome], {outcome.job_name: compiled_job("ml-inf2", image=None)})

    # Inferentia needs the image Neo names: no published CPU or GPU image fits it.
    assert result.result.failed == []
    assert result.new_failures == []
    assert result.result.not_attached[0].target == "ml-inf2"
    record = result.request["CustomerMetadataProperties"][naming.metadata_key("ml-inf2")]
    assert record.startswith("COMPILED: s3://bucket/compiled/churn-xgboost/3/ml-inf2/model-ml-inf2.tar.gz")
    assert "no serving image" in record


@pytest.mark.parametrize(
    "compile_input",
    [
        {"framework": "TFLITE"},
        # DARKNET needs its input shape (InputConfig.DataInputConfig), as synthesis checks.
        {"framework": "DARKNET", "dataInputConfig": '{"data": [1, 3, 224, 224]}'},
        {"framework": "SKLEARN"},
    ],
    ids=["TFLITE", "DARKNET", "SKLEARN"],
)
def test_a_framework_without_a_published_image_is_never_recorded_as_a_failure(
    compile_input: dict[str, str],
) -> None:
    group = GroupConfig.model_validate(
        {"neoTargets": [{"name": "ml-c5", "targetDevice": "ml_c5"}], "compileInput": compile_input}
    )
    outcome = completed("ml-c5")

    result = attach(group, [outcome], {outcome.job_name: compiled_job("ml-c5", image=None)})

    assert result.result.failed == []
    assert naming.is_compiled_record(
        result.request["CustomerMetadataProperties"][naming.metadata_key("ml-c5")]
    )


def test_an_artifact_uri_that_cannot_be_kept_whole_is_replaced_by_the_job_name(
    config: AutopilotConfig,
) -> None:
    job = CompiledJob("autopilot-job-graviton", "s3://bucket/" + "k" * 300 + ".tar.gz", None)

    result = attach(churn(config), [completed("graviton")], {job.job_name: job})

    record = result.request["CustomerMetadataProperties"][naming.metadata_key("graviton")]
    assert record.startswith("COMPILED: job autopilot-job-graviton its ModelArtifacts name the artifact")
    assert "kkk" not in record


def test_pytorch_fallback_image_matches_the_device_kind() -> None:
    from registry_autopilot.logic.targets import fallback_image
    from registry_autopilot.models.config import NeoTarget

    gpu = fallback_image("us-east-1", "PYTORCH", "1.12.1", NeoTarget(name="g", target_device="ml_g4dn"))
    cpu = fallback_image("us-east-1", "PYTORCH", "1.12", NeoTarget(name="c", target_device="ml_c5"))

    assert gpu == "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.12-gpu-py3"
    assert cpu == "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.12-cpu-py3"


def test_failed_target_is_recorded_and_the_others_still_attach(config: AutopilotConfig) -> None:
    failed = TargetOutcome(
        target="ml-m5",
        job_name="autopilot-job-ml-m5",
        status="FAILED",
        reason="ClientError: unsupported operator (Conv3D)",
    )
    result = attach(churn(config), [completed("ml-c5"), failed])

    assert [s["Name"] for s in result.request["AdditionalInferenceSpecificationsToAdd"]] == ["neo-ml-c5"]
    assert result.request["CustomerMetadataProperties"] == {
        naming.metadata_key(
            "ml-m5"
        ): "FAILED: ClientError: unsupported operator Conv3D job autopilot-job-ml-m5"
    }
    assert result.new_failures[0].target == "ml-m5"


def test_timed_out_target_is_recorded_with_its_status(config: AutopilotConfig) -> None:
    timed_out = TargetOutcome(
        target="ml-c5", job_name="j", status="TIMED_OUT", reason="still running after 120 minutes"
    )
    result = attach(churn(config), [timed_out])

    assert result.request["CustomerMetadataProperties"][naming.metadata_key("ml-c5")].startswith(
        "TIMED_OUT: "
    )


def test_already_attached_targets_are_skipped_so_a_repeat_writes_nothing(config: AutopilotConfig) -> None:
    specs = [{"Name": "neo-ml-c5"}, {"Name": "neo-ml-m5"}]
    result = attach(
        churn(config), [completed("ml-c5"), completed("ml-m5")], AdditionalInferenceSpecifications=specs
    )

    assert result.request is None
    assert result.result.already_attached == ["neo-ml-c5", "neo-ml-m5"]
    assert not result.result.updated


def test_already_recorded_failures_are_not_written_again(config: AutopilotConfig) -> None:
    failed = TargetOutcome(target="ml-m5", job_name="j", status="FAILED", reason="bad")
    metadata = {naming.metadata_key("ml-m5"): "FAILED: bad"}
    result = attach(churn(config), [failed], CustomerMetadataProperties=metadata)

    assert result.request is None


def test_a_retried_target_that_compiles_is_attached_and_its_request_answered(config: AutopilotConfig) -> None:
    metadata = {naming.metadata_key("ml-m5"): "RETRY"}
    result = attach(
        churn(config), [completed("ml-m5", "autopilot-job-ml-m5")], CustomerMetadataProperties=metadata
    )

    assert [s["Name"] for s in result.request["AdditionalInferenceSpecificationsToAdd"]] == ["neo-ml-m5"]
    assert result.request["CustomerMetadataProperties"] == {
        naming.metadata_key("ml-m5"): "ATTACHED: retried as neo-ml-m5 job autopilot-job-ml-m5"
    }


def test_a_retried_target_that_fails_again_is_recorded_again(config: AutopilotConfig) -> None:
    failed = TargetOutcome(target="ml-m5", job_name="autopilot-job-ml-m5", status="FAILED", reason="bad")
    result = attach(
        churn(config), [failed], CustomerMetadataProperties={naming.metadata_key("ml-m5"): "RETRY"}
    )

    assert result.request["CustomerMetadataProperties"] == {
        naming.metadata_key("ml-m5"): "FAILED: bad job autopilot-job-ml-m5"
    }


def test_fifteen_spec_limit_attaches_what_fits_and_records_the_rest(config: AutopilotConfig) -> None:
    existing = [{"Name": f"user-spec-{i}"} for i in range(14)]
    result = attach(
        churn(config), [completed("ml-c5"), completed("ml-m5")], AdditionalInferenceSpecifications=existing
    )

    assert [s["Name"] for s in result.request["AdditionalInferenceSpecificationsToAdd"]] == ["neo-ml-c5"]
    assert result.result.not_attached[0].target == "ml-m5"
    assert result.request["CustomerMetadataProperties"][naming.metadata_key("ml-m5")].startswith(
        "NOT_ATTACHED: "
    )


def test_same_outcomes_give_the_same_client_token(config: AutopilotConfig) -> None:
    first = attach(churn(config), [completed("ml-c5")]).request["ClientToken"]
    again = attach(churn(config), [completed("ml-c5")]).request["ClientToken"]

    assert first == again
    assert re.fullmatch(r"[a-zA-Z0-9-]{1,36}", first)


outcome_lists = st.lists(
    st.builds(
        TargetOutcome,
        target=st.sampled_from(["ml-c5", "ml-m5", "graviton"]),
        job_name=st.from_regex(r"autopilot-[a-z0-9]{1,20}", fullmatch=True),
        status=st.sampled_from(["COMPLETED", "FAILED", "TIMED_OUT"]),
        reason=st.one_of(st.none(), st.text(max_size=3000)),
    ),
    max_size=6,
)


# No deadline: these properties are about what is built (names, payloads, limits), not how fast. Hypothesis'
# default of 200 ms per example would fail them on a loaded machine (DeadlineExceeded, flaky by nature),
# and speed is measured by `make bench`, never asserted by a test.
@settings(max_examples=150, deadline=None)
@given(outcomes=outcome_lists, existing=st.integers(min_value=0, max_value=15), metadata=st.integers(0, 50))
def test_generated_payloads_satisfy_the_documented_limits(
    outcomes: list[TargetOutcome], existing: int, metadata: int
) -> None:
    from tests.compile_fixtures import make_config

    group = make_config().groups["churn-xgboost"]
    jobs = {o.job_name: CompiledJob(o.job_name, f"s3://b/{o.job_name}.tar.gz", IMAGE) for o in outcomes}
    package = describe_output(
        AdditionalInferenceSpecifications=[{"Name": f"user-{i}"} for i in range(existing)],
        CustomerMetadataProperties={f"k{i}": "v" for i in range(metadata)},
    )
    request = plan_attach(ModelPackage.from_describe(package), group, outcomes, jobs, REGION).request
    if request is None:
        return
    specs = request.get("AdditionalInferenceSpecificationsToAdd", [])
    names = [spec["Name"] for spec in specs]
    assert existing + len(specs) <= 15
    assert len(names) == len(set(names))
    assert all(ENTITY_NAME.match(name) for name in names)
    assert all(len(spec["Description"]) <= 1024 for spec in specs)
    assert all(1 <= len(spec["Containers"]) <= 15 for spec in specs)
    entries = request.get("CustomerMetadataProperties", {})
    assert metadata + len(entries) <= 50
    assert all(len(key) <= 128 and 1 <= len(value) <= 256 for key, value in entries.items())
    assert len(request["ClientToken"]) <= 36
