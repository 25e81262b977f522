"""A local function's calls are held to its role's statements in the synthesized template.

IAM User Guide, "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/
reference_policies_evaluation-logic.html): "By default, all requests are implicitly denied" -- a
request is allowed only when a statement allows its action on its resource. A grant on a resource
type the action does not use (e.g. CreateInferenceExperiment on an endpoint ARN; the Service
Authorization Reference lists only `inference-experiment` for it) never matches, so the call fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend
from autopilot.embedded.backend.iam import RolePolicy
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import SynthesizedApp, synthesize

ACCOUNT, REGION = "123456789012", "us-east-1"
VERSION_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/churn-xgboost/1"


@pytest.fixture(scope="module")
def app() -> SynthesizedApp:
    return synthesize()


def _error(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_given_the_plan_role_when_it_updates_an_unwatched_groups_version_then_aws_would_deny_it(
    app: SynthesizedApp,
) -> None:
    # Plan writes watched versions only (registerLogged, and the record of a KMS key it cannot use).
    with EmbeddedStack(app) as stack:
        stack.backend.principal = stack.function_role(stack.function_for_handler("plan"))
        sagemaker = stack.backend.client("sagemaker")
        other = VERSION_ARN.replace("churn-xgboost", "marketing-uplift")

        code = _error(lambda: sagemaker.update_model_package(ModelPackageArn=other, ApprovalDescription="x"))

    assert code == "AccessDeniedException"


def test_given_the_plan_role_when_it_describes_an_unwatched_groups_version_then_it_is_denied(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        stack.backend.principal = stack.function_role(stack.function_for_handler("plan"))
        sagemaker = stack.backend.client("sagemaker")
        other = VERSION_ARN.replace("churn-xgboost", "marketing-uplift")

        code = _error(lambda: sagemaker.describe_model_package(ModelPackageName=other))

    assert code == "AccessDeniedException"


def test_given_the_plan_role_when_it_describes_a_watched_version_then_the_call_reaches_sagemaker(
    app: SynthesizedApp,
) -> None:
    with EmbeddedStack(app) as stack:
        arn = stack.backend.seed_model_package("churn-xgboost", description="registered by a data scientist")
        stack.backend.principal = stack.function_role(stack.function_for_handler("plan"))
        sagemaker = stack.backend.client("sagemaker")

        described = sagemaker.describe_model_package(ModelPackageName=arn)

    # Allowed by the role, the call is answered by SageMaker with the version itself.
    assert described["ModelPackageArn"] == arn
    assert described["ModelPackageGroupName"] == "churn-xgboost"
    assert described["ModelPackageDescription"] == "registered by a data scientist"


def test_given_a_grant_on_the_wrong_resource_type_when_the_call_is_made_then_it_is_denied() -> None:
    endpoint_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/churn-prod"
    template = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sagemaker:CreateInferenceExperiment",
                                "Resource": endpoint_arn,
                            }
                        ]
                    },
                },
            }
        }
    }
    infrastructure = {
        "InfrastructureType": "RealTimeInference",
        "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    with LocalBackend() as backend:
        backend.principal = RolePolicy.from_template(template, "Role", region=REGION, account=ACCOUNT)
        sagemaker = backend.client("sagemaker")

        code = _error(
            lambda: sagemaker.create_inference_experiment(
                Name="autopilot-x",
                Type="ShadowMode",
                RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                EndpointName="churn-prod",
                ModelVariants=[
                    {"ModelName": name, "VariantName": name, "InfrastructureConfig": infrastructure}
                    for name in ("a", "b")
                ],
                ShadowModeConfig={
                    "SourceModelVariantName": "a",
                    "ShadowModelVariants": [{"ShadowModelVariantName": "b", "SamplingPercentage": 5}],
                },
            )
        )

    assert code == "AccessDeniedException"


def test_given_a_role_with_s3_list_bucket_when_it_lists_objects_v2_then_the_call_is_allowed() -> None:
    """Amazon S3 API Reference, ListObjectsV2, Permissions: "You must have permission to perform the
    s3:ListBucket action" -- the operation's own name is not an IAM action."""
    allowed = RolePolicy("Lister", (("s3:listbucket", ("*",)),))
    other = RolePolicy("Reader", (("s3:getobject", ("*",)),))
    request = {"Bucket": "b", "Prefix": "compile-waits/"}

    assert allowed.denial("s3", "ListObjectsV2", request, region=REGION, account=ACCOUNT) is None
    code, message = other.denial("s3", "ListObjectsV2", request, region=REGION, account=ACCOUNT) or ("", "")
    assert code == "AccessDenied"
    assert "s3:ListBucket" in message


def test_given_the_compile_watcher_role_then_send_task_success_is_checked_under_the_states_prefix(
    app: SynthesizedApp,
) -> None:
    """Step Functions actions are `states:<Operation>` (Service Authorization Reference), not the
    SDK's `stepfunctions` service name."""
    with EmbeddedStack(app) as stack:
        watcher = stack.function_role(stack.function_for_handler("compile_watcher"))
        plan = stack.function_role(stack.function_for_handler("plan"))

    request = {"taskToken": "t", "output": "{}"}
    assert watcher.denial("stepfunctions", "SendTaskSuccess", request, region=REGION, account=ACCOUNT) is None
    denied = plan.denial("stepfunctions", "SendTaskSuccess", request, region=REGION, account=ACCOUNT)
    assert denied is not None
    assert "states:SendTaskSuccess" in denied[1]
