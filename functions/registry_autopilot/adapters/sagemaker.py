"""SageMaker calls the workflow makes (the only module that talks to SageMaker)."""

from __future__ import annotations

from typing import Any

from registry_autopilot.adapters.clients import client, error_code
from registry_autopilot.logic.accounts import AccountAccess
from registry_autopilot.models.errors import ModelKeyNotReadable, ModelPackageNotFound
from registry_autopilot.models.registry import ModelPackage

# Error codes AWS answers a caller over an API's rate (Common Errors: ThrottlingException; older APIs).
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})


class SageMakerThrottled(RuntimeError):
    """SageMaker still refused a call for its rate after the client's retries. The compile workflow
    retries its Lambda steps on this error by name, later and with jitter (infra: THROTTLED_ERRORS)."""


def _raise_if_throttled(exc: Exception, operation: str) -> None:
    if error_code(exc) in THROTTLING_CODES:
        raise SageMakerThrottled(f"{operation}: {exc}") from exc


class SageMakerRegistry:
    """The registry of the account a version's ARN names: calls about a version in another account are
    made as that account's access role (`access`; docs/ACCOUNTS.md)."""

    def __init__(self, sagemaker: Any | None = None, access: AccountAccess | None = None) -> None:
        self._sagemaker = sagemaker
        self._access = access

    def _client(self, arn: str) -> Any:
        if self._sagemaker is not None:
            return self._sagemaker
        return client("sagemaker", self._access.role_for_arn(arn) if self._access else None)

    def describe_model_package(self, arn: str) -> ModelPackage:
        try:
            response = self._client(arn).describe_model_package(ModelPackageName=arn)
        except Exception as exc:
            # A deleted version answers ValidationException ("does not exist").
            if error_code(exc) in {"ValidationException", "ResourceNotFound"} and "exist" in str(exc):
                raise ModelPackageNotFound(f"model package {arn} does not exist") from exc
            _raise_if_throttled(exc, "DescribeModelPackage")
            if error_code(exc) in ACCESS_DENIED_CODES and "kms" in str(exc).lower():
                raise self._key_not_readable(arn, exc) from exc
            raise
        return ModelPackage.from_describe(response)

    def _key_not_readable(self, arn: str, exc: Exception) -> ModelKeyNotReadable:
        """The version as MetadataOnly shows it ("does not require kms:Decrypt permission"): its key."""
        try:
            metadata = self._client(arn).describe_model_package(
                ModelPackageName=arn, IncludedData="MetadataOnly"
            )
        except Exception:
            return ModelKeyNotReadable(arn, None, str(exc))
        key = (metadata.get("SecurityConfig") or {}).get("KmsKeyId")
        return ModelKeyNotReadable(arn, str(key) if key else None, str(exc))

    def update_model_package(self, request: dict[str, Any]) -> None:
        try:
            self._client(str(request["ModelPackageArn"])).update_model_package(**request)
        except Exception as exc:
            _raise_if_throttled(exc, "UpdateModelPackage")
            raise

    def latest_approved(self, group: str, exclude_arn: str) -> ModelPackage | None:
        """The group's most recently created Approved version other than `exclude_arn`
        (ListModelPackages: ModelApprovalStatus filter, SortBy CreationTime, SortOrder Descending)."""
        page = self._client(exclude_arn).list_model_packages(
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
