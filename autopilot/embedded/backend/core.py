"""LocalBackend: moto plus the fidelity layer, wired into botocore's event system."""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace, TracebackType
from typing import TYPE_CHECKING, Any
from unittest import mock

import boto3  # type: ignore[import-untyped,unused-ignore]
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]
from botocore.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ConnectTimeoutError,
    ReadTimeoutError,
)
from botocore.handlers import BUILTIN_HANDLERS, REGISTER_FIRST  # type: ignore[import-untyped,unused-ignore]
from botocore.model import OperationModel  # type: ignore[import-untyped,unused-ignore]

import autopilot.embedded.backend._sagemaker as sm
from autopilot.embedded.backend._clock import Clock
from autopilot.embedded.backend._model_card import check_model_card
from autopilot.embedded.backend._wire import AwsError, failure, success, validation_error
from autopilot.embedded.backend.accounts import (
    Accounts,
    Caller,
    account_of,
    bucket_key,
    bucket_owner,
    bucket_policy,
    denied,
    evaluate_resource_policy,
    group_of,
    identity_denial,
    kms_key,
    referenced_packages,
    resource_arn,
    resource_denial,
    trust_denial,
)
from autopilot.embedded.backend.api_model import moto_enum_patches
from autopilot.embedded.backend.cloudformation import LocalDeployments
from autopilot.embedded.backend.experiments import EXPERIMENT_ARN_MARKER, InferenceExperiments
from autopilot.embedded.backend.faults import CallAttempts, FaultPlan, error_response
from autopilot.embedded.backend.iam import _DENIAL_CODE, _PREFIX, OPERATION_ACTIONS, RolePolicy
from autopilot.embedded.backend.iam_simulation import (
    get_context_keys_for_principal_policy,
    simulate_principal_policy,
)
from autopilot.embedded.backend.validator import validate, validation_message

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

_PARAMS_KEY = "autopilot_api_params"
_KEY_KEY = "autopilot_access_key"
_CALLER_KEY = "autopilot_caller"
_ACTING_KEY = "autopilot_acting_account"
_MODEL_KEY = "autopilot_operation_model"
_READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head")
_MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

