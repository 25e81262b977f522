"""Write a version's model card after the write it goes with, so a refused card never takes that write
(the decision, a shadow test's outcome) with it.

The card is sent in one UpdateModelPackage; when SageMaker refuses it with a ValidationException and the
card carries both content and status, the same write is sent again as two calls, content then status
(UpdateModelCard: "You cannot update both model card content and model card status in a single call";
ModelPackageModelCard is silent, docs/FIDELITY.md). A card still refused (archived meanwhile, a content
rule) is recorded on the version (`autopilot:model-card`) and notified; the caller goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry_autopilot.adapters.clients import error_code
from registry_autopilot.adapters.notifications import Notifier
from registry_autopilot.adapters.sagemaker import SageMakerRegistry, SageMakerThrottled
from registry_autopilot.logic import model_card
from registry_autopilot.observability import logger

# A refusal is an answer about the card (4xx); anything else (a timeout after the client's retries, a
# 5xx, throttling) fails the step as before, and Step Functions runs it again: the decision's write
# repeats with its token (applied once) and the card is sent again.
TRANSIENT_CODES = frozenset({"InternalFailure", "ServiceUnavailable", "InternalServerError"})


def _refusal(exc: Exception) -> bool:
    code = error_code(exc)
    return bool(getattr(exc, "response", None)) and bool(code) and code not in TRANSIENT_CODES


def _send(registry: SageMakerRegistry, requests: Sequence[dict[str, Any]]) -> None:
    for request in requests:
        registry.update_model_package(request)


def write_card(
    registry: SageMakerRegistry,
    notifier: Notifier,
    requests: tuple[Sequence[dict[str, Any]], Sequence[dict[str, Any]]],
    *,
    what: str,
) -> str | None:
    """Send the card (`requests`: in one call, in two); None when written, else why not (recorded)."""
    together, apart = requests
    if not together:
        return None
    arn = str(together[0]["ModelPackageArn"])
    try:
        _send(registry, together)
        return None
    except SageMakerThrottled:
        raise
    except Exception as exc:
        if not _refusal(exc):
            raise
        refusal = f"{error_code(exc)}: {exc}"
        if not (error_code(exc) == "ValidationException" and list(apart) != list(together)):
            return _refused(registry, notifier, arn, refusal, what)
    try:
        _send(registry, apart)
        return None
    except SageMakerThrottled:
        raise
    except Exception as exc:
        if not _refusal(exc):
            raise
        return _refused(registry, notifier, arn, f"{error_code(exc)}: {exc}", what)


def _refused(registry: SageMakerRegistry, notifier: Notifier, arn: str, reason: str, what: str) -> str:
    logger.warning("model card refused", extra={"model_package_arn": arn, "reason": reason})
    try:
        registry.update_model_package(model_card.card_failure_request(arn, reason))
    except SageMakerThrottled:
        raise
    except Exception as exc:  # the version is full (50 entries) or gone: the notification still says it
        logger.warning("model card failure not recorded", extra={"model_package_arn": arn, "error": str(exc)})
    notifier.publish(
        subject="Registry Autopilot: model card not written",
        message={
            "model_package_arn": arn,
            "written": what,
            "model_card": f"not written: {reason}",
            "recorded_as": model_card.CARD_KEY,
        },
    )
    return reason
