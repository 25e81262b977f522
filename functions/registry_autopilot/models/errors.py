"""Errors a handler raises on purpose; their class names are what Step Functions sees as `Error`."""

from __future__ import annotations

from pydantic import ValidationError


class InvalidInput(ValueError):
    """The input cannot be processed; the message names the offending field. Nothing was written."""

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: str = "") -> InvalidInput:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"]) or "(root)"
            if prefix:
                location = f"{prefix}.{location}" if location != "(root)" else prefix
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{location}: {message}")
        return cls("; ".join(problems))


class ModelPackageNotFound(LookupError):
    """The version named by the input does not exist (deleted since the event was sent)."""


class ModelKeyNotReadable(PermissionError):
    """The version (or its model card) is encrypted with a customer-managed KMS key the function may
    not use: DescribeModelPackage's default IncludedData AllData "requires kms:Decrypt permission on the
    customer-managed key". `key` is the version's SecurityConfig.KmsKeyId, when the metadata shows one."""

    def __init__(self, arn: str, key: str | None, reason: str) -> None:
        super().__init__(f"{arn}: {reason}")
        self.arn = arn
        self.key = key
        self.reason = reason