Response = tuple[AWSResponse, dict[str, Any]]
Handler = Callable[["_Call"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class RecordedCall:
    """One AWS API call made by any client while a LocalBackend was active: in which account it ran
    and as which principal (an assumed-role session, a local function's role, or the account)."""

    service: str
    operation: str
    params: dict[str, Any]
    error_code: str | None
    account: str = ""  # the account the call ran in
    principal: str = ""  # who made it: a role's session, a function's role, or the account
    thread: int = 0  # the thread that made it (threading.get_ident)

    @property
    def is_write(self) -> bool:
        return not self.operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True)
class _Call:
    service: str
    operation: str
    model: OperationModel
    api_params: dict[str, Any]
    body: dict[str, Any]  # the serialized JSON request, when the protocol is JSON
    region: str
    account_id: str  # the account the call acts in (the caller's, or the owner of a shared resource)
    caller: Caller | None = None


class _Registry:
    """The backend the module-level handlers route to; None outside a LocalBackend context."""

    backend: LocalBackend | None = None
    lock = threading.Lock()


def active_clock() -> Clock | None:
    """The simulated clock of the active LocalBackend (None outside one)."""
    backend = _Registry.backend
    return backend.clock if backend is not None else None


def _on_before_parameter_build(
    params: dict[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
) -> None:
    if _Registry.backend is not None:
        context[_PARAMS_KEY] = params
        context[_MODEL_KEY] = model


def _on_before_call(
    model: OperationModel,
    params: dict[str, Any],
    context: dict[str, Any],
    request_signer: Any = None,
    **_: Any,
) -> Response | None:
    backend = _Registry.backend
    if backend is None:
        return None
    context[_KEY_KEY] = _access_key(request_signer)
    return backend._before_call(model, params, context)


def _access_key(request_signer: Any) -> str | None:
    """The access key the client signs with (its account and principal: `accounts.py`)."""
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None:
        return None
    try:
        return str(credentials.get_frozen_credentials().access_key)
    except AttributeError:
        return getattr(credentials, "access_key", None)


def _current_account(original: Callable[..., str]) -> Callable[..., str]:
    """moto serves a request in the account `get_current_account` names (its backends are keyed by
    account): the account the layer decided for the call being served on this thread."""

    def current_account(self: Any) -> str:
        backend = _Registry.backend
        serving = getattr(backend._serving, "account", None) if backend is not None else None
        return str(serving) if serving else original(self)

    return current_account


def _on_after_call(
    http_response: AWSResponse,
    parsed: dict[str, Any],
    model: OperationModel,
    context: dict[str, Any],
    **_: Any,
) -> None:
    backend = _Registry.backend
    if backend is not None:
        backend._after_call(model, context, http_response, parsed)


def _on_after_call_error(exception: Exception, context: dict[str, Any], **_: Any) -> None:
    # botocore emits after-call-error with the exception and the request context only (no model),
    # so the model is taken from what before-parameter-build kept in the context.
    backend = _Registry.backend
    model = context.get(_MODEL_KEY)
    if backend is not None and model is not None:
        backend._finish_attempts()
        backend._record(model, context, type(exception).__name__)


def _on_before_send(request: Any, event_name: str, **_: Any) -> Any:
    # Emitted once per attempt, inside botocore's retry loop: where injected faults must surface.
    backend = _Registry.backend
    if backend is None:
        return None
    return backend._before_send(request, event_name)


# Sessions copy BUILTIN_HANDLERS when they are created (moto registers its stubber the same way and
# resets boto3's default session on start), so every client made after this import carries them.
_HANDLERS: list[tuple[str, Callable[..., Any]]] = [
    ("before-parameter-build", _on_before_parameter_build),
    ("before-call", _on_before_call),
    ("after-call", _on_after_call),
    ("after-call-error", _on_after_call_error),
]
for _entry in _HANDLERS:
    if _entry not in BUILTIN_HANDLERS:
        BUILTIN_HANDLERS.append(_entry)
# Ahead of moto's own before-send stubber, so an injected fault is answered before moto serves anything.
_SEND_HANDLER = ("before-send", _on_before_send, REGISTER_FIRST)
if _SEND_HANDLER not in BUILTIN_HANDLERS:
    BUILTIN_HANDLERS.append(_SEND_HANDLER)


@dataclass
class _Pending:
    """A client call on its way through botocore's retry loop while a fault plan is active."""

    call: _Call
    handler: Handler | None
    limit: int  # the client's total attempts
    attempts: int = 0


def _attempt_limit(context: dict[str, Any]) -> int:
    """Total attempts of the calling client's retry configuration (botocore's defaults otherwise)."""
    retries = getattr(context.get("client_config"), "retries", None) or {}
    total = retries.get("total_max_attempts")
    if total is not None:
        return int(total)
    return 3 if retries.get("mode") in ("standard", "adaptive") else 5


# Condition keys whose value the local backend knows for every request it serves: the SDK calls
# SageMaker, S3 and the rest over HTTPS.
_KNOWN_CONDITION_VALUES = {"aws:securetransport": "true"}


def _conditions_not_met(statement: Mapping[str, Any]) -> bool:
    """Whether a Bool condition on a key the backend knows rules the statement out ("Bool: Boolean
    matching", IAM User Guide, "IAM JSON policy elements: Condition operators")."""
    for key, expected in (statement.get("Condition") or {}).get("Bool", {}).items():
        known = _KNOWN_CONDITION_VALUES.get(str(key).lower())
        wanted = [expected] if isinstance(expected, str | bool) else list(expected)
        if known is not None and known not in [str(w).lower() for w in wanted]:
            return True
    return False


def _statement_permission(original: Any) -> Any:
    """moto takes a condition operator it does not implement (Bool, among others) as met, and a
    statement whose conditions are not met as a denial: so a bucket policy's `Deny ... Bool
    aws:SecureTransport false` (the stack's enforce_ssl) refused every local call. A statement ruled
    out by its conditions does not apply: neither allows nor denies."""
    from moto.iam.access_control import PermissionResult

    def is_action_permitted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _conditions_not_met(self._statement):
            return PermissionResult.NEUTRAL
        return original(self, *args, **kwargs)

    return is_action_permitted


# The role a SageMaker create passes to the service, by parameter.
_PASSED_ROLES = ("RoleArn", "ExecutionRoleArn")


def _companion_denial(  # noqa: PLR0917 - the facts of one request
    caller: Caller, service: str, operation: str, params: Mapping[str, Any], resource: str | None, region: str
) -> tuple[str, str | None, str | None]:
    """(action, resource, reason) for the first companion permission a role session's SageMaker
    create lacks: iam:PassRole on the role it hands to SageMaker (IAM User Guide, "Grant a user
    permissions to pass a role to an AWS service": "To pass a role (and its permissions) to an AWS
    service, a user must have permissions to pass the role to the service."), and sagemaker:AddTags
    when it tags what it creates (the Service Authorization Reference lists sagemaker:AddTags among
    the dependent actions of SageMaker's Create* actions that take Tags)."""
    if service != "sagemaker" or not operation.startswith("Create"):
        return "", None, None
    for parameter in _PASSED_ROLES:
        role = params.get(parameter)
        if isinstance(role, str):
            passed = {"iam:PassedToService": ["sagemaker.amazonaws.com"]}
            reason = identity_denial(caller, "iam:PassRole", role, region, passed)
            if reason is not None:
                return "iam:PassRole", role, reason
    if params.get("Tags"):
        # The create is the tagging action (condition key sagemaker:TaggingAction).
        tagging = {"sagemaker:TaggingAction": [operation]}
        reason = identity_denial(caller, "sagemaker:AddTags", resource, region, tagging)
        if reason is not None:
            return "sagemaker:AddTags", resource, reason
    return "", None, None


class LocalBackend:
    """moto's ``mock_aws`` plus the layer that makes SageMaker behave like AWS where moto does not."""

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        *,
        start_time: datetime | None = None,
        validate_requests: bool = True,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.validate_requests = validate_requests
        # The IAM role the calls being made on this thread run with (a local function's, from the
        # template); None for set-up and for callers the backend does not hold to a role.
        self._principal = threading.local()
        self.clock = Clock(start_time)
        self.calls: list[RecordedCall] = []
        self.emitted_events: list[dict[str, Any]] = []
        self.compilation_jobs = sm.CompilationJobs(self.clock, region)
        self.experiments = InferenceExperiments(self.clock, region, account_id)
        self._experiments: dict[str, InferenceExperiments] = {account_id: self.experiments}
        # The accounts of this backend: who each access key is, the resource policies moto keeps none of.
        self.accounts = Accounts(home=account_id)
        self._serving = threading.local()  # the account moto serves the current call in
        self._current_account_patch: Any = None
        self._delivered: set[str] = set()  # compilation jobs whose artifact has been written
        self.model_packages = sm.ModelPackages(self.clock, self._emit)
        self.deployments = LocalDeployments(
            account_id
        )  # stacks deployed locally (CloudFormation's read side)
        self._lock = threading.RLock()
        self._quiet = threading.local()
        self._pending = threading.local()
        self._faults: FaultPlan | None = None
        self._sleep_patch: Any = None
        self._mock: Any = None
        self._condition_patch: Any = None
        self._enum_patches: list[Any] = []
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._saved_env: dict[str, str | None] = {}
        # Set-up deferred until a call needs it (`prepare_before`): (wants(service, operation), prepare).
        self._deferred: list[tuple[Callable[[str, str], bool], Callable[[], object]]] = []
        self._preparing = threading.RLock()  # held while a deferred set-up runs (its calls re-enter)
        self._prepares_running = 0
        self._handlers: dict[tuple[str, str], Handler] = {
            ("sagemaker", "UpdateModelPackage"): self._update_model_package,
            ("sagemaker", "DescribeModelPackage"): self._describe_model_package,
            ("sagemaker", "CreateModelPackage"): self._create_model_package,
            ("sagemaker", "CreateModel"): self._create_model,
            ("sagemaker", "CreateCompilationJob"): self._create_compilation_job,
            ("sagemaker", "DescribeCompilationJob"): self._describe_compilation_job,
            ("sagemaker", "StopCompilationJob"): self._stop_compilation_job,
            ("sagemaker", "ListCompilationJobs"): self._list_compilation_jobs,
            ("sagemaker", "CreateInferenceExperiment"): self._create_inference_experiment,
            ("sagemaker", "DescribeInferenceExperiment"): (
                lambda c: self.experiments_in(c.account_id).describe(c.body)
            ),
            ("sagemaker", "ListInferenceExperiments"): lambda c: self.experiments_in(c.account_id).list(
                c.body
            ),
            ("sagemaker", "UpdateInferenceExperiment"): (
                lambda c: self.experiments_in(c.account_id).update(c.body)
            ),
            ("sagemaker", "StartInferenceExperiment"): lambda c: self.experiments_in(c.account_id).start(
                c.body
            ),
            ("sagemaker", "StopInferenceExperiment"): lambda c: self.experiments_in(c.account_id).stop(
                c.body
            ),
            ("sagemaker", "AddTags"): self._experiment_tags("add_tags"),
            ("sagemaker", "ListTags"): self._experiment_tags("list_tags"),
            ("sagemaker", "DeleteTags"): self._experiment_tags("delete_tags"),
            ("sagemaker", "PutModelPackageGroupPolicy"): self._put_group_policy,
            ("sagemaker", "GetModelPackageGroupPolicy"): self._get_group_policy,
            ("sagemaker", "DeleteModelPackageGroupPolicy"): self._delete_group_policy,
            ("sts", "AssumeRole"): self._assume_role,
            ("iam", "SimulatePrincipalPolicy"): self._simulate_principal_policy,
            ("iam", "GetContextKeysForPrincipalPolicy"): (
                lambda c: get_context_keys_for_principal_policy(c.account_id, c.api_params)
            ),
            ("cloudformation", "DescribeStacks"): (
                lambda c: self.deployments.describe_stacks(c.api_params, c.account_id)
            ),
            ("cloudformation", "DescribeStackResources"): (
                lambda c: self.deployments.describe_stack_resources(c.api_params, c.account_id)
            ),
            ("cloudformation", "DeleteStack"): lambda c: self.deployments.delete_stack(
                c.api_params, c.account_id
            ),
            # Deletes for the e2e world's clean-up (moto has neither).
            ("sagemaker", "DeleteModelPackage"): self._delete_model_package,
            ("sagemaker", "DeleteModelPackageGroup"): self._delete_model_package_group,
        }

    # -- lifecycle ----------------------------------------------------------------------------------
    def __enter__(self) -> LocalBackend:
        from moto import mock_aws
        from moto.iam.access_control import IAMPolicyStatement

        with _Registry.lock:
            if _Registry.backend is not None:
                raise RuntimeError("another LocalBackend is already active")
            self._set_env({"MOTO_ACCOUNT_ID": self.account_id, "AWS_DEFAULT_REGION": self.region})
            self._mock = mock_aws(config=copy.deepcopy(_MOTO_CONFIG))
            self._mock.start()
            self._condition_patch = mock.patch.object(
                IAMPolicyStatement,
                "is_action_permitted",
                _statement_permission(IAMPolicyStatement.is_action_permitted),
            )
            self._condition_patch.start()
            from moto.core.responses import BaseResponse

            self._current_account_patch = mock.patch.object(
                BaseResponse, "get_current_account", _current_account(BaseResponse.get_current_account)
            )
            self._current_account_patch.start()
            # moto's own enum lists are old (its endpoint instance types end before ml.g5): the model's.
            self._enum_patches = moto_enum_patches()
            for patch in self._enum_patches:
                patch.start()
            _Registry.backend = self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.faults = None
        with _Registry.lock:
            _Registry.backend = None
            if self._mock is not None:
                self._mock.stop()
                self._mock = None
            if self._condition_patch is not None:
                self._condition_patch.stop()
                self._condition_patch = None
            if self._current_account_patch is not None:
                self._current_account_patch.stop()
                self._current_account_patch = None
            for patch in reversed(self._enum_patches):
                patch.stop()
            self._enum_patches = []
            self._session = None
            self._clients.clear()
            self._restore_env()

    def _set_env(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # -- fault injection (faults.py) ---------------------------------------------------------------
    @property
    def faults(self) -> FaultPlan | None:
        """The active fault plan; None (the default) injects nothing."""
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        from unittest import mock

        import botocore.endpoint  # type: ignore[import-untyped,unused-ignore]

        self._faults = plan
        if plan is not None and self._sleep_patch is None:
            # botocore sleeps between attempts (endpoint.py: time.sleep(delay)); under a plan the delay
            # is recorded instead, so hundreds of retried calls do not stall a local run.
            def record_backoff(seconds: float) -> None:
                if self._faults is not None:
                    self._faults.add_backoff(seconds)

            self._sleep_patch = mock.patch.object(
                botocore.endpoint, "time", SimpleNamespace(sleep=record_backoff, time=time.time)
            )
            self._sleep_patch.start()
        elif plan is None and self._sleep_patch is not None:
            self._sleep_patch.stop()
            self._sleep_patch = None

    # -- public helpers ----------------------------------------------------------------------------
    def client(self, service: str, *, account: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client bound to the mock (region defaults to the backend's). With `account`, the
        client acts as that account's administrator (its calls are that account's)."""
        kwargs.setdefault("region_name", self.region)
        if account is not None and account != self.account_id:
            kwargs.setdefault("aws_access_key_id", self.accounts.admin_key(account))
            kwargs.setdefault("aws_secret_access_key", "local")
        if self._session is None:
            # One session per backend: its loader caches service models, which makes clients cheap.
            self._session = boto3.session.Session()
        # Clients are reused: creating one costs more than most calls it makes, and they hold no state
        # (the interception above is global, so a reused client is routed like a new one).
        key = (service, repr(sorted(kwargs.items())))
        if key not in self._clients:
            self._clients[key] = self._session.client(service, **kwargs)
        return self._clients[key]

    def experiments_in(self, account: str) -> InferenceExperiments:
        """The inference experiments of one account (`experiments` is the backend's own account's)."""
        with self._lock:
            if account not in self._experiments:
                self._experiments[account] = InferenceExperiments(self.clock, self.region, account)
            return self._experiments[account]

    def session_client(self, service: str, caller: Caller, **kwargs: Any) -> Any:
        """A client whose calls run as `caller` (a role session, as a service acting with a role)."""
        key = f"ASIALOCAL{abs(hash((caller.account, caller.role_arn, caller.session_arn))) % 10**11:011d}"
        self.accounts.add_session(key, caller)
        return self.client(service, aws_access_key_id=key, aws_secret_access_key="local", **kwargs)

    def prepare_before(self, wants: Callable[[str, str], bool], prepare: Callable[[], object]) -> None:
        """Run `prepare` once, just before the first call for which `wants(service, operation)` holds,
        as set-up: unrecorded and held to no role. What no call needs is never made (`invoke plan`
        does not need the production endpoint a shadow test would run against)."""
        with self._preparing:
            self._deferred.append((wants, prepare))

    def _prepare_for(self, service: str, operation: str) -> None:
        # A call on another thread waits until a set-up under way has finished: it may need it.
        with self._preparing:
            due = [entry for entry in self._deferred if entry[0](service, operation)]
            if not due:
                return
            self._prepares_running += 1  # before the list shrinks: other threads see one or the other
            self._deferred = [entry for entry in self._deferred if entry not in due]
            principal, self.principal = self.principal, None
            try:
                with self.unrecorded():
                    for _, prepare in due:
                        prepare()
            finally:
                self._prepares_running -= 1
                self.principal = principal

    @property
    def writes(self) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self.calls if c.is_write and c.error_code is None]

    def clear_records(self) -> None:
        """Forget recorded calls and emitted events (state in the mock is kept)."""
        with self._lock:
            self.calls.clear()
            self.emitted_events.clear()

    @contextmanager
    def unrecorded(self) -> Iterator[None]:
        """Calls made inside are served but not recorded (set-up, not behaviour under test)."""
        before = getattr(self._quiet, "on", False)
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = before

    @contextmanager
    def recorded(self) -> Iterator[None]:
        """Calls made inside are recorded, even within `unrecorded` (a function the local runner
        invokes from its own thread while it waits, such as a scheduled one)."""
        before = getattr(self._quiet, "on", False)
        self._quiet.on = False
        try:
            yield
        finally:
            self._quiet.on = before

    def seed_model_package(
        self,
        group: str,
        *,
        approval_status: str = "PendingManualApproval",
        image: str | None = None,
        model_data_url: str | None = None,
        framework: str = "PYTORCH",
        framework_version: str = "2.0",
        content_types: tuple[str, ...] = ("application/json",),
        response_types: tuple[str, ...] = ("application/json",),
        instance_types: tuple[str, ...] = ("ml.m5.large", "ml.c5.xlarge"),
        evaluation_report: Mapping[str, Any] | None = None,
        customer_metadata: Mapping[str, str] | None = None,
        description: str | None = None,
        registration_type: str | None = None,
        model_card: Mapping[str, str] | None = None,
        account: str | None = None,
    ) -> str:
        """Create ``group`` if needed and register a realistic version in it; returns its ARN.

        The model artifact and the evaluation report (``ModelMetrics``) are written to a local S3
        bucket so code that reads them finds them: before the first S3 call (`prepare_before`), so a
        run that reads neither never starts S3. The version's creation event is emitted, as AWS
        would; the set-up calls themselves are not recorded. `account`: the account whose registry
        holds the group (default: the backend's own), its artifacts in that account's bucket.
        """
        owner = account or self.account_id
        bucket = f"autopilot-local-{owner}"
        with self.unrecorded():
            sagemaker = self.client("sagemaker", account=owner)
            groups = sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"]
            if group not in {g["ModelPackageGroupName"] for g in groups}:
                sagemaker.create_model_package_group(ModelPackageGroupName=group)
            count = len(sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"])
            version = count + 1
            objects: list[tuple[str, bytes]] = []
            data_key = f"{group}/{version}/model.tar.gz"
            if model_data_url is None:
                objects.append((data_key, b"local model artifact"))
                model_data_url = f"s3://{bucket}/{data_key}"
            report_key = f"{group}/{version}/evaluation.json"
            report = evaluation_report if evaluation_report is not None else {"metrics": {"accuracy": 0.9}}
            objects.append((report_key, json.dumps(report).encode()))
            self.prepare_before(
                lambda service, _operation: service == "s3", lambda: self._put(bucket, objects, owner)
            )
            image = image or (
                f"763104351884.dkr.ecr.{self.region}.amazonaws.com/pytorch-inference:2.0.1-cpu-py310"
            )
            request: dict[str, Any] = {
                "ModelPackageGroupName": group,
                "ModelApprovalStatus": approval_status,
                "InferenceSpecification": {
                    "Containers": [
                        {
                            "Image": image,
                            "ModelDataUrl": model_data_url,
                            "Framework": framework,
                            "FrameworkVersion": framework_version,
                        }
                    ],
                    "SupportedContentTypes": list(content_types),
                    "SupportedResponseMIMETypes": list(response_types),
                    "SupportedRealtimeInferenceInstanceTypes": list(instance_types),
                },
                "ModelMetrics": {
                    "ModelQuality": {
                        "Statistics": {
                            "ContentType": "application/json",
                            "S3Uri": f"s3://{bucket}/{report_key}",
                        }
                    }
                },
            }
            if customer_metadata:
                request["CustomerMetadataProperties"] = dict(customer_metadata)
            if description:
                request["ModelPackageDescription"] = description
            if registration_type:
                request["ModelPackageRegistrationType"] = registration_type
            if model_card:
                request["ModelCard"] = dict(model_card)
            arn: str = sagemaker.create_model_package(**request)["ModelPackageArn"]
            return arn

    def _put(self, bucket: str, objects: list[tuple[str, bytes]], account: str | None = None) -> None:
        """Put `objects` (key, body) in `bucket` of `account` (default: the backend's own), creating the
        bucket if needed."""
        s3 = self.client("s3", account=account)
        if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        for key, body in objects:
            s3.put_object(Bucket=bucket, Key=key, Body=body)

    # -- interception -------------------------------------------------------------------------------
    def _emit(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.emitted_events.append(event)

    def _record(self, model: OperationModel, context: dict[str, Any], error_code: str | None) -> None:
        if getattr(self._quiet, "on", False):
            return
        params = context.get(_PARAMS_KEY) or {}
        caller: Caller | None = context.get(_CALLER_KEY)
        call = RecordedCall(
            model.service_model.service_name,
            model.name,
            dict(params),
            error_code,
            account=str(context.get(_ACTING_KEY) or (caller.account if caller else self.account_id)),
            principal=caller.arn if caller is not None else f"arn:aws:iam::{self.account_id}:root",
            thread=threading.get_ident(),
        )
        with self._lock:
            self.calls.append(call)

    @property
    def principal(self) -> RolePolicy | None:
        principal: RolePolicy | None = getattr(self._principal, "role", None)
        return principal

    @principal.setter
    def principal(self, role: RolePolicy | None) -> None:
        self._principal.role = role

    def _before_call(
        self, model: OperationModel, params: dict[str, Any], context: dict[str, Any]
    ) -> Response | None:
        if self._deferred or self._prepares_running:
            self._prepare_for(model.service_model.service_name, model.name)
        self._pending.call = None
        service, operation = model.service_model.service_name, model.name
        api_params: dict[str, Any] = context.get(_PARAMS_KEY) or {}
        region = str(context.get("client_region") or self.region)
        caller = self.accounts.caller_for(context.get(_KEY_KEY), self.principal)
        context[_CALLER_KEY] = caller
        self._serving.account = caller.account
        if caller.template_role is not None:
            denied_call = caller.template_role.denial(
                service, operation, api_params, region=region, account=caller.account
            )
            if denied_call is not None:
                return failure(AwsError(*denied_call, status=403))
        elif not caller.is_admin:
            refusal = self._session_denial(caller, service, operation, api_params, region)
            if refusal is not None:
                return failure(refusal)
        try:
            acting = self._acting_account(caller, service, operation, api_params, region)
        except AwsError as error:
            return failure(error)
        context[_ACTING_KEY] = acting
        self._serving.account = acting
        if self.validate_requests:
            errors = validate(model.input_shape, api_params)
            if errors:
                return failure(validation_error(validation_message(errors)))
        handler = self._handlers.get((service, operation))
        if handler is None and not self._faults_apply(service, operation):
            return None
        body: dict[str, Any] = {}
        raw = params.get("body")
        if model.service_model.protocol == "json" and raw:
            body = json.loads(raw)
        call = _Call(
            service=service,
            operation=operation,
            model=model,
            api_params=api_params,
            body=body,
            region=region,
            account_id=acting,
            caller=caller,
        )
        if self._faults_apply(call.service, call.operation):
            # Served in before-send instead, once per attempt, so injected faults meet botocore's retries.
            self._pending.call = _Pending(call, handler, _attempt_limit(context))
            return None
        assert handler is not None
        return self._serve(call, handler)

    # -- accounts ------------------------------------------------------------------------------------
    def _session_denial(
        self, caller: Caller, service: str, operation: str, params: dict[str, Any], region: str
    ) -> AwsError | None:
        """A role session's call is held to the role's own policies (AssumeRole: the credentials "have
        the permissions that are defined in the access policy of the role that is being assumed")."""
        prefix = _PREFIX.get(service, service)
        action = f"{prefix}:{OPERATION_ACTIONS.get((service, operation), operation)}"
        resource = resource_arn(service, operation, params, region=region, account=caller.account)
        reason = identity_denial(caller, action, resource, region)
        if reason is None:
            action, resource, reason = _companion_denial(caller, service, operation, params, resource, region)
        if reason is None:
            return None
        return denied(
            caller, action, resource, reason, code=_DENIAL_CODE.get(prefix, "AccessDeniedException")
        )

    def _acting_account(
        self, caller: Caller, service: str, operation: str, params: dict[str, Any], region: str
    ) -> str:
        """The account the call acts in: the caller's, or the owner of the shared resource it names,
        when that resource's policy lets the caller in (else AccessDenied naming the missing grant)."""
        if service == "sagemaker":
            return self._sagemaker_account(caller, operation, params, region)
        if service == "s3":
            self._check_bucket(caller, operation, params, region)
        return caller.account

    def _sagemaker_account(self, caller: Caller, operation: str, params: dict[str, Any], region: str) -> str:
        action = f"sagemaker:{operation}"
        target = resource_arn("sagemaker", operation, params, region=region, account=caller.account)
        for package in referenced_packages(operation, params):
            # A model or a compilation job made from another account's version: SageMaker reads it
            # with the caller's identity, which the group's policy must let describe it.
            self.check_group_policy(caller, "sagemaker:DescribeModelPackage", package, region)
        owner = account_of(target or "")
        if not target or owner in ("", caller.account):
            return caller.account
        if ":model-package/" in target or ":model-package-group/" in target:
            self.check_group_policy(caller, action, target, region)
            return owner
        kind = target.split(":", 5)[-1].split("/", 1)[0]
        raise denied(
            caller,
            action,
            target,
            f"because no resource-based policy allows the {action} action: a SageMaker {kind} in account "
            f"{owner} takes no resource policy, so only account {owner} may use it",
        )

    def group_policy(self, account: str, region: str, group: str) -> str | None:
        return self.accounts.group_policies.get((account, region, group))

    def check_group_policy(self, caller: Caller, action: str, arn: str, region: str) -> None:
        """AccessDenied unless the version's (or group's) account is the caller's or its group's
        resource policy allows `action` for the caller."""
        owner = account_of(arn)
        if owner in ("", caller.account):
            return
        group = group_of(arn)
        policy = self.group_policy(owner, region, group)
        what = f"resource policy of model package group {group}"
        if policy is None:
            what += " (the group has none)"
        reason = resource_denial(caller, action, arn, policy, what, owner, region)
        if reason is not None:
            raise denied(caller, action, arn, reason)

    def _check_bucket(self, caller: Caller, operation: str, params: dict[str, Any], region: str) -> None:
        bucket = params.get("Bucket")
        if not isinstance(bucket, str):
            return
        owner = bucket_owner(bucket)
        if owner is None or owner == caller.account:
            return
        action = f"s3:{OPERATION_ACTIONS.get(('s3', operation), operation)}"
        arn = resource_arn("s3", operation, params, region=region, account=caller.account)
        reason = self.s3_denial(caller, action, bucket, arn or f"arn:aws:s3:::{bucket}", region)
        if reason is not None:
            raise denied(caller, action, arn, reason, code="AccessDenied")

    def s3_denial(self, caller: Caller, action: str, bucket: str, arn: str, region: str) -> str | None:
        """Why `caller` may not do `action` on `arn` in `bucket` (another account's): its identity
        policy, the bucket policy and, for objects under a customer managed key, the key policy."""
        owner = bucket_owner(bucket) or caller.account
        reason = identity_denial(caller, action, arn, region)
        if reason is None:
            reason = resource_denial(
                caller, action, arn, bucket_policy(bucket), f"bucket policy of {bucket}", owner, region
            )
        key = bucket_key(bucket)
        if reason is None and key and action in ("s3:PutObject", "s3:GetObject"):
            kms_action = "kms:GenerateDataKey" if action == "s3:PutObject" else "kms:Decrypt"
            reason = self.kms_denial(caller, kms_action, key, owner, region)
        return reason

    def kms_denial(self, caller: Caller, action: str, key: str, owner: str, region: str) -> str | None:
        """KMS: "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access
        to a KMS key": the key policy must allow (the caller, or its account root), and so must the
        caller's identity policy."""
        key_account = account_of(key) or owner
        found = kms_key(key_account, region, key)
        if found is None:
            return f"because KMS key {key} does not exist in account {key_account}"
        context = caller.context(region, key_account)
        decision = evaluate_resource_policy(found.policy, caller, action, found.arn, context)
        if decision == "Deny":
            return f"with an explicit deny in the key policy of KMS key {found.id} in account {key_account}"
        if decision != "Allow":
            return (
                f"because the key policy of KMS key {found.id} in account {key_account} does not allow "
                f"{action} for {caller.principal_arn}"
            )
        return identity_denial(caller, action, found.arn, region)

    def _serve(self, call: _Call, handler: Handler) -> Response | None:
        try:
            output = handler(call)
        except AwsError as error:
            return failure(error)
        if output is None:
            return None  # moto serves it
        return success(call.model, output)

    def _faults_apply(self, service: str, operation: str) -> bool:
        plan = self._faults
        return (
            plan is not None and not getattr(self._quiet, "on", False) and plan.applies_to(service, operation)
        )

    def _before_send(self, request: Any, event_name: str) -> AWSResponse | None:
        """One attempt of a call made while a fault plan is active: fail it, or serve it."""
        pending: _Pending | None = getattr(self._pending, "call", None)
        plan = self._faults
        if pending is None or plan is None:
            return None
        pending.attempts += 1
        call = pending.call
        kind = plan.draw(
            call.service,
            call.operation,
            call.api_params,
            modeled_errors=[shape.name for shape in call.model.error_shapes],
            retrying_client=pending.limit > 1,
        )
        if kind == "connect-timeout":
            raise ConnectTimeoutError(endpoint_url=request.url)  # the request never arrived
        response: AWSResponse | None = None
        if kind is not None and kind != "read-timeout":
            response = error_response(call.model, kind)
        elif pending.handler is not None:
            served = self._serve(call, pending.handler)
            response = served[0] if served is not None else None
        if kind == "read-timeout":
            if response is None:
                from moto.core.models import botocore_stubber

                botocore_stubber(event_name=event_name, request=request)  # moto serves it ...
            raise ReadTimeoutError(endpoint_url=request.url)  # ... and the response is lost
        if response is not None:
            # Nothing else may serve this attempt: moto's stubber, which runs after this handler,
            # matches requests by URL and leaves others alone.
            request.url = "https://autopilot-local.invalid/answered"
        return response

    def _finish_attempts(self) -> None:
        pending: _Pending | None = getattr(self._pending, "call", None)
        self._pending.call = None
        plan = self._faults
        if pending is not None and plan is not None:
            plan.record_call(
                CallAttempts(
                    pending.call.service,
                    pending.call.operation,
                    pending.attempts,
                    pending.limit,
                    pending.limit > 1,
                )
            )

    def _after_call(
        self, model: OperationModel, context: dict[str, Any], http: AWSResponse, parsed: dict[str, Any]
    ) -> None:
        error_code: str | None = None
        if http.status_code >= 300:
            error_code = str((parsed.get("Error") or {}).get("Code") or http.status_code)
        self._finish_attempts()
        self._record(model, context, error_code)
        if error_code is None and model.service_model.service_name == "sts" and model.name == "AssumeRole":
            self._register_session(context.get(_PARAMS_KEY) or {}, parsed)
        if error_code is not None or model.service_model.service_name != "sagemaker":
            return
        region = str(context.get("client_region") or self.region)
        if model.name == "CreateModelPackage":
            self.model_packages.after_create(
                str(context.get(_ACTING_KEY) or self.account_id),
                region,
                parsed["ModelPackageArn"],
                context.get(_PARAMS_KEY) or {},
            )
        elif model.name == "CreateCompilationJob":
            name = (context.get(_PARAMS_KEY) or {}).get("CompilationJobName")
            acting = str(context.get(_ACTING_KEY) or self.account_id)
            job = sm.sagemaker_backend(acting, region).compilation_jobs.get(name)
            if job is not None:
                job.creation_time = job.last_modified_time = self.clock.naive_utc()
                job.compilation_start_time = job.creation_time
                self.compilation_jobs.created(str(name), context.get(_PARAMS_KEY) or {})

    # -- SageMaker handlers ---------------------------------------------------------------------------
    def _update_model_package(self, call: _Call) -> dict[str, Any]:
        return self.model_packages.update(call.account_id, call.region, call.body)

    def _describe_model_package(self, call: _Call) -> dict[str, Any]:
        """IncludedData (DescribeModelPackage): "AllData ... requires kms:Decrypt permission on the
        customer-managed key, if one is associated with the embedded model card. This is the default."
        "MetadataOnly ... does not require kms:Decrypt permission." The key of the version
        (SecurityConfig.KmsKeyId) is held to the same rule (docs/FIDELITY.md: silent on the code)."""
        package = self.model_packages.find(call.account_id, call.region, call.body["ModelPackageName"])
        described = self.model_packages.describe(package)
        key = (described.get("SecurityConfig") or {}).get("KmsKeyId")
        caller = call.caller
        role = caller.template_role if caller is not None else self.principal
        all_data = call.body.get("IncludedData", "AllData") == "AllData"
        if all_data and key and role is not None and not role.allows("kms:Decrypt", str(key)):
            raise AwsError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{call.account_id}:assumed-role/{role.role}/local is not "
                f"authorized to perform: kms:Decrypt on resource: {key}",
                403,
            )
        if all_data and key and caller is not None and role is None and not caller.is_admin:
            # A role session (another account's access role): its own policy and the key's policy.
            reason = self.kms_denial(
                caller, "kms:Decrypt", str(key), account_of(str(key)) or call.account_id, call.region
            )
            if reason is not None:
                raise denied(caller, "kms:Decrypt", str(key), reason)
        if call.body.get("IncludedData") == "MetadataOnly" and "ModelCard" in described:
            described["ModelCard"] = {
                k: v for k, v in described["ModelCard"].items() if k != "ModelCardContent"
            }
        return described

    def _create_model_package(self, call: _Call) -> None:
        specs = call.body.get("AdditionalInferenceSpecifications")
        if specs:
            self.model_packages.check_spec_names([], specs)
        if "ModelCard" in call.body:
            check_model_card(call.body["ModelCard"], None)

    def _create_model(self, call: _Call) -> None:
        # AWS refuses a second model of the same name (ValidationException "Cannot create already
        # existing model"); moto replaces the first silently.
        name = call.body["ModelName"]
        if name in sm.sagemaker_backend(call.account_id, call.region)._models:
            arn = f"arn:aws:sagemaker:{call.region}:{call.account_id}:model/{name.lower()}"
            raise AwsError("ValidationException", f'Cannot create already existing model "{arn}".')

    def _create_compilation_job(self, call: _Call) -> None:
        self.compilation_jobs.check_create(call.body)
        jobs = list(sm.sagemaker_backend(call.account_id, call.region).compilation_jobs.values())
        self.compilation_jobs.check_quota(str(call.body["CompilationJobName"]), jobs)
        if call.body.get("ModelPackageVersionArn"):
            sm.check_compilable(call.account_id, call.region, call.body["ModelPackageVersionArn"])

    def _describe_compilation_job(self, call: _Call) -> dict[str, Any]:
        name = call.body["CompilationJobName"]
        job = sm.sagemaker_backend(call.account_id, call.region).compilation_jobs.get(name)
        if job is None:
            raise AwsError("ResourceNotFound", f"Could not find compilation job '{name}'.")
        self._settle(call.account_id, call.region, job)
        framework, version = sm.compilation_framework(job, call.account_id, call.region)
        return self.compilation_jobs.describe(job, framework, version)

    def _list_compilation_jobs(self, call: _Call) -> dict[str, Any]:
        jobs = list(sm.sagemaker_backend(call.account_id, call.region).compilation_jobs.values())
        for job in jobs:
            self._settle(call.account_id, call.region, job)
        return self.compilation_jobs.summaries(jobs, call.body)

    def _stop_compilation_job(self, call: _Call) -> dict[str, Any]:
        name = call.body["CompilationJobName"]
        job = sm.sagemaker_backend(call.account_id, call.region).compilation_jobs.get(name)
        if job is None:
            raise AwsError("ResourceNotFound", f"Could not find compilation job '{name}'.")
        self.compilation_jobs.stop(name, sm.target_key(job.output_config or {}))
        return {}

    def _delete_model_package(self, call: _Call) -> dict[str, Any]:
        """DeleteModelPackage (moto has none): the version goes; its number is not reused."""
        backend = sm.sagemaker_backend(call.account_id, call.region)
        name = str(call.body["ModelPackageName"])
        arn = backend.model_package_name_mapping.get(name, name)
        if arn not in backend.model_packages:
            raise AwsError("ValidationException", f"ModelPackage {name} does not exist.")
        del backend.model_packages[arn]
        for key, value in list(backend.model_package_name_mapping.items()):
            if value == arn:
                del backend.model_package_name_mapping[key]
        return {}

    def _delete_model_package_group(self, call: _Call) -> dict[str, Any]:
        """DeleteModelPackageGroup (moto has none). The API reference does not say what happens to a
        group that still holds versions; the safe reading (docs/FIDELITY.md) refuses it with its one
        documented error, ConflictException, so callers delete the versions first."""
        backend = sm.sagemaker_backend(call.account_id, call.region)
        name = str(call.body["ModelPackageGroupName"]).rsplit("/", 1)[-1]
        if name not in backend.model_package_groups:
            raise AwsError("ValidationException", f"ModelPackageGroup {name} does not exist.")
        if any(p.model_package_group_name == name for p in backend.model_packages.values()):
            raise AwsError("ConflictException", f"ModelPackageGroup {name} still holds model packages.")
        del backend.model_package_groups[name]
        return {}

    def _experiment_tags(self, operation: str) -> Handler:
        def handle(call: _Call) -> dict[str, Any] | None:
            if EXPERIMENT_ARN_MARKER in str(call.body.get("ResourceArn", "")):
                result: dict[str, Any] = getattr(self.experiments_in(call.account_id), operation)(call.body)
                return result
            return None

        return handle

    # -- accounts: STS and the group policies ----------------------------------------------------------
    def _assume_role(self, call: _Call) -> None:
        """AssumeRole: the role must exist, its trust policy must allow the caller (the caller's own
        policy was checked before: an identity-based grant of sts:AssumeRole on the role). moto then
        issues the credentials, which the layer maps to the role's account (`_after_call`)."""
        from moto.iam.models import iam_backends

        assert call.caller is not None
        role_arn = str(call.api_params["RoleArn"])
        owner = account_of(role_arn)
        partition = role_arn.split(":", 2)[1] if role_arn.count(":") >= 2 else "aws"
        role = None
        if owner:
            role = next((r for r in iam_backends[owner][partition].roles.values() if r.arn == role_arn), None)
        if role is None:
            raise denied(
                call.caller,
                "sts:AssumeRole",
                role_arn,
                f"because role {role_arn.split(':role/', 1)[-1]} does not exist in account {owner}",
                code="AccessDenied",
            )
        extra = {"sts:ExternalId": call.api_params["ExternalId"]} if "ExternalId" in call.api_params else {}
        reason = trust_denial(role.assume_role_policy_document, call.caller, role_arn, call.region, extra)
        if reason is not None:
            raise denied(call.caller, "sts:AssumeRole", role_arn, reason, code="AccessDenied")
        # allowed: moto serves it

    def _register_session(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        key = (parsed.get("Credentials") or {}).get("AccessKeyId")
        role_arn = str(params.get("RoleArn", ""))
        if key:
            session = (parsed.get("AssumedRoleUser") or {}).get("Arn")
            self.accounts.add_session(
                str(key), Caller(account=account_of(role_arn), role_arn=role_arn, session_arn=session)
            )

    def _group_arn(self, call: _Call) -> tuple[str, str]:
        name = str(call.body["ModelPackageGroupName"]).rsplit("/", 1)[-1]
        backend = sm.sagemaker_backend(call.account_id, call.region)
        if name not in backend.model_package_groups:
            raise AwsError("ValidationException", f"ModelPackageGroup {name} does not exist.")
        return name, f"arn:aws:sagemaker:{call.region}:{call.account_id}:model-package-group/{name}"

    def _put_group_policy(self, call: _Call) -> dict[str, Any]:
        """PutModelPackageGroupPolicy (moto has none): the policy is kept and enforced on calls from
        other accounts (`check_group_policy`). ResourcePolicy is JSON, at most 20480 characters (the
        generic validator holds the length)."""
        name, arn = self._group_arn(call)
        policy = str(call.body["ResourcePolicy"])
        try:
            json.loads(policy)
        except ValueError:
            raise validation_error("ResourcePolicy is not a valid JSON policy document.") from None
        self.accounts.group_policies[(call.account_id, call.region, name)] = policy
        return {"ModelPackageGroupArn": arn}

    def _get_group_policy(self, call: _Call) -> dict[str, Any]:
        name, arn = self._group_arn(call)
        policy = self.group_policy(call.account_id, call.region, name)
        if policy is None:
            raise validation_error(f"Cannot find resource policy for ModelPackageGroup {arn}.")
        return {"ResourcePolicy": policy}

    def _delete_group_policy(self, call: _Call) -> dict[str, Any]:
        name, arn = self._group_arn(call)
        if self.accounts.group_policies.pop((call.account_id, call.region, name), None) is None:
            raise validation_error(f"Cannot find resource policy for ModelPackageGroup {arn}.")
        return {}

    def _create_inference_experiment(self, call: _Call) -> dict[str, Any]:
        """The shadow variant's model is deployed with its execution role, which reads the model data:
        a model whose data is in another account's bucket needs that bucket's policy (and key policy)
        to let the role read it. AWS reports such a failure on the variant; the layer refuses the
        experiment at once, naming the missing grant (docs/FIDELITY.md)."""
        for variant in call.body.get("ModelVariants") or []:
            for url, role_arn in self._model_data(
                call.account_id, call.region, str(variant.get("ModelName"))
            ):
                reason = self._model_data_denial(url, role_arn, call.region)
                if reason is not None:
                    name = variant.get("VariantName")
                    raise validation_error(
                        f"Could not access model data at {url} for variant {name}: {reason}"
                    )
        return self.experiments_in(call.account_id).create(call.body)

    def _model_data(self, account: str, region: str, model_name: str) -> list[tuple[str, str]]:
        """(model data URL, execution role) of each container of a model, its package's included."""
        model = sm.sagemaker_backend(account, region)._models.get(model_name)
        if model is None:
            return []
        containers = list(model.containers or []) or (
            [model.primary_container] if model.primary_container else []
        )
        found: list[tuple[str, str]] = []
        for container in containers:
            urls = [container.get("ModelDataUrl")]
            package_arn = container.get("ModelPackageName")
            if package_arn:
                try:
                    package = sm.ModelPackages.find(account_of(package_arn) or account, region, package_arn)
                except AwsError:
                    package = None
                spec = (package.inference_specification or {}) if package is not None else {}
                for extra in (
                    (package.additional_inference_specifications or []) if package is not None else []
                ):
                    if extra.get("Name") == container.get("InferenceSpecificationName"):
                        spec = extra
                urls += [c.get("ModelDataUrl") for c in spec.get("Containers") or []]
            found += [(str(u), str(model.execution_role_arn)) for u in urls if u]
        return found

    def _model_data_denial(self, url: str, role_arn: str, region: str) -> str | None:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        owner = bucket_owner(bucket)
        role_account = account_of(role_arn)
        if not url.startswith("s3://") or owner is None or owner == role_account:
            return None  # within one account the local backend keeps today's reading (no check)
        caller = Caller(account=role_account, role_arn=role_arn)
        reason = self.s3_denial(caller, "s3:GetObject", bucket, f"arn:aws:s3:::{bucket}/{key}", region)
        if reason is None:
            return None
        return denied(caller, "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}", reason).message

    def _deliver_compiled(self, account: str, region: str, job: Any) -> str | None:
        """A job that ends well writes its artifact as its role (the registry account's Neo role) into
        its output bucket; another account's bucket must let it (bucket policy, key policy). Returns
        the failure reason when it may not; the artifact is written otherwise."""
        from moto.s3.models import s3_backends

        location = str((job.output_config or {}).get("S3OutputLocation", "")).rstrip("/")
        bucket, _, _ = location.removeprefix("s3://").partition("/")
        owner = bucket_owner(bucket)
        if not location.startswith("s3://") or owner is None or owner == account:
            return None
        artifact = sm.artifact_uri(job.output_config, job.input_config)
        key = artifact.removeprefix(f"s3://{bucket}/")
        caller = Caller(account=account, role_arn=str(job.role_arn))
        object_arn = f"arn:aws:s3:::{bucket}/{key}"
        reason = self.s3_denial(caller, "s3:PutObject", bucket, object_arn, region)
        if reason is not None:
            return (
                f"ClientError: AccessDenied: User: {caller.arn} is not authorized to perform: s3:PutObject "
                f"on resource: {object_arn} {reason}"
            )
        s3_backends[owner]["aws"].put_object(bucket, key, b"local compiled artifact")
        return None

    def _settle(self, account: str, region: str, job: Any) -> None:
        """Before a job is shown: if it has just completed, its artifact is delivered (or it fails)."""
        name = job.compilation_job_name
        if name in self._delivered:
            return
        status, _ = self.compilation_jobs.current_status(
            name, sm.target_key(job.output_config or {}), advance=False
        )
        if status != "COMPLETED":
            return
        self._delivered.add(name)
        reason = self._deliver_compiled(account, region, job)
        if reason is not None:
            self.compilation_jobs.fail(name, reason)

    # -- IAM ---------------------------------------------------------------------------------------------
    def _simulate_principal_policy(self, call: _Call) -> dict[str, Any]:
        return simulate_principal_policy(call.account_id, call.api_params)
