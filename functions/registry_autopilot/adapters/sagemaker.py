"""SageMaker calls the workflow makes (the only module that talks to SageMaker)."""

from __future__ import annotations

from typing import Any

from registry_autopilot.adapters.clients import client
from registry_autopilot.logic.attach import CompiledJob
from registry_autopilot.models.errors import ModelPackageNotFound
from registry_autopilot.models.registry import ModelPackage


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class SageMakerRegistry:
    def __init__(self, sagemaker: Any | None = None) -> None:
        self._sagemaker = sagemaker

    @property
    def _client(self) -> Any:
        return self._sagemaker or client("sagemaker")

    def describe_model_package(self, arn: str) -> ModelPackage:
        try:
            response = self._client.describe_model_package(ModelPackageName=arn)
        except Exception as exc:
            # A deleted version answers ValidationException ("does not exist").
            if _error_code(exc) in {"ValidationException", "ResourceNotFound"} and "exist" in str(exc):
                raise ModelPackageNotFound(f"model package {arn} does not exist") from exc
            raise
        return ModelPackage.from_describe(response)

    def describe_compilation_job(self, job_name: str) -> CompiledJob | None:
        """The finished job's artifact and image; None when the job is not COMPLETED."""
        response = self._client.describe_compilation_job(CompilationJobName=job_name)
        if response.get("CompilationJobStatus") != "COMPLETED":
            return None
        return CompiledJob(
            job_name=job_name,
            artifact=response["ModelArtifacts"]["S3ModelArtifacts"],
            inference_image=response.get("InferenceImage") or None,
        )

    def update_model_package(self, request: dict[str, Any]) -> None:
        self._client.update_model_package(**request)

    def latest_approved(self, group: str, exclude_arn: str) -> ModelPackage | None:
        """The group's most recently created Approved version other than `exclude_arn`
        (ListModelPackages: ModelApprovalStatus filter, SortBy CreationTime, SortOrder Descending)."""
        page = self._client.list_model_packages(
            ModelPackageGroupName=group,
            ModelApprovalStatus="Approved",
            SortBy="CreationTime",
            SortOrder="Descending",
            MaxResults=10,
        )
        summaries = [
            s for s in page.get("ModelPackageSummaryList", []) if s["ModelPackageArn"] != exclude_arn
        ]
        if not summaries:
            return None
        # Same creation instant (possible locally): the higher version number is the later one.
        latest = max(summaries, key=lambda s: (s.get("CreationTime"), s.get("ModelPackageVersion") or 0))
        return self.describe_model_package(latest["ModelPackageArn"])
