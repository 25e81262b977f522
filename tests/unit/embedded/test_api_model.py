"""Rules the embedded account derives from the API model instead of prefixes and lists of its own.

OutputConfig.TargetDevice: "Identifies the target device or the machine learning instance that you want
to run your model on after the compilation has completed." DescribeCompilationJob.InferenceImage:
"Specify an image only if the target device is a cloud instance." Shadow tests exclude "Inf1 instances"
(Developer Guide, "Shadow tests").
"""

from __future__ import annotations

import pytest

from autopilot.embedded.backend.api_model import cloud_instance_device, endpoint_instance_types, enum


@pytest.mark.parametrize(
    ("device", "family"),
    [("ml_c5", "c5"), ("ml_g4dn", "g4dn"), ("ml_inf2", "inf2"), ("ml_trn1", "trn1"), ("ml_m6g", "m6g")],
)
def test_a_target_device_whose_family_an_endpoint_runs_on_is_a_cloud_instance(
    device: str, family: str
) -> None:
    assert cloud_instance_device(device) == family


@pytest.mark.parametrize("device", ["ml_eia2", "jetson_nano", "lambda", "rasp4b", "ml_x99", "ml_"])
def test_an_edge_device_elastic_inference_or_a_device_the_model_does_not_list_is_not(device: str) -> None:
    assert cloud_instance_device(device) is None


def test_every_cloud_instance_device_of_the_model_has_endpoint_instance_types() -> None:
    cloud = [d for d in enum("TargetDevice") if cloud_instance_device(d)]
    assert len(cloud) >= 10
    assert all(endpoint_instance_types(str(cloud_instance_device(d))) for d in cloud)


def test_the_inf1_types_are_the_models_inf1_endpoint_types() -> None:
    inf1 = endpoint_instance_types("inf1")
    assert inf1 == {t for t in enum("ProductionVariantInstanceType") if t.startswith("ml.inf1.")}
    assert "ml.inf1.xlarge" in inf1
    assert "ml.inf2.xlarge" not in inf1


def test_a_shape_without_an_enum_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        enum("EndpointName")
