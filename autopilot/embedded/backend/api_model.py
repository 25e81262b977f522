"""The rules the embedded account reads from the API model (botocore's service model), not from lists
of its own.

AWS validates every enum member in a request against the API's model and answers, for a value it does
not list, ``1 validation error detected: Value 'ml.t3.medium' at
'productionVariants.1.member.instanceType' failed to satisfy constraint: Member must satisfy enum value
set: [...]``. The model installed with botocore is the same one the SDK sends requests from, so the
embedded account takes its enums from there: the instance types an endpoint accepts, the statuses of a
compilation job or an inference experiment, the Neo target devices. moto ships lists of its own that
stop years back (its endpoint-config instance types end before ``ml.g5``); ``moto_enum_patches``
replaces each of them with the model's enum (docs/FIDELITY.md, "Enums from the API model").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from autopilot.embedded.backend.validator import validation_message


@lru_cache(maxsize=8)
def service_model(service: str = "sagemaker") -> Any:
    """botocore's service model for `service` (loaded once per process, shared with the backend's
    sessions)."""
    import botocore.session  # type: ignore[import-untyped,unused-ignore]

    from autopilot.embedded.quiet import share_service_models

    share_service_models()

    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=64)
def enum(shape: str, service: str = "sagemaker") -> tuple[str, ...]:
    """The members of an enum shape, in the model's order; KeyError when the shape has no enum."""
    values = service_model(service).shape_for(shape).enum
    if not values:
        raise KeyError(f"{service} shape {shape} is not an enum")
    return tuple(values)


def instance_family(instance_type: str) -> str:
    """`ml.g5.xlarge` -> `g5` ("" for anything else)."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "ml" else ""


@lru_cache(maxsize=1)
def endpoint_instance_families() -> frozenset[str]:
    """Families of ProductionVariantInstanceType: the instances a real-time endpoint runs on."""
    return frozenset(instance_family(t) for t in enum("ProductionVariantInstanceType"))


@lru_cache(maxsize=16)
def endpoint_instance_types(family: str) -> frozenset[str]:
    """The ProductionVariantInstanceType members of one family (`inf1` -> ml.inf1.xlarge, ...)."""
    return frozenset(t for t in enum("ProductionVariantInstanceType") if instance_family(t) == family)


def cloud_instance_device(device: str) -> str | None:
    """The instance family of a Neo TargetDevice that is a cloud instance, else None.

    OutputConfig.TargetDevice: "Identifies the target device or the machine learning instance that you
    want to run your model on". A TargetDevice member names a machine learning instance when an endpoint
    runs on its family: `ml_g4dn` -> `g4dn` (ml.g4dn.* is a ProductionVariantInstanceType). Edge devices
    (`jetson_nano`), `lambda` and `ml_eia2` (an Elastic Inference accelerator, not an instance type)
    are not."""
    if device not in enum("TargetDevice"):
        return None
    family = device.split("_", 1)[1] if device.startswith("ml_") else ""
    return family if family in endpoint_instance_families() else None


# moto's own enum checks: (module, class or None, attribute, the model's enum shape, where AWS reports it).
# Each is replaced, while a LocalBackend is active, by the same check against the model's enum.
MOTO_ENUM_CHECKS: tuple[tuple[str, str | None, str, str, str], ...] = (
    (
        "moto.sagemaker.models",
        "FakeEndpointConfig",
        "validate_instance_type",
        "ProductionVariantInstanceType",
        "instanceType",
    ),
    (
        "moto.sagemaker.models",
        "ModelPackage",
        "validate_supported_realtime_inference_instance_types",
        "ProductionVariantInstanceType",
        "supportedRealtimeInferenceInstanceTypes",
    ),
    (
        "moto.sagemaker.models",
        "ModelPackage",
        "validate_supported_transform_instance_types",
        "TransformInstanceType",
        "supportedTransformInstanceTypes",
    ),
    (
        "moto.sagemaker.models",
        "Cluster",
        "valid_cluster_node_instance_types",
        "ClusterInstanceType",
        "instanceType",
    ),
    (
        "moto.sagemaker.models",
        "FakeSagemakerNotebookInstance",
        "validate_instance_type",
        "InstanceType",
        "instanceType",
    ),
    (
        "moto.sagemaker.models",
        None,
        "validate_model_approval_status",
        "ModelApprovalStatus",
        "modelApprovalStatus",
    ),
)


def _enum_check(shape: str, at: str) -> Callable[..., None]:
    def refuse(values: Iterable[Any]) -> None:
        from moto.sagemaker.exceptions import ValidationError

        allowed = enum(shape)
        wrong = [v for v in values if v is not None and v not in allowed]
        if wrong:
            members = ", ".join(allowed)
            raise ValidationError(
                message=validation_message(
                    [
                        f"Value '{v}' at '{at}' failed to satisfy constraint: Member must satisfy enum value "
                        f"set: [{members}]"
                        for v in wrong
                    ]
                )
            )

    def check(*args: Any) -> None:
        value = args[-1]
        refuse(value if isinstance(value, list | tuple) else [value])

    return check


def moto_enum_patches() -> list[Any]:
    """Unstarted `mock.patch` objects putting the model's enum in place of each of moto's lists."""
    import importlib
    from unittest import mock

    patches = []
    for module_name, class_name, attribute, shape, at in MOTO_ENUM_CHECKS:
        module = importlib.import_module(module_name)
        owner = getattr(module, class_name) if class_name else module
        is_static = class_name is not None and isinstance(owner.__dict__.get(attribute), staticmethod)
        check = _enum_check(shape, at)
        patches.append(mock.patch.object(owner, attribute, staticmethod(check) if is_static else check))
    return patches
