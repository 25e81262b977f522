"""Which serving image a compiled artifact gets when DescribeCompilationJob names none.

AWS rules relied on:
- SageMaker API Reference, DescribeCompilationJob
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html),
  InferenceImage: "Specify an image only if the target device is a cloud instance."
- Developer Guide, Neo, "Inference Container Images"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services-container-images.html):
  "SageMaker Neo now provides inference image URI information for ml_* targets"; the templates name a
  `cpu` or `gpu` image for CPU and GPU instance types, and separate `inf` images for Inferentia1
  (sagemaker-neo-mxnet, sagemaker-neo-pytorch); ONNX 1.5.0 (sagemaker-neo-onnx) and Keras 2.2.4
  (sagemaker-neo-keras) images exist for `cpu` or `gpu`.
- Developer Guide, Neo, "Deploy a Model"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services.html): "For
  Inferentia and Trainium instances, models need to be compiled specifically for those instances."
"""

from __future__ import annotations

import pytest

from registry_autopilot.logic.targets import fallback_image, instance_types_for, is_servable
from registry_autopilot.models.config import NeoTarget, TargetPlatform

REGISTRY = "785573368785.dkr.ecr.us-east-1.amazonaws.com"


def device(name: str) -> NeoTarget:
    return NeoTarget(name="t", target_device=name)


@pytest.mark.parametrize(
    ("target_device", "framework", "version", "image"),
    [
        ("ml_c5", "XGBOOST", "1.7", f"{REGISTRY}/xgboost-neo:latest"),
        ("ml_m4", "PYTORCH", "2.0.1", f"{REGISTRY}/sagemaker-inference-pytorch:2.0-cpu-py3"),
        ("ml_p3", "PYTORCH", "1.13", f"{REGISTRY}/sagemaker-inference-pytorch:1.13-gpu-py3"),
        ("ml_g4dn", "ONNX", None, f"{REGISTRY}/sagemaker-neo-onnx:1.5.0-gpu-py3"),
        ("ml_c4", "KERAS", "2.2.4", f"{REGISTRY}/sagemaker-neo-keras:2.2.4-cpu-py3"),
    ],
)
def test_an_x86_cpu_or_nvidia_gpu_target_falls_back_to_the_published_image_of_its_processor(
    target_device: str, framework: str, version: str | None, image: str
) -> None:
    assert fallback_image("us-east-1", framework, version, device(target_device)) == image


@pytest.mark.parametrize("target_device", ["ml_c6g", "ml_m6g", "ml_inf1", "ml_inf2", "ml_trn1"])
def test_graviton_inferentia_and_trainium_get_no_x86_image_from_the_fallback(target_device: str) -> None:
    for framework, version in (("XGBOOST", "1.7"), ("PYTORCH", "1.12"), ("ONNX", None)):
        assert fallback_image("us-east-1", framework, version, device(target_device)) is None


def test_xgboost_has_no_gpu_image_to_fall_back_to() -> None:
    assert fallback_image("us-east-1", "XGBOOST", "1.7", device("ml_g4dn")) is None


@pytest.mark.parametrize(
    "target",
    [
        NeoTarget(name="t", target_device="jetson_nano"),
        NeoTarget(name="t", target_device="ml_eia2"),
        NeoTarget(name="t", target_device="lambda"),
        NeoTarget(name="t", target_platform=TargetPlatform(os="LINUX", arch="X86_64")),
    ],
)
def test_a_target_no_endpoint_serves_gets_neither_image_nor_instance_types(target: NeoTarget) -> None:
    assert not is_servable(target)
    assert fallback_image("us-east-1", "XGBOOST", "1.7", target) is None
    assert instance_types_for(target) == []
