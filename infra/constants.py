"""Names and limits shared by the constructs (one place, so a rename is one edit)."""

from __future__ import annotations

from aws_cdk import aws_lambda

# The Lambda runtime the dependency layer is built for (must match LAMBDA_PYTHON / LAMBDA_PLATFORM
# in the Makefile): arm64 costs about 20% less per GB-second than x86_64 for the same work.
LAMBDA_RUNTIME = aws_lambda.Runtime.PYTHON_3_13
LAMBDA_ARCHITECTURE = aws_lambda.Architecture.ARM_64
LAMBDA_DEPENDENCIES_DIR = "build/lambda-deps"
FUNCTIONS_DIR = "functions"

# Tag put on every resource Registry Autopilot creates at run time (experiments, models,
# compilation jobs), so the roller only ever touches what it owns.
OWNER_TAG_KEY = "registry-autopilot:owner"

POWERTOOLS_SERVICE_NAME = "registry-autopilot"
METRICS_NAMESPACE = "RegistryAutopilot"

EVENT_SOURCE = "aws.sagemaker"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"
