"""Inference experiments (the only module that calls the *InferenceExperiment operations).

Errors (SageMaker API Reference): CreateInferenceExperiment raises ResourceInUse for a name in use;
UpdateInferenceExperiment and StopInferenceExperiment raise ConflictException when the status does
not allow the call and ResourceNotFound when the experiment is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from registry_autopilot.adapters.clients import client, error_code
from registry_autopilot.models.shadow import STOP_REASON_PREFIX, TERMINAL_STATUSES, ExperimentView


class ExperimentConflict(RuntimeError):
    """The experiment's status changed under us; read it again next round."""


class ExperimentNotFound(LookupError):
    """The experiment no longer exists."""


class ExperimentRefused(ValueError):
    """CreateInferenceExperiment answered ValidationException: a request AWS will never accept as it is
    (the Developer Guide's shadow-test exclusions end there too), so retrying it cannot help."""


def _translate(exc: Exception, name: str) -> Exception:
    code = error_code(exc)
    if code in {"ConflictException", "Conflict"}:
        return ExperimentConflict(f"{name}: {exc}")
    if code in {"ResourceNotFound", "ResourceNotFoundException"}:
        return ExperimentNotFound(f"{name}: {exc}")
    return exc


class InferenceExperiments:
    # `role_arn`: the endpoint's account's access role, when the endpoint is in another account.
    def __init__(self, sagemaker: Any | None = None, role_arn: str | None = None) -> None:
        self._sagemaker = sagemaker
        self._role_arn = role_arn

    @property
    def _client(self) -> Any:
        return self._sagemaker or client("sagemaker", self._role_arn)

    def summaries(self, name_prefix: str) -> Iterator[dict[str, Any]]:
        """ListInferenceExperiments, every page, names starting with `name_prefix`."""
        token: str | None = None
        while True:
            page = self._client.list_inference_experiments(
                NameContains=name_prefix, MaxResults=100, **({"NextToken": token} if token else {})
            )
            for summary in page.get("InferenceExperiments", []):
                if str(summary.get("Name", "")).startswith(name_prefix):
                    yield summary
            token = page.get("NextToken")
            if not token:
                return

    def _described(self, name: str) -> dict[str, Any] | None:
        """DescribeInferenceExperiment; None when no experiment has the name."""
        try:
            response: dict[str, Any] = self._client.describe_inference_experiment(Name=name)
        except Exception as exc:
            if isinstance(_translate(exc, name), ExperimentNotFound):
                return None
            raise
        return response

    def status(self, name: str) -> str | None:
        """The experiment's status; None when no experiment has the name (DescribeInferenceExperiment
        alone: an existence check needs no tags)."""
        response = self._described(name)
        return None if response is None else str(response["Status"])

    def describe(self, name: str) -> ExperimentView | None:
        response = self._described(name)
        if response is None:
            return None
        tags = self._client.list_tags(ResourceArn=response["Arn"]).get("Tags", [])
        return ExperimentView.from_describe(response, {tag["Key"]: tag["Value"] for tag in tags})

    def create(self, request: dict[str, Any]) -> bool:
        """True when created; False when the name is already in use (a duplicate start); raises
        ExperimentRefused when SageMaker refuses the request (ValidationException)."""
        try:
            self._client.create_inference_experiment(**request)
        except Exception as exc:
            code = error_code(exc)
            if code in {"ResourceInUse", "ResourceInUseException"}:
                return False
            if code == "ValidationException":
                message = (getattr(exc, "response", None) or {}).get("Error", {}).get("Message") or str(exc)
                raise ExperimentRefused(str(message)) from exc
            raise
        return True

    def update(self, request: dict[str, Any]) -> None:
        try:
            self._client.update_inference_experiment(**request)
        except Exception as exc:
            raise _translate(exc, request["Name"]) from exc

    def stop(self, request: dict[str, Any]) -> None:
        try:
            self._client.stop_inference_experiment(**request)
        except Exception as exc:
            raise _translate(exc, request["Name"]) from exc


def completed_before(summary: dict[str, Any], bound: datetime) -> bool:
    completion = summary.get("CompletionTime")
    return isinstance(completion, datetime) and completion < bound


def stopped_by_us(summary: dict[str, Any]) -> bool:
    """Ended by a StopInferenceExperiment of ours (its Reason comes back as StatusReason). We send one
    only after recording the outcome on the version, so nothing is left to do for the experiment."""
    reason = str(summary.get("StatusReason") or "")
    return summary.get("Status") in TERMINAL_STATUSES and reason.startswith(STOP_REASON_PREFIX)
