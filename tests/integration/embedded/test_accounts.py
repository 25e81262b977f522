"""Several accounts in one embedded backend, and the grants AWS requires between them.

Sources (each test quotes the sentence it holds):
- IAM User Guide, "Cross-account policy evaluation logic"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
  "To allow cross-account access, you attach a resource-based policy to the resource that you want to
  share. You must also attach an identity-based policy to the identity that acts as the principal in the
  request." and "In IAM, you can attach a resource-based policy to an IAM role to allow principals in
  other accounts to assume that role. The role's resource-based policy is called a role trust policy."
- STS API Reference, AssumeRole: "If you choose not to pass a policy, the temporary security
  credentials that are returned by the operation have the permissions that are defined in the access
  policy of the role that is being assumed."
- SageMaker API Reference, PutModelPackageGroupPolicy: "Adds a resouce policy to control access to a
  model group."
- AWS KMS Developer Guide, "Key policies in AWS KMS": "Unless the key policy explicitly allows it, you
  cannot use IAM policies to allow access to a KMS key."
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from autopilot.embedded.backend import LocalBackend

from .conftest import START

AUTOMATION, REGISTRY, ENDPOINT = "111111111111", "222222222222", "333333333333"
REGION = "us-east-1"
STACK = "registry-autopilot"
FUNCTION_PATH = f"/registry-autopilot/{STACK}/"
ACCESS = f"arn:aws:iam::{REGISTRY}:role/registry-autopilot/{STACK}-access"
ENDPOINT_ACCESS = f"arn:aws:iam::{ENDPOINT}:role/registry-autopilot/{STACK}-access"
GROUP = "churn"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: Any, resources: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _trust(account: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


AUTOMATION_ONLY = {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{AUTOMATION}:role{FUNCTION_PATH}*"}}


@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    with LocalBackend(region=REGION, account_id=AUTOMATION, start_time=START) as local:
        yield local


def _role(
    backend: LocalBackend, account: str, name: str, trust: str, *statements: dict[str, Any], path: str = "/"
) -> str:
    iam = backend.client("iam", account=account)
    arn: str = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=_doc(*statements))
    return arn


def _session(backend: LocalBackend, role_arn: str, via: Any = None, **extra: Any) -> dict[str, str]:
    sts = via if via is not None else backend.client("sts")
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="test", **extra)["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def _function(
    backend: LocalBackend, *statements: dict[str, Any], path: str = FUNCTION_PATH
) -> dict[str, str]:
    """A role session in the automation account, as a function of the automation stack runs."""
    role = _role(backend, AUTOMATION, "fn", _trust(AUTOMATION), *statements, path=path)
    return _session(backend, role)


def _error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def _access_role(backend: LocalBackend, *statements: dict[str, Any], trust: str | None = None) -> str:
    return _role(
        backend,
        REGISTRY,
        f"{STACK}-access",
        trust or _trust(AUTOMATION, **AUTOMATION_ONLY),
        *statements,
        path="/registry-autopilot/",
    )


ASSUME_ACCESS = _allow("sts:AssumeRole", ACCESS)


# -- STS AssumeRole -------------------------------------------------------------------------------------
def test_a_function_role_the_access_roles_trust_names_assumes_it_and_acts_in_the_registry_account(
    backend: LocalBackend,
) -> None:
    # "In IAM, you can attach a resource-based policy to an IAM role to allow principals in other
    # accounts to assume that role. The role's resource-based policy is called a role trust policy."
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    _access_role(backend, _allow("sagemaker:DescribeModelPackage", "*"))
    function = _function(backend, ASSUME_ACCESS)
    access = _session(backend, ACCESS, via=backend.client("sts", **function))

    described = backend.client("sagemaker", **access).describe_model_package(ModelPackageName=arn)

    assert described["ModelPackageArn"] == arn
    call = next(c for c in backend.calls if c.operation == "DescribeModelPackage")
    assert call.account == REGISTRY
    assert call.principal.startswith(f"arn:aws:sts::{REGISTRY}:assumed-role/{STACK}-access/")


def test_a_role_outside_the_path_the_trust_policy_names_cannot_assume_the_access_role(
    backend: LocalBackend,
) -> None:
    # Same trust policy; the caller's role has the right identity grant but another IAM path.
    _access_role(backend)
    other = _function(backend, ASSUME_ACCESS, path="/someone-else/")

    code, message = _error(lambda: _session(backend, ACCESS, via=backend.client("sts", **other)))

    assert code == "AccessDenied"
    assert f"is not authorized to perform: sts:AssumeRole on resource: {ACCESS}" in message
    assert f"trust policy of role registry-autopilot/{STACK}-access in account {REGISTRY}" in message
    assert f"arn:aws:iam::{AUTOMATION}:role/someone-else/fn" in message


def test_a_caller_whose_own_policy_does_not_grant_sts_assume_role_cannot_assume_the_role(
    backend: LocalBackend,
) -> None:
    # "You must also attach an identity-based policy to the identity that acts as the principal."
    _access_role(backend)
    function = _function(backend, _allow("sagemaker:DescribeModelPackage", "*"))

    code, message = _error(lambda: _session(backend, ACCESS, via=backend.client("sts", **function)))

    assert code == "AccessDenied"
    assert f"because no identity-based policy of arn:aws:iam::{AUTOMATION}:role{FUNCTION_PATH}fn" in message
    assert "allows the sts:AssumeRole action" in message


def test_an_external_id_the_trust_policy_requires_must_be_given(backend: LocalBackend) -> None:
    # Condition keys of the trust policy: sts:ExternalId is the AssumeRole request's ExternalId.
    _access_role(backend, trust=_trust(AUTOMATION, StringEquals={"sts:ExternalId": "autopilot"}))
    function = _function(backend, ASSUME_ACCESS)
    sts = backend.client("sts", **function)

    code, _ = _error(lambda: _session(backend, ACCESS, via=sts))
    assert code == "AccessDenied"
    assert _session(backend, ACCESS, via=sts, ExternalId="autopilot")["aws_access_key_id"]


def test_a_null_condition_admits_a_request_without_the_key_and_refuses_one_with_it(
    backend: LocalBackend,
) -> None:
    # IAM User Guide, condition operators: "Use a Null condition operator to check if a condition key
    # is absent at the time of authorization. In the policy statement, use either true (the key
    # doesn't exist - it is null) or false (the key exists and its value is not null)." The CDK
    # bootstrap template's deploy role trusts with {"Null": {"sts:ExternalId": "true"}}.
    _access_role(backend, trust=_trust(AUTOMATION, Null={"sts:ExternalId": "true"}))
    sts = backend.client("sts", **_function(backend, ASSUME_ACCESS))

    assert _session(backend, ACCESS, via=sts)["aws_access_key_id"]
    code, _ = _error(lambda: _session(backend, ACCESS, via=sts, ExternalId="autopilot"))
    assert code == "AccessDenied"


def test_a_role_that_does_not_exist_cannot_be_assumed(backend: LocalBackend) -> None:
    function = _function(backend, ASSUME_ACCESS)

    code, message = _error(lambda: _session(backend, ACCESS, via=backend.client("sts", **function)))

    assert code == "AccessDenied"
    assert f"does not exist in account {REGISTRY}" in message


def test_the_session_has_only_the_permissions_of_the_role_it_assumed(backend: LocalBackend) -> None:
    # "the temporary security credentials ... have the permissions that are defined in the access
    # policy of the role that is being assumed": a read-only access role cannot update.
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    _access_role(backend, _allow("sagemaker:DescribeModelPackage", "*"))
    access = _session(backend, ACCESS, via=backend.client("sts", **_function(backend, ASSUME_ACCESS)))

    code, message = _error(
        lambda: backend.client("sagemaker", **access).update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved"
        )
    )

    assert code == "AccessDeniedException"
    assert f"sagemaker:UpdateModelPackage on resource: {arn}" in message
    assert f"no identity-based policy of {ACCESS} in account {REGISTRY}" in message


# -- a call in the wrong account -------------------------------------------------------------------------
def _share(backend: LocalBackend, account: str, actions: list[str], principal: str) -> None:
    backend.client("sagemaker", account=REGISTRY).put_model_package_group_policy(
        ModelPackageGroupName=GROUP,
        ResourcePolicy=_doc(
            {
                "Sid": "Share",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": actions,
                "Resource": [
                    f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package-group/{GROUP}",
                    f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/*",
                ],
            }
        ),
    )


def test_a_version_of_another_account_is_not_updated_without_its_groups_policy(backend: LocalBackend) -> None:
    # "To allow cross-account access, you attach a resource-based policy to the resource that you want
    # to share": without the group's policy, the automation account's call is refused.
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    function = _function(backend, _allow("sagemaker:UpdateModelPackage", "*"))

    code, message = _error(
        lambda: backend.client("sagemaker", **function).update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved"
        )
    )

    assert code == "AccessDeniedException"
    assert f"sagemaker:UpdateModelPackage on resource: {arn}" in message
    assert (
        f"resource policy of model package group {GROUP} (the group has none) in account {REGISTRY}"
        in message
    )
    status = backend.client("sagemaker", account=REGISTRY).describe_model_package(ModelPackageName=arn)
    assert status["ModelApprovalStatus"] == "PendingManualApproval"


def test_with_the_groups_policy_the_update_acts_on_the_version_in_its_own_account(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    function = _function(backend, _allow("sagemaker:UpdateModelPackage", "*"))
    _share(backend, REGISTRY, ["sagemaker:UpdateModelPackage"], f"arn:aws:iam::{AUTOMATION}:root")

    backend.client("sagemaker", **function).update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved"
    )

    status = backend.client("sagemaker", account=REGISTRY).describe_model_package(ModelPackageName=arn)
    assert status["ModelApprovalStatus"] == "Approved"
    write = next(c for c in backend.writes if c.operation == "UpdateModelPackage")
    assert write.account == REGISTRY
    assert write.principal.startswith(f"arn:aws:sts::{AUTOMATION}:assumed-role/fn/")


def test_the_groups_policy_must_be_matched_by_the_identity_policy_too(backend: LocalBackend) -> None:
    # "You must also attach an identity-based policy to the identity that acts as the principal."
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    _share(backend, REGISTRY, ["sagemaker:UpdateModelPackage"], f"arn:aws:iam::{AUTOMATION}:root")
    function = _function(backend, _allow("sagemaker:DescribeModelPackage", "*"))

    code, message = _error(
        lambda: backend.client("sagemaker", **function).update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved"
        )
    )

    assert code == "AccessDeniedException"
    assert "no identity-based policy" in message


def test_a_version_that_exists_only_in_an_account_that_does_not_share_it_answers_access_denied(
    backend: LocalBackend,
) -> None:
    # The documentation is silent; the safe reading (docs/FIDELITY.md): authorization comes first, so
    # an unshared account's versions, existing or not, are AccessDenied; shared ones that do not
    # exist are SageMaker's ValidationException.
    backend.seed_model_package(GROUP, account=REGISTRY)
    missing = f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/{GROUP}/9"
    sagemaker = backend.client("sagemaker")

    assert (
        _error(lambda: sagemaker.describe_model_package(ModelPackageName=missing))[0]
        == "AccessDeniedException"
    )
    _share(backend, REGISTRY, ["sagemaker:DescribeModelPackage"], AUTOMATION)
    assert (
        _error(lambda: sagemaker.describe_model_package(ModelPackageName=missing))[0] == "ValidationException"
    )


def test_the_group_policy_is_put_read_and_deleted(backend: LocalBackend) -> None:
    backend.seed_model_package(GROUP, account=REGISTRY)
    sagemaker = backend.client("sagemaker", account=REGISTRY)
    code, _ = _error(lambda: sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP))
    assert code == "ValidationException"

    _share(backend, REGISTRY, ["sagemaker:DescribeModelPackage"], ENDPOINT)

    policy = json.loads(
        sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)["ResourcePolicy"]
    )
    assert policy["Statement"][0]["Principal"] == {"AWS": ENDPOINT}
    sagemaker.delete_model_package_group_policy(ModelPackageGroupName=GROUP)
    assert _error(lambda: sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP))[0] == (
        "ValidationException"
    )


def test_a_model_made_in_the_endpoint_account_from_an_unshared_version_is_refused(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    endpoint = backend.client("sagemaker", account=ENDPOINT)

    def create() -> Any:
        return endpoint.create_model(
            ModelName="shadow",
            ExecutionRoleArn=f"arn:aws:iam::{ENDPOINT}:role/shadow",
            PrimaryContainer={"ModelPackageName": arn},
        )

    code, message = _error(create)
    assert code == "AccessDeniedException"
    assert f"sagemaker:DescribeModelPackage on resource: {arn}" in message

    _share(backend, REGISTRY, ["sagemaker:DescribeModelPackage"], ENDPOINT)
    create()
    assert (
        backend.client("sagemaker", account=ENDPOINT).describe_model(ModelName="shadow")["ModelName"]
        == "shadow"
    )
    with pytest.raises(ClientError):
        backend.client("sagemaker").describe_model(ModelName="shadow")  # not in the automation account


def test_a_resource_named_by_name_is_the_callers_own_accounts(backend: LocalBackend) -> None:
    backend.seed_model_package(GROUP, account=REGISTRY)
    groups = backend.client("sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert groups == []
    registry = backend.client("sagemaker", account=REGISTRY).list_model_package_groups()
    assert [g["ModelPackageGroupName"] for g in registry["ModelPackageGroupSummaryList"]] == [GROUP]


# -- cross-account S3 and KMS ------------------------------------------------------------------------------
BUCKET = "automation-artifacts"
OBJECT = f"arn:aws:s3:::{BUCKET}/compiled/model.tar.gz"


def _bucket(backend: LocalBackend, *statements: dict[str, Any], key: str | None = None) -> None:
    s3 = backend.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="compiled/model.tar.gz", Body=b"artifact")
    if statements:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=_doc(*statements))
    if key:
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
                ]
            },
        )


def _reader(backend: LocalBackend, *extra: dict[str, Any]) -> tuple[str, Any]:
    trust = _trust(AUTOMATION)
    role = _role(
        backend, ENDPOINT, "shadow", trust, _allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"), *extra
    )
    # The automation account's administrator is trusted, so the test can act as the endpoint's role.
    return role, backend.client("s3", **_session(backend, role))


def test_another_accounts_role_reads_the_bucket_only_when_its_policy_grants_that_role(
    backend: LocalBackend,
) -> None:
    role, s3 = _reader(backend)
    _bucket(backend)

    code, message = _error(lambda: s3.get_object(Bucket=BUCKET, Key="compiled/model.tar.gz"))
    assert code == "AccessDenied"
    assert f"s3:GetObject on resource: {OBJECT}" in message
    assert f"bucket policy of {BUCKET} in account {AUTOMATION} does not allow it for {role}" in message

    backend.client("s3").put_bucket_policy(
        Bucket=BUCKET,
        Policy=_doc(_allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/compiled/*", Principal={"AWS": role})),
    )
    assert s3.get_object(Bucket=BUCKET, Key="compiled/model.tar.gz")["Body"].read() == b"artifact"


def test_an_object_under_a_customer_managed_key_needs_the_key_policy_too(backend: LocalBackend) -> None:
    # "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access to a KMS key."
    kms = backend.client("kms")
    root_only = _doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{AUTOMATION}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    key = kms.create_key(Policy=root_only)["KeyMetadata"]["Arn"]
    role, s3 = _reader(backend, _allow("kms:Decrypt", key))
    _bucket(backend, _allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": role}), key=key)

    code, message = _error(lambda: s3.get_object(Bucket=BUCKET, Key="compiled/model.tar.gz"))
    assert code == "AccessDenied"
    assert (
        f"key policy of KMS key {key.rsplit('/', 1)[-1]} in account {AUTOMATION} does not allow kms:Decrypt"
        in message
    )

    shared = json.loads(root_only)
    shared["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:Decrypt", "Resource": "*"}
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(shared))
    assert s3.get_object(Bucket=BUCKET, Key="compiled/model.tar.gz")["Body"].read() == b"artifact"


# -- Neo writes its output with its role -------------------------------------------------------------------
def _neo_job(backend: LocalBackend, arn: str) -> Any:
    neo = _role(
        backend,
        REGISTRY,
        "neo",
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        _allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/compiled/*"),
    )
    backend.compilation_jobs.script("job-1", ["INPROGRESS", "COMPLETED"])
    sagemaker = backend.client("sagemaker", account=REGISTRY)
    sagemaker.create_compilation_job(
        CompilationJobName="job-1",
        RoleArn=neo,
        ModelPackageVersionArn=arn,
        OutputConfig={"S3OutputLocation": f"s3://{BUCKET}/compiled/", "TargetDevice": "ml_c5"},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )
    return neo, sagemaker


def test_a_registry_accounts_neo_job_writing_to_the_automation_bucket_without_its_grant_fails_naming_it(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    _bucket(backend)
    neo, sagemaker = _neo_job(backend, arn)
    assert (
        sagemaker.describe_compilation_job(CompilationJobName="job-1")["CompilationJobStatus"] == "INPROGRESS"
    )
    backend.clock.advance(60)

    job = sagemaker.describe_compilation_job(CompilationJobName="job-1")

    assert job["CompilationJobStatus"] == "FAILED"
    assert "s3:PutObject" in job["FailureReason"]
    assert (
        f"bucket policy of {BUCKET} in account {AUTOMATION} does not allow it for {neo}"
        in job["FailureReason"]
    )


def test_with_the_bucket_policy_the_neo_job_completes_and_its_artifact_is_in_the_automation_bucket(
    backend: LocalBackend,
) -> None:
    arn = backend.seed_model_package(GROUP, account=REGISTRY)
    neo = f"arn:aws:iam::{REGISTRY}:role/neo"
    _bucket(backend, _allow("s3:PutObject", f"arn:aws:s3:::{BUCKET}/compiled/*", Principal={"AWS": neo}))
    _, sagemaker = _neo_job(backend, arn)
    backend.clock.advance(60)

    job = sagemaker.describe_compilation_job(CompilationJobName="job-1")

    assert job["CompilationJobStatus"] == "COMPLETED"
    key = job["ModelArtifacts"]["S3ModelArtifacts"].removeprefix(f"s3://{BUCKET}/")
    assert backend.client("s3").head_object(Bucket=BUCKET, Key=key)["ContentLength"] > 0


# -- the shadow variant's model data, read by the endpoint account's role ----------------------------------
INFRA = {
    "InfrastructureType": "RealTimeInference",
    "RealTimeInferenceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
}


def _endpoint_with_shadow_model(backend: LocalBackend, role: str) -> Any:
    sagemaker = backend.client("sagemaker", account=ENDPOINT)
    sagemaker.create_model(
        ModelName="prod-model",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"},
    )
    sagemaker.create_model(
        ModelName="shadow-model",
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": "img", "ModelDataUrl": f"s3://{BUCKET}/compiled/model.tar.gz"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="prod-config",
        ProductionVariants=[
            {
                "VariantName": "prod",
                "ModelName": "prod-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="prod", EndpointConfigName="prod-config")
    return sagemaker


def _experiment(sagemaker: Any, role: str) -> Any:
    return sagemaker.create_inference_experiment(
        Name="churn-v2",
        Type="ShadowMode",
        RoleArn=role,
        EndpointName="prod",
        ModelVariants=[
            {"ModelName": "prod-model", "VariantName": "prod", "InfrastructureConfig": INFRA},
            {"ModelName": "shadow-model", "VariantName": "shadow", "InfrastructureConfig": INFRA},
        ],
        ShadowModeConfig={
            "SourceModelVariantName": "prod",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 5}],
        },
    )


def test_a_shadow_model_whose_data_is_in_the_automation_bucket_needs_the_bucket_policy_for_its_role(
    backend: LocalBackend,
) -> None:
    # "To allow cross-account access, you attach a resource-based policy to the resource that you want to
    # share": the endpoint account's shadow role reads the compiled artifact in the automation bucket.
    role, _ = _reader(backend)
    _bucket(backend)
    sagemaker = _endpoint_with_shadow_model(backend, role)

    code, message = _error(lambda: _experiment(sagemaker, role))
    assert code == "ValidationException"
    assert f"Could not access model data at s3://{BUCKET}/compiled/model.tar.gz for variant shadow" in message
    assert f"bucket policy of {BUCKET} in account {AUTOMATION} does not allow it for {role}" in message

    backend.client("s3").put_bucket_policy(
        Bucket=BUCKET,
        Policy=_doc(_allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/compiled/*", Principal={"AWS": role})),
    )
    _experiment(sagemaker, role)
    assert backend.experiments_in(ENDPOINT).status("churn-v2") == "Creating"
    assert backend.experiments.names() == []  # the automation account has none


def test_a_read_conditioned_on_the_buckets_account_is_allowed_only_in_that_account(
    backend: LocalBackend,
) -> None:
    # s3:ResourceAccount is the bucket owner's account: a role reading "its own account's reports"
    # reads its account's bucket and not another's.
    own = f"autopilot-local-{REGISTRY}"
    backend.seed_model_package(GROUP, account=REGISTRY)
    _bucket(backend, _allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": REGISTRY}))
    role = _role(
        backend,
        REGISTRY,
        "reader",
        _trust(AUTOMATION),
        _allow(
            "s3:GetObject", "arn:aws:s3:::*/*", Condition={"StringEquals": {"s3:ResourceAccount": REGISTRY}}
        ),
    )
    s3 = backend.client("s3", **_session(backend, role))

    assert s3.get_object(Bucket=own, Key=f"{GROUP}/1/evaluation.json")["Body"].read()
    code, message = _error(lambda: s3.get_object(Bucket=BUCKET, Key="compiled/model.tar.gz"))
    assert code == "AccessDenied"
    assert "no identity-based policy" in message
