"""Every enum the embedded account checks is the API model's (botocore's service model), not a list of
its own or moto's.

AWS's answer for a value an enum does not list, as users report it from CreateEndpointConfig (the
wording of every AWS JSON-protocol ValidationException for an enum member):
    "An error occurred (ValidationException) when calling the CreateEndpointConfig operation: 1
    validation error detected: Value 'ml.t3.medium' at 'productionVariants.1.member.instanceType'
    failed to satisfy constraint: Member must satisfy enum value set: [ml.r5d.12xlarge, ml.r5.12xlarge,
    ml.p2.xlarge, ..."
The values an endpoint takes: ProductionVariant.InstanceType, "Type: String. Valid Values: ml.t2.medium
| ... " (SageMaker API Reference, ProductionVariant), the ProductionVariantInstanceType enum of the
model the SDK itself sends requests from.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.api_model import MOTO_ENUM_CHECKS, enum

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1"
# Families cdk synth accepts (the model lists them) and moto's own list does not.
CURRENT_TYPES = [
    "ml.g5.xlarge",
    "ml.g6.xlarge",
    "ml.c6i.xlarge",
    "ml.m6i.xlarge",
    "ml.c7g.xlarge",
    "ml.inf2.xlarge",
]
# The type in the AWS answer quoted above; the model does not list it for endpoints either.
NOT_AN_ENDPOINT_TYPE = "ml.t3.medium"


def _endpoint_config(sagemaker: Any, name: str, instance_type: str) -> None:
    sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": instance_type,
                "InitialInstanceCount": 1,
            }
        ],
    )


def _refusal(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    return str(caught.value.response["Error"]["Message"])


@pytest.mark.parametrize("instance_type", CURRENT_TYPES)
def test_an_instance_type_the_api_model_lists_is_accepted_for_an_endpoint(
    sagemaker: Any, instance_type: str
) -> None:
    assert instance_type in enum("ProductionVariantInstanceType")

    _endpoint_config(sagemaker, "current", instance_type)

    variant = sagemaker.describe_endpoint_config(EndpointConfigName="current")["ProductionVariants"][0]
    assert variant["InstanceType"] == instance_type


def test_an_instance_type_the_api_model_does_not_list_is_refused_with_awss_message(sagemaker: Any) -> None:
    assert NOT_AN_ENDPOINT_TYPE not in enum("ProductionVariantInstanceType")

    message = _refusal(lambda: _endpoint_config(sagemaker, "old", NOT_AN_ENDPOINT_TYPE))

    members = ", ".join(enum("ProductionVariantInstanceType"))
    assert message == (
        f"1 validation error detected: Value '{NOT_AN_ENDPOINT_TYPE}' at "
        "'productionVariants.1.member.instanceType' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{members}]"
    )


@pytest.mark.parametrize("instance_type", CURRENT_TYPES)
def test_a_version_advertising_a_current_instance_type_can_be_registered(
    local_backend: LocalBackend, instance_type: str
) -> None:
    # AdditionalInferenceSpecificationDefinition / InferenceSpecification:
    # SupportedRealtimeInferenceInstanceTypes takes ProductionVariantInstanceType values.
    arn = local_backend.seed_model_package("churn", instance_types=(instance_type,))

    described = local_backend.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert described["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] == [instance_type]


def test_with_request_validation_off_moto_checks_the_same_enum_as_the_model() -> None:
    # moto's own list stops before ml.g5: the embedded account puts the model's enum in its place.
    with LocalBackend(validate_requests=False) as backend:
        sagemaker = backend.client("sagemaker")
        _endpoint_config(sagemaker, "current", "ml.g5.xlarge")
        message = _refusal(
            lambda: sagemaker.create_endpoint_config(
                EndpointConfigName="old",
                ProductionVariants=[
                    {
                        "VariantName": "v",
                        "ModelName": "m",
                        "InstanceType": NOT_AN_ENDPOINT_TYPE,
                        "InitialInstanceCount": 1,
                    }
                ],
            )
        )
    assert message.startswith(
        f"1 validation error detected: Value '{NOT_AN_ENDPOINT_TYPE}' at 'instanceType'"
    )
    assert f"enum value set: [{', '.join(enum('ProductionVariantInstanceType'))}]" in message


def test_a_version_with_an_approval_status_the_model_does_not_list_is_refused() -> None:
    with LocalBackend(validate_requests=False) as backend:
        backend.client("sagemaker").create_model_package_group(ModelPackageGroupName="churn")
        message = _refusal(
            lambda: backend.client("sagemaker").create_model_package(
                ModelPackageGroupName="churn", ModelApprovalStatus="Approve"
            )
        )
    assert "Member must satisfy enum value set: [Approved, Rejected, PendingManualApproval]" in message


def _moto_enum_checks() -> set[tuple[str, str | None, str]]:
    """Every function or method of moto's SageMaker models that refuses a value outside a list of moto's."""
    from moto.sagemaker import models, utils

    found: set[tuple[str, str | None, str]] = set()
    for module in (models, utils):
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                if "Member must satisfy enum value set" in inspect.getsource(value):
                    found.add((module.__name__, None, name))
            elif inspect.isclass(value) and value.__module__ == module.__name__:
                for attribute, member in vars(value).items():
                    function = member.__func__ if isinstance(member, staticmethod) else member
                    if inspect.isfunction(
                        function
                    ) and "Member must satisfy enum value set" in inspect.getsource(function):
                        found.add((module.__name__, name, attribute))
    return found


def test_every_enum_list_of_moto_s_sagemaker_models_is_replaced_by_the_model_s_enum() -> None:
    replaced = {(module, owner, attribute) for module, owner, attribute, _, _ in MOTO_ENUM_CHECKS}
    # ServerlessConfig.MemorySizeInMB is an integer range in the model (1024-6144); its 1 GB steps are
    # documented ("1024 MB, 2048 MB, 3072 MB, 4096 MB, 5120 MB, or 6144 MB"), not an enum: moto's check stays.
    documented_steps = {("moto.sagemaker.models", "FakeEndpointConfig", "validate_serverless_config")}
    # Search answers only for the resources moto stores; a SearchResource it lacks is not implemented,
    # and the embedded account's callers never search (docs/FIDELITY.md, "Enums from the API model").
    not_implemented = {("moto.sagemaker.models", "SageMakerModelBackend", "search")}
    moto_lists = _moto_enum_checks()
    # validate_model_approval_status lives in utils and is imported by models under the same name.
    moto_lists = {
        ("moto.sagemaker.models", None, n) if (m, o) == ("moto.sagemaker.utils", None) else (m, o, n)
        for m, o, n in moto_lists
    }

    assert moto_lists - documented_steps - not_implemented == replaced
    for _, _, _, shape, _ in MOTO_ENUM_CHECKS:
        assert enum(shape), shape
