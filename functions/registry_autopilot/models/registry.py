"""The parts of `DescribeModelPackage` output the workflow decides on (SageMaker API Reference:
DescribeModelPackage). Unknown fields are ignored: the response grows with new API versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3ModelDataSource(_Read):
    S3Uri: str | None = None
    S3DataType: str | None = None  # S3Prefix | S3Object
    CompressionType: str | None = None  # None | Gzip


class PackageModelDataSource(_Read):
    S3DataSource: S3ModelDataSource | None = None


class PackageContainer(_Read):
    Image: str | None = None
    ModelDataUrl: str | None = None
    ModelDataSource: PackageModelDataSource | None = None
    ProductId: str | None = None  # an AWS Marketplace model package
    Framework: str | None = None
    FrameworkVersion: str | None = None
    IsCheckpoint: bool = False
    Environment: dict[str, str] = Field(default_factory=dict)


class InferenceSpec(_Read):
    Containers: list[PackageContainer] = Field(default_factory=list)
    SupportedContentTypes: list[str] = Field(default_factory=list)
    SupportedResponseMIMETypes: list[str] = Field(default_factory=list)


class AdditionalSpec(_Read):
    Name: str
    Description: str | None = None
    Containers: list[PackageContainer] = Field(default_factory=list)


class ModelCardView(_Read):
    """DescribeModelPackage.ModelCard (ModelPackageModelCard): the content is a JSON string."""

    ModelCardContent: str | None = None
    ModelCardStatus: str | None = None


class ModelPackage(_Read):
    ModelPackageArn: str
    ModelPackageGroupName: str | None = None
    ModelPackageVersion: int | None = None
    ModelPackageStatus: str
    ModelApprovalStatus: str | None = None
    ModelPackageRegistrationType: str | None = None
    InferenceSpecification: InferenceSpec | None = None
    AdditionalInferenceSpecifications: list[AdditionalSpec] = Field(default_factory=list)
    CustomerMetadataProperties: dict[str, str] = Field(default_factory=dict)
    ApprovalDescription: str | None = None
    LastModifiedTime: datetime | None = None
    # ModelMetrics: {ModelQuality: {Statistics: {S3Uri, ContentType}, Constraints: {...}},
    # ModelDataQuality: {...}, Bias: {Report, ...}, Explainability: {Report}} (API: ModelMetrics).
    ModelMetrics: dict[str, Any] = Field(default_factory=dict)
    ModelCard: ModelCardView | None = None

    def report_uri(self, report: str) -> str | None:
        """The S3 URI of a `ModelMetrics` report named like `ModelQuality.Statistics`, if set."""
        node: Any = self.ModelMetrics
        for part in report.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        uri = node.get("S3Uri") if isinstance(node, dict) else None
        return uri if isinstance(uri, str) and uri else None

    @classmethod
    def from_describe(cls, response: dict[str, Any]) -> ModelPackage:
        return cls.model_validate(response)

    @property
    def attached_spec_names(self) -> set[str]:
        return {spec.Name for spec in self.AdditionalInferenceSpecifications}

    @property
    def primary_container(self) -> PackageContainer | None:
        spec = self.InferenceSpecification
        return spec.Containers[0] if spec and spec.Containers else None
