"""The customer-managed KMS keys of the watched versions (`modelKmsKeyArns` in cdk.json).

SageMaker API Reference, DescribeModelPackage, IncludedData: "AllData: Returns the full model package
response, including the unredacted ModelCard.ModelCardContent. This option requires kms:Decrypt
permission on the customer-managed key, if one is associated with the embedded model card. This is the
default." ModelPackageSecurityConfig.KmsKeyId: "The AWS KMS Key ID (KMSKeyId) used for encryption of
model package information." A function that reads a version gets kms:Decrypt on the configured keys; one
that writes the card gets kms:GenerateDataKey too (what writing an encrypted card needs is not stated:
docs/FIDELITY.md, silent; the envelope-encryption pair is the safe reading). No key configured: no grant.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from registry_autopilot.models.config import AutopilotConfig


def read_keys(config: AutopilotConfig) -> list[iam.PolicyStatement]:
    """kms:Decrypt on the configured keys (none: no statement)."""
    if not config.model_kms_key_arns:
        return []
    return [
        iam.PolicyStatement(
            sid="DecryptModelPackages", actions=["kms:Decrypt"], resources=list(config.model_kms_key_arns)
        )
    ]


def write_keys(config: AutopilotConfig) -> list[iam.PolicyStatement]:
    """kms:Decrypt and kms:GenerateDataKey on the configured keys, for the functions that write cards."""
    if not config.model_kms_key_arns:
        return []
    return [
        iam.PolicyStatement(
            sid="EncryptModelCards",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=list(config.model_kms_key_arns),
        )
    ]
