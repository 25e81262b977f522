"""Where a compiled artifact can be served, on which instance types, and with which image.

AWS rules applied (each quoted in tests/unit/functions/test_targets.py and docs/FIDELITY.md):
- SupportedRealtimeInferenceInstanceTypes takes ProductionVariantInstanceType values only (SageMaker
  API Reference, AdditionalInferenceSpecificationDefinition); the config check at synth holds every
  derived or configured type against the pinned SDK's enum.
- "When you deploy a compiled model, you need to use the same instance for the target that you used
  for compilation" (Developer Guide, Neo, "Deploy a Model"): an artifact compiled for `ml_c5` serves on
  `ml.c5.*` only.
- Additional inference specifications hold "artifacts based on this model package that can be used on
  inference endpoints" (UpdateModelPackage): a target no SageMaker endpoint serves (edge devices,
  `TargetPlatform`, `lambda`, `ml_eia2`: "Amazon Elastic Inference is no longer available") gets no
  specification; its artifact is recorded on the version instead (logic/attach.py).
- DescribeCompilationJob.InferenceImage: "Specify an image only if the target device is a cloud
  instance." When Neo names none, the fallback below names a published image only where its
  architecture and accelerator are the target's (x86 CPU, NVIDIA GPU); never for Graviton (ARM),
  Inferentia or Trainium.
Image fallback registries: the Neo inference images published per region (Developer Guide, "Inference
Container Images"; the same table the SageMaker Python SDK ships as image_uri_config/neo-*.json).
"""

from __future__ import annotations

from registry_autopilot.models.config import NeoTarget

# Neo cloud-instance devices a SageMaker real-time endpoint serves (`ml_<family>`), with the sizes of
# their instance family, all values of ProductionVariantInstanceType.
SERVABLE_FAMILIES: dict[str, tuple[str, ...]] = {
    "c4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge"),
    "c5": ("large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "18xlarge"),
    "m4": ("xlarge", "2xlarge", "4xlarge", "10xlarge", "16xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "c6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "m6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "p2": ("xlarge", "8xlarge", "16xlarge"),
    "p3": ("2xlarge", "8xlarge", "16xlarge"),
    "g4dn": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "inf1": ("xlarge", "2xlarge", "6xlarge", "24xlarge"),
    "inf2": ("xlarge", "8xlarge", "24xlarge", "48xlarge"),
    "trn1": ("2xlarge", "32xlarge"),
}
# Families whose published Neo images fit: x86-64 CPUs ("cpu" images) and NVIDIA GPUs ("gpu" images).
_X86_CPU_FAMILIES = frozenset({"c4", "c5", "m4", "m5"})
_NVIDIA_GPU_FAMILIES = frozenset({"p2", "p3", "g4dn"})

# Account hosting the Neo inference images, per region.
NEO_IMAGE_REGISTRIES: dict[str, str] = {
    "us-east-1": "785573368785",
    "us-east-2": "007439368137",
    "us-west-1": "710691900526",
    "us-west-2": "301217895009",
    "ca-central-1": "464438896020",
    "eu-west-1": "802834080501",
    "eu-west-2": "205493899709",
    "eu-west-3": "254080097072",
    "eu-central-1": "746233611703",
    "eu-north-1": "601324751636",
    "ap-northeast-1": "941853720454",
    "ap-northeast-2": "151534178276",
    "ap-south-1": "763008648453",
    "ap-southeast-1": "324986816169",
    "ap-southeast-2": "355873309152",
    "sa-east-1": "756306329178",
}
# Framework -> (repository, framework versions with a published image).
_NEO_REPOSITORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "PYTORCH": (
        "sagemaker-inference-pytorch",
        ("1.4", "1.5", "1.6", "1.7", "1.8", "1.12", "1.13", "2.0"),
    ),
    "MXNET": ("sagemaker-inference-mxnet", ("1.8",)),
    "TENSORFLOW": ("sagemaker-inference-tensorflow", ("1.15", "2.4", "2.9")),
}


# Framework -> (repository, the one version whose image is published) ("Inference Container Images").
_FIXED_VERSION_REPOSITORIES: dict[str, tuple[str, str]] = {
    "ONNX": ("sagemaker-neo-onnx", "1.5.0"),
    "KERAS": ("sagemaker-neo-keras", "2.2.4"),
}


def neo_repository(framework: str) -> tuple[str, str] | None:
    """The Neo inference image repository for `framework` and the newest version published for it."""
    if framework in _NEO_REPOSITORIES:
        repository, versions = _NEO_REPOSITORIES[framework]
        return repository, versions[-1]
    return _FIXED_VERSION_REPOSITORIES.get(framework)


def device_family(target: NeoTarget) -> str | None:
    """`ml_c5` -> `c5`; None for edge devices and platforms."""
    device = target.target_device or ""
    return device[3:] if device.startswith("ml_") else None


def serving_family(target: NeoTarget) -> str | None:
    """The instance family a SageMaker endpoint serves this target's artifact on; None when none does."""
    family = device_family(target)
    return family if family in SERVABLE_FAMILIES else None


def is_servable(target: NeoTarget) -> bool:
    return serving_family(target) is not None


def describe(target: NeoTarget) -> str:
    """What a target compiles for, in words: "device ml_c5" or "platform LINUX/ARM64"."""
    if target.target_device is not None:
        return f"device {target.target_device}"
    platform = target.target_platform
    assert platform is not None  # NeoTarget guarantees one of device or platform
    parts = [platform.os, platform.arch] + ([platform.accelerator] if platform.accelerator else [])
    return "platform " + "/".join(parts)


def instance_family(instance_type: str) -> str:
    """`ml.c5.xlarge` -> `c5`."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 else ""


def instance_type_fits(target: NeoTarget, instance_type: str) -> bool:
    family = serving_family(target)
    return family is not None and instance_family(instance_type) == family


def instance_types_for(target: NeoTarget) -> list[str]:
    """Configured instance types, else the family's sizes; empty for a target no endpoint serves."""
    family = serving_family(target)
    if family is None:
        return []
    if target.instance_types:
        return list(target.instance_types)
    return [f"ml.{family}.{size}" for size in SERVABLE_FAMILIES[family]]


def fallback_image(
    region: str, framework: str | None, framework_version: str | None, target: NeoTarget
) -> str | None:
    """The published Neo serving image for this framework, region and processor, if there is one."""
    family = serving_family(target)
    if family in _X86_CPU_FAMILIES:
        processor = "cpu"
    elif family in _NVIDIA_GPU_FAMILIES:
        processor = "gpu"
    else:
        return None  # Graviton, Inferentia, Trainium: only the image Neo names fits them
    account = NEO_IMAGE_REGISTRIES.get(region)
    if account is None or framework is None:
        return None
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    framework = framework.upper()
    if framework == "XGBOOST":
        return f"{registry}/xgboost-neo:latest" if processor == "cpu" else None
    fixed = _FIXED_VERSION_REPOSITORIES.get(framework)
    if fixed is not None:
        name, version = fixed
        return f"{registry}/{name}:{version}-{processor}-py3"
    repository = _NEO_REPOSITORIES.get(framework)
    if repository is None or framework_version is None:
        return None
    name, versions = repository
    short = ".".join(framework_version.split(".")[:2])
    if short not in versions:
        return None
    return f"{registry}/{name}:{short}-{processor}-py3"
