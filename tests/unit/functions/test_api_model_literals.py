"""The functions' copies of AWS enums are the API model's (botocore's service model), member for member.

The Lambda code keeps them as Literals (importing botocore's model at cold start costs time for
nothing); these tests hold each one to the model the SDK sends requests from, so a value dropped, added
or renamed on either side fails here. Where AWS states a subset only in prose (the statuses an
experiment or a compilation job ends in), the subset is checked to lie in the model's enum and to
split it as the quoted sentence does.
"""

from __future__ import annotations

from typing import Any, get_args, get_type_hints

import botocore.session
import pytest

from registry_autopilot.logic import compile_watch, rollout
from registry_autopilot.logic.targets import NEO_IMAGE_REGISTRIES
from registry_autopilot.models import approval, config, events, shadow


def _enum(shape: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return set(model.shape_for(shape).enum)


def _literal(annotation: Any) -> set[str]:
    """The members of a Literal, or of the Literal inside `Literal[...] | None`."""
    found: set[str] = set()
    for arg in get_args(annotation) or (annotation,):
        if isinstance(arg, str):
            found.add(arg)
        elif arg is not type(None):
            found |= _literal(arg)
    return found


def _field(model: Any, name: str) -> set[str]:
    return _literal(model.model_fields[name].annotation)


@pytest.mark.parametrize(
    ("copy", "shape"),
    [
        # CreateCompilationJob OutputConfig.TargetPlatform (SageMaker API Reference, TargetPlatform).
        (lambda: _field(config.TargetPlatform, "os"), "TargetPlatformOs"),
        (lambda: _field(config.TargetPlatform, "arch"), "TargetPlatformArch"),
        (lambda: _field(config.TargetPlatform, "accelerator"), "TargetPlatformAccelerator"),
        # InputConfig.Framework.
        (lambda: _field(config.CompileInput, "framework"), "Framework"),
        # DescribeInferenceExperiment.Status.
        (lambda: _literal(shadow.ExperimentStatus), "InferenceExperimentStatus"),
        # StopInferenceExperiment.ModelVariantActions values and DesiredState.
        (lambda: _field(config.ShadowConfig, "end_action"), "ModelVariantAction"),
        (lambda: _literal(get_type_hints(rollout.Conclusion)["shadow_action"]), "ModelVariantAction"),
        (
            lambda: _literal(get_type_hints(rollout.Conclusion)["desired_state"]),
            "InferenceExperimentStopDesiredState",
        ),
        # The state-change event's detail and UpdateModelPackage.ModelApprovalStatus.
        (lambda: _literal(events.ModelPackageStatus), "ModelPackageStatus"),
        (lambda: _literal(events.ApprovalStatus), "ModelApprovalStatus"),
        (lambda: _literal(approval.ApprovalStatus), "ModelApprovalStatus"),
        # CompilationJobStatus: the ones a job is in while it runs and the ones it ends in.
        (lambda: set(compile_watch.IN_FLIGHT) | set(compile_watch.ENDED), "CompilationJobStatus"),
    ],
    ids=[
        "TargetPlatform.os",
        "TargetPlatform.arch",
        "TargetPlatform.accelerator",
        "CompileInput.framework",
        "shadow.ExperimentStatus",
        "ShadowConfig.end_action",
        "Conclusion.shadow_action",
        "Conclusion.desired_state",
        "events.ModelPackageStatus",
        "events.ApprovalStatus",
        "approval.ApprovalStatus",
        "compile_watch.IN_FLIGHT+ENDED",
    ],
)
def test_each_copy_of_an_aws_enum_equals_the_api_model(copy: Any, shape: str) -> None:
    assert copy() == _enum(shape)


def test_a_compilation_job_is_either_in_flight_or_ended_never_both() -> None:
    # DeleteCompilationJob: "You can delete a compilation job only if its current status is COMPLETED,
    # FAILED, or STOPPED."
    assert set(compile_watch.ENDED) == {"COMPLETED", "FAILED", "STOPPED"}
    assert not set(compile_watch.IN_FLIGHT) & set(compile_watch.ENDED)


def test_the_statuses_an_experiment_ends_in_and_may_be_updated_in_are_statuses_of_the_model() -> None:
    # UpdateInferenceExperiment: "The status of the inference experiment has to be either Created,
    # Running"; StopInferenceExperiment DesiredState: "Completed | Cancelled".
    assert _enum("InferenceExperimentStopDesiredState") == shadow.TERMINAL_STATUSES
    assert _enum("InferenceExperimentStatus") >= shadow.UPDATABLE_STATUSES
    assert not shadow.UPDATABLE_STATUSES & shadow.TERMINAL_STATUSES


def test_every_region_of_the_neo_image_table_is_a_sagemaker_region_of_the_sdk() -> None:
    # The table itself comes from the Developer Guide ("Inference Container Images"); the SDK's
    # endpoint data says where SageMaker exists, so a mistyped or invented region fails here.
    import botocore.loaders

    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    regions = {
        region
        for partition in partitions
        for region in partition["services"].get("api.sagemaker", {}).get("endpoints", {})
    }
    assert set(NEO_IMAGE_REGISTRIES) <= regions
    assert all(len(account) == 12 and account.isdigit() for account in NEO_IMAGE_REGISTRIES.values())
