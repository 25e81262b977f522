"""The bucket SageMaker Neo writes compiled models to.

Encryption is SSE-S3, not the stack's KMS key, on purpose: Neo writes with the compile role and
endpoints later read the artifacts with their own execution roles, which may be roles the stack does
not own (`compileRoleArn`, `experimentRoleArn`, or any endpoint's role); with SSE-KMS every one of
them would also need a key-policy grant (and Neo the key in `OutputConfig.KmsKeyId`), or the job and
the endpoint fail at run time. With SSE-S3 an IAM grant (roles the stack owns) or the bucket policy
(roles it does not own, infra/constructs/sagemaker_roles.py) is all they need.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.checks import acknowledge
from registry_autopilot.logic.naming import COMPILE_WAITS_PREFIX, SET_ASIDE_WAITS_PREFIX

# Neo writes under this prefix; the compile role may write nowhere else in the bucket.
COMPILED_PREFIX = "compiled/"


class CompiledArtifacts(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # S3 log delivery through a bucket policy instead of the deprecated LogDeliveryWrite ACL
        # (set here so the behaviour does not depend on cdk.json's feature flags).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only default encryption S3 logging supports
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the server access log bucket itself; logging it into itself would loop.",
        )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="compiled-artifacts/",
            lifecycle_rules=[
                # Current objects stay: registered versions point at them (ModelDataUrl).
                s3.LifecycleRule(
                    id="tidy-old-versions-and-uploads",
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                # The compile waits are deleted by the watcher once answered; one left behind (its
                # execution gone, the watcher stopped) is of no use after the longest workflow.
                s3.LifecycleRule(
                    id="expire-stale-compile-waits",
                    prefix=COMPILE_WAITS_PREFIX,
                    expiration=Duration.days(2),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                # Objects the watcher could not read as waits: kept a while for a person to look at.
                s3.LifecycleRule(
                    id="expire-set-aside-compile-waits",
                    prefix=SET_ASIDE_WAITS_PREFIX,
                    expiration=Duration.days(30),
                    noncurrent_version_expiration=Duration.days(1),
                ),
            ],
            # Deleting the stack must not break model versions that reference compiled artifacts.
            removal_policy=RemovalPolicy.RETAIN,
        )

    def output_location(self) -> str:
        """`OutputConfig.S3OutputLocation` root; the workflow appends group/version/target."""
        return self.bucket.s3_url_for_object(COMPILED_PREFIX.rstrip("/"))
