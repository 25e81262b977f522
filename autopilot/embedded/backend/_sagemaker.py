"""SageMaker model-package and Neo compilation behaviour where moto differs from AWS.

Rules and their sources (SageMaker API Reference):
- UpdateModelPackage: fields absent from the request are left unchanged; specs in
  ``AdditionalInferenceSpecificationsToAdd`` are added to the existing ones, at most 15 in total
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html); a spec name
  identifies the spec within the version
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AdditionalInferenceSpecificationDefinition.html).
- UpdateModelPackage.ClientToken: "A unique token that guarantees that the call to this API is
  idempotent." AWS's idempotency contract (Amazon EC2 API, "Ensuring idempotency"): a retry with the
  same token and the same parameters succeeds without further action; the same token with different
  parameters is refused. SageMaker does not name that error; UpdateModelPackage declares only
  ``ConflictException``, which is what the layer answers (docs/FIDELITY.md, silences).
- CreateCompilationJob: exactly one of ``TargetDevice``/``TargetPlatform``; NVIDIA platforms need
  ``CompilerOptions``; a name already used answers ``ResourceInUse``
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateCompilationJob.html).
- InputConfig: ``FrameworkVersion`` "is only supported for the MXNet, PyTorch, TensorFlow and TensorFlow
  Lite frameworks"; ``DataInputConfig`` "You must specify" for TensorFlow, Keras, MXNet, ONNX, Darknet,
  and for PyTorch unless Neo derives it (PyTorch 2.0+, cloud instance targets)
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InputConfig.html).
- StoppingCondition.MaxRuntimeInSeconds: "For compilation jobs, if the job does not complete during
  this time, a TimeOut error is generated"
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html).
- StopCompilationJob: "Amazon SageMaker AI changes the CompilationJobStatus of the job to Stopping.
  After Amazon SageMaker stops the job, it sets the CompilationJobStatus to Stopped."
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopCompilationJob.html).
- DescribeCompilationJob: statuses STARTING, INPROGRESS, COMPLETED, FAILED, STOPPING, STOPPED;
  ``InferenceImage`` for ``ml_*`` targets
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeCompilationJob.html,
  https://docs.aws.amazon.com/sagemaker/latest/dg/neo-deployment-hosting-services-container-images.html).
- Model package events: "SageMaker Model Package State Change"
  (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
"""

from __future__ import annotations

import copy
import json
import posixpath
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot.embedded.backend._clock import Clock
from autopilot.embedded.backend._model_card import check_model_card
from autopilot.embedded.backend._wire import AwsError, validation_error
from autopilot.embedded.backend.api_model import cloud_instance_device
from registry_autopilot.logic.compile_watch import ENDED
from registry_autopilot.logic.targets import NEO_IMAGE_REGISTRIES, neo_repository
from registry_autopilot.models.config import FRAMEWORKS_REQUIRING_DATA_INPUT, FRAMEWORKS_WITH_VERSION

MAX_ADDITIONAL_SPECS = 15
MODEL_PACKAGE_DETAIL_TYPE = "SageMaker Model Package State Change"
# The statuses a job ends in (DeleteCompilationJob), from the functions' one table; compared with the
# API model's CompilationJobStatus in tests/unit/functions/test_api_model_literals.py.
TERMINAL_COMPILATION = frozenset(ENDED)
# InputConfig's documentation-only rules (FRAMEWORKS_WITH_VERSION, FRAMEWORKS_REQUIRING_DATA_INPUT) and
# the Neo image table (NEO_IMAGE_REGISTRIES, neo_repository) are the functions' one copy each.
# AWS names the error (TimeOut) but does not document the FailureReason's text; ours starts with it.
TIMEOUT_REASON = "TimeOut: the compilation job did not complete within MaxRuntimeInSeconds ({} seconds)"


def sagemaker_backend(account_id: str, region: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region]


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(aware.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _epoch_millis(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epoch_millis(v) for v in value]
    return value


class ModelPackages:
    """AWS semantics for UpdateModelPackage/DescribeModelPackage and the events they cause."""

    def __init__(self, clock: Clock, emit: Callable[[dict[str, Any]], None]) -> None:
        self._clock = clock
        self._emit = emit
        self._extras: dict[str, dict[str, Any]] = {}
        # ClientToken -> the request it first carried (canonical JSON), per account and region.
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._lock = threading.RLock()
        # Whether one UpdateModelPackage may change the card's content and its status together.
        # ModelPackageModelCard is silent; UpdateModelCard refuses it ("You cannot update both model
        # card content and model card status in a single call"). Tests run both answers
        # (docs/FIDELITY.md, where the documentation is silent).
        self.card_content_with_status = True

    @staticmethod
    def find(account_id: str, region: str, name_or_arn: str) -> Any:
        if name_or_arn.startswith("arn:") and name_or_arn.count(":") >= 5:
            account_id = name_or_arn.split(":")[4] or account_id  # an ARN names its own account
        backend = sagemaker_backend(account_id, region)
        key = backend.model_package_name_mapping.get(name_or_arn, name_or_arn)
        package = backend.model_packages.get(key)
        if package is None:
            raise validation_error(f"ModelPackage {name_or_arn} does not exist.")
        return package

    def describe(self, package: Any) -> dict[str, Any]:
        out: dict[str, Any] = copy.deepcopy(package.gen_response_object())
        # AWS names a versioned package after its group; moto drops the member.
        out["ModelPackageName"] = package.model_package_name
        out.update(copy.deepcopy(self._extras.get(package.arn, {})))
        return out

    @staticmethod
    def check_spec_names(existing: list[dict[str, Any]], to_add: list[dict[str, Any]]) -> None:
        seen = {spec.get("Name") for spec in existing}
        for spec in to_add:
            name = spec.get("Name")
            if name in seen:
                raise validation_error(
                    f"AdditionalInferenceSpecification name {name} already exists for this model package."
                )
            seen.add(name)
        if len(existing) + len(to_add) > MAX_ADDITIONAL_SPECS:
            raise validation_error(
                f"Total number of AdditionalInferenceSpecifications ({len(existing) + len(to_add)}) "
                f"exceeds the maximum of {MAX_ADDITIONAL_SPECS}."
            )

    def update(self, account_id: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            package = self.find(account_id, region, body["ModelPackageArn"])
            token = body.get("ClientToken")
            request = json.dumps({k: v for k, v in body.items() if k != "ClientToken"}, sort_keys=True)
            if token is not None:
                first = self._tokens.get((account_id, region, token))
                if first == request:
                    return {"ModelPackageArn": package.arn}  # an idempotent retry changes nothing
                if first is not None:
                    raise AwsError(
                        "ConflictException",
                        f"ClientToken {token} was already used with different parameters; "
                        "resend the earlier request unchanged or use a new ClientToken.",
                    )
            to_add = body.get("AdditionalInferenceSpecificationsToAdd")
            existing = list(package.additional_inference_specifications or [])
            if to_add:
                self.check_spec_names(existing, to_add)
            extras = self._extras.setdefault(package.arn, {})
            if "ModelCard" in body:
                check_model_card(
                    body["ModelCard"], extras.get("ModelCard"), with_status=self.card_content_with_status
                )
            registration = body.get("ModelPackageRegistrationType")
            if (
                registration == "Logged"
                and extras.get("ModelPackageRegistrationType", "Registered") != "Logged"
            ):
                # The documentation is silent on the direction (docs/FIDELITY.md): the safe reading
                # is that a Registered version is never turned back into a Logged one.
                raise validation_error("A Registered model package cannot be changed to Logged.")
            if "ModelApprovalStatus" in body:
                package.model_approval_status = body["ModelApprovalStatus"]
            if "ApprovalDescription" in body:
                package.approval_description = body["ApprovalDescription"]
            if "CustomerMetadataProperties" in body or "CustomerMetadataPropertiesToRemove" in body:
                merged = dict(package.customer_metadata_properties or {})
                merged.update(body.get("CustomerMetadataProperties") or {})
                for key in body.get("CustomerMetadataPropertiesToRemove") or []:
                    merged.pop(key, None)
                package.customer_metadata_properties = merged or None
            if to_add:
                package.additional_inference_specifications = existing + copy.deepcopy(to_add)
            if "InferenceSpecification" in body:
                package.inference_specification = copy.deepcopy(body["InferenceSpecification"])
            for member in ("ModelLifeCycle", "SourceUri", "ModelPackageRegistrationType"):
                if member in body:
                    extras[member] = copy.deepcopy(body[member])
            if "ModelCard" in body:
                # The members given are updated, the others kept (as UpdateModelCard takes content or
                # status alone; docs/FIDELITY.md, silent).
                extras["ModelCard"] = {**extras.get("ModelCard", {}), **copy.deepcopy(body["ModelCard"])}
            package.last_modified_time = self._clock.naive_utc()
            package.last_modified_by = package.created_by
            if token is not None:
                self._tokens[(account_id, region, token)] = request
            self._emit(self.state_change_event(account_id, region, package))
            return {"ModelPackageArn": package.arn}

    def after_create(
        self, account_id: str, region: str, arn: str, request: dict[str, Any] | None = None
    ) -> None:
        with self._lock:
            package = self.find(account_id, region, arn)
            # Members of the request moto does not keep; DescribeModelPackage returns them in AWS.
            extras = self._extras.setdefault(package.arn, {})
            for member in (
                "ModelPackageRegistrationType",
                "ModelLifeCycle",
                "SourceUri",
                "ModelCard",
                "SecurityConfig",
            ):
                if member in (request or {}):
                    extras[member] = copy.deepcopy((request or {})[member])
            package.creation_time = self._clock.naive_utc()
            if package.model_approval_status is None and package.model_package_group_name:
                # AWS defaults a versioned package to PendingManualApproval; moto leaves it empty.
                package.model_approval_status = "PendingManualApproval"
            self._emit(self.state_change_event(account_id, region, package))

    def state_change_event(self, account_id: str, region: str, package: Any) -> dict[str, Any]:
        detail = _epoch_millis(self.describe(package))
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": MODEL_PACKAGE_DETAIL_TYPE,
            "source": "aws.sagemaker",
            "account": account_id,
            "time": self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [package.arn],
            "detail": detail,
        }


# ListCompilationJobs' page size when MaxResults is not given (not documented; docs/FIDELITY.md).
LIST_PAGE_SIZE = 10
# A script's statuses are a job's status minute by minute from its creation.
SCRIPT_STEP_SECONDS = 60
# The account's quota on compilation jobs that have not ended (STARTING, INPROGRESS, STOPPING). The
# documentation we hold states no default (docs/FIDELITY.md, silences): the embedded account takes a
# small one, so a burst meets it in local runs; `CompilationJobs.concurrent_quota` sets another (None:
# no quota).
DEFAULT_CONCURRENT_COMPILATION_JOBS = 10
QUOTA_NAME = "Number of concurrent compilation jobs"


def target_key(output_config: dict[str, Any]) -> str:
    """``TargetDevice`` as is, or ``OS_ARCH[_ACCELERATOR]`` for a ``TargetPlatform``."""
    if output_config.get("TargetDevice"):
        return str(output_config["TargetDevice"])
    platform = output_config.get("TargetPlatform") or {}
    parts = [platform.get("Os", ""), platform.get("Arch", "")]
    if platform.get("Accelerator"):
        parts.append(platform["Accelerator"])
    return "_".join(parts)


@dataclass
class _Script:
    statuses: list[str]
    failure_reason: str | None = None


@dataclass
class CompilationJobs:
    """Neo compilation jobs whose status follows the clock, whoever asks and how often: a script
    gives a job's status minute by minute from its creation (the n-th status from n minutes on, the
    last one from then on), so DescribeCompilationJob and ListCompilationJobs always agree, as they
    do in SageMaker (asking does not move a job along).

    Or, with `compile_seconds` set, jobs that end after that long: INPROGRESS from their creation,
    COMPLETED (FAILED for a failing target) once that many seconds have passed; a job with its own
    script still follows it."""

    clock: Clock
    region: str
    default_script: list[str] = field(default_factory=lambda: ["INPROGRESS", "COMPLETED"])
    compile_seconds: float | None = None
    concurrent_quota: int | None = DEFAULT_CONCURRENT_COMPILATION_JOBS
    # CreateCompilationJob calls refused for the quota (ResourceLimitExceeded), for tests and the bench.
    refused_for_quota: int = 0
    _created: dict[str, datetime] = field(default_factory=dict)
    _scripts: dict[str, _Script] = field(default_factory=dict)
    _failing_targets: dict[str, str] = field(default_factory=dict)
    _describes: dict[str, int] = field(default_factory=dict)
    _limits: dict[str, int] = field(default_factory=dict)  # job -> MaxRuntimeInSeconds
    _compiling_since: dict[str, datetime] = field(default_factory=dict)  # first seen INPROGRESS
    _ended: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # timed out or stopped
    _stopping: dict[str, datetime] = field(default_factory=dict)  # job -> when StopCompilationJob came
    _open: set[str] = field(default_factory=set)  # jobs created and not yet seen ended (the quota's count)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def script(self, job_name: str, statuses: list[str], failure_reason: str | None = None) -> None:
        if not statuses:
            raise ValueError("a script needs at least one status")
        with self._lock:
            self._scripts[job_name] = _Script(list(statuses), failure_reason)

    def fail_target(self, target_device_or_platform_key: str, reason: str) -> None:
        with self._lock:
            self._failing_targets[target_device_or_platform_key] = reason

    def created_at(self, job_name: str) -> datetime:
        """When SageMaker accepted the job (on the backend's clock)."""
        with self._lock:
            return self._created[job_name]

    def describe_count(self, job_name: str) -> int:
        with self._lock:
            return self._describes.get(job_name, 0)

    def check_create(self, body: dict[str, Any]) -> None:
        output = body.get("OutputConfig") or {}
        if bool(output.get("TargetDevice")) == bool(output.get("TargetPlatform")):
            raise validation_error("Exactly one of TargetDevice or TargetPlatform must be specified.")
        platform = output.get("TargetPlatform") or {}
        if platform.get("Accelerator") == "NVIDIA" and not output.get("CompilerOptions"):
            raise validation_error("CompilerOptions are required for the NVIDIA accelerator.")
        if bool(body.get("InputConfig")) == bool(body.get("ModelPackageVersionArn")):
            raise validation_error("Exactly one of InputConfig or ModelPackageVersionArn must be specified.")
        if body.get("InputConfig"):
            self._check_input_config(body["InputConfig"], output)

    @staticmethod
    def _check_input_config(config: dict[str, Any], output: dict[str, Any]) -> None:
        framework = str(config.get("Framework", ""))
        if config.get("FrameworkVersion") and framework not in FRAMEWORKS_WITH_VERSION:
            raise validation_error(
                f"FrameworkVersion is not supported for framework {framework}; it is supported for "
                "MXNet, PyTorch, TensorFlow and TensorFlow Lite."
            )
        if config.get("DataInputConfig"):
            return
        if framework in FRAMEWORKS_REQUIRING_DATA_INPUT:
            raise validation_error(f"DataInputConfig is required for framework {framework}.")
        if framework == "PYTORCH":
            major = str(config.get("FrameworkVersion") or "").split(".", maxsplit=1)[0]
            cloud = cloud_instance_device(str(output.get("TargetDevice") or "")) is not None
            if not major.isdigit() or int(major) < 2 or not cloud:
                raise validation_error(
                    "DataInputConfig is required for framework PYTORCH unless FrameworkVersion is 2.0 or "
                    "later and the target is a cloud instance."
                )

    def check_quota(self, job_name: str, jobs: list[Any]) -> None:
        """ResourceLimitExceeded ("You have exceeded an SageMaker resource limit", SageMaker API
        Reference, CreateCompilationJob, Errors) when the jobs that have not ended already fill the
        account's quota. A name already taken is left to the ResourceInUse answer."""
        quota = self.concurrent_quota
        if quota is None:
            return
        with self._lock:
            if any(job.compilation_job_name == job_name for job in jobs):
                return
            # Only the jobs not yet seen ended are looked at (a job that ended stays ended): a burst of
            # creates does not walk every job the account ever ran.
            known = {job.compilation_job_name: job for job in jobs}
            for name in list(self._open):
                job = known.get(name)
                key = target_key(job.output_config or {}) if job is not None else ""
                if job is None or self.current_status(name, key, False)[0] in TERMINAL_COMPILATION:
                    self._open.discard(name)
            running = len(self._open)
            if running >= quota:
                self.refused_for_quota += 1
                # The wording follows SageMaker's account-level limit messages; AWS does not document
                # it for compilation jobs (docs/FIDELITY.md).
                raise AwsError(
                    "ResourceLimitExceeded",
                    f"The account-level service limit '{QUOTA_NAME}' is {quota} Jobs, with current "
                    f"utilization of {running} Jobs and a request delta of 1 Jobs. Please use AWS Service "
                    "Quotas to request an increase for this quota.",
                )

    def created(self, job_name: str, request: dict[str, Any]) -> None:
        """Record a job SageMaker accepted: its MaxRuntimeInSeconds bounds its compile time."""
        with self._lock:
            self._created[job_name] = self.clock.now()
            self._open.add(job_name)
            limit = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
            if limit is not None:
                self._limits[job_name] = int(limit)

    def fail(self, job_name: str, reason: str) -> None:
        """The job ends FAILED with `reason` (its artifact could not be written, say)."""
        with self._lock:
            self._ended[job_name] = ("FAILED", reason)

    def stop(self, job_name: str, key: str) -> None:
        """StopCompilationJob: Stopping, then Stopped; a job that has ended cannot be stopped."""
        with self._lock:
            status, _ = self.current_status(job_name, key, advance=False)
            if status in TERMINAL_COMPILATION:
                raise validation_error(
                    f"The compilation job {job_name} is in status {status} and cannot be stopped."
                )
            self._stopping.setdefault(job_name, self.clock.now())

    def _resolve(self, job_name: str, key: str) -> _Script:
        if job_name in self._scripts:
            return self._scripts[job_name]
        if key in self._failing_targets:
            walk = [s for s in self.default_script if s not in TERMINAL_COMPILATION] + ["FAILED"]
            return _Script(walk, self._failing_targets[key])
        return _Script(list(self.default_script))

    def current_status(self, job_name: str, key: str, advance: bool) -> tuple[str, str | None]:
        with self._lock:
            if job_name in self._ended:
                return self._ended[job_name]
            if advance:
                self._describes[job_name] = self._describes.get(job_name, 0) + 1
            if job_name in self._stopping:
                # Stopping takes a while (the job gets SIGTERM, then ends): STOPPED a step later.
                if self._elapsed(self._stopping[job_name]) < SCRIPT_STEP_SECONDS:
                    return "STOPPING", None
                self._ended[job_name] = ("STOPPED", None)
                return self._ended[job_name]
            script = self._resolve(job_name, key)
            step = int(self._elapsed(self._created.get(job_name)) // SCRIPT_STEP_SECONDS)
            status = script.statuses[min(step, len(script.statuses) - 1)]
            reason = script.failure_reason or "ClientError: compilation failed (scripted)"
            timed = self.compile_seconds is not None and job_name not in self._scripts
            if timed:
                status = self._timed_status(job_name, key)
            if not timed and "INPROGRESS" in script.statuses:
                # Compiling since the minute its script first says so.
                first = script.statuses.index("INPROGRESS") * SCRIPT_STEP_SECONDS
                created = self._created.get(job_name, self.clock.now())
                self._compiling_since.setdefault(job_name, created + timedelta(seconds=first))
            # A job still compiling when its limit has passed fails with TimeOut, as in AWS.
            if status not in TERMINAL_COMPILATION and self._past_limit(job_name):
                self._ended[job_name] = ("FAILED", TIMEOUT_REASON.format(self._limits[job_name]))
                return self._ended[job_name]
            return status, reason if status == "FAILED" else None

    def _elapsed(self, since: datetime | None) -> float:
        return 0.0 if since is None else (self.clock.now() - since).total_seconds()

    def _timed_status(self, job_name: str, key: str) -> str:
        """INPROGRESS from the job's creation until `compile_seconds` have passed; a compile longer
        than the job's MaxRuntimeInSeconds stays INPROGRESS until that limit fails it (TimeOut)."""
        created = self._created.get(job_name, self.clock.now())
        self._compiling_since.setdefault(job_name, created)
        seconds = self.compile_seconds or 0
        limit = self._limits.get(job_name)
        if (self.clock.now() - created).total_seconds() < seconds or (limit is not None and seconds > limit):
            return "INPROGRESS"
        return "FAILED" if key in self._failing_targets else "COMPLETED"

    def _past_limit(self, job_name: str) -> bool:
        """Compile time (since the job first reported INPROGRESS) beyond its MaxRuntimeInSeconds."""
        since = self._compiling_since.get(job_name)
        limit = self._limits.get(job_name)
        return since is not None and limit is not None and (self.clock.now() - since).total_seconds() > limit

    def inference_image(self, key: str, framework: str | None, framework_version: str | None) -> str | None:
        device = cloud_instance_device(key)
        if device is None:
            return None  # Neo names a serving image for cloud instance targets only
        account = NEO_IMAGE_REGISTRIES.get(self.region)
        if account is None:
            return None  # no Neo image published in this region (docs/FIDELITY.md, silences)
        registry = f"{account}.dkr.ecr.{self.region}.amazonaws.com"
        fw = (framework or "PYTORCH").upper()
        if fw == "XGBOOST":
            return f"{registry}/xgboost-neo:latest"
        # The repositories and versions are the functions' one table (Inference Container Images).
        repo, default_version = neo_repository(fw) or neo_repository("PYTORCH") or ("", "")
        if device.startswith(("inf", "trn")):
            repo, kind = repo.replace("sagemaker-inference-", "sagemaker-neo-"), "inf"
        elif device.startswith(("p", "g")):
            kind = "gpu"
        else:
            kind = "cpu"
        version = ".".join((framework_version or default_version).split(".")[:2])
        return f"{registry}/{repo}:{version}-{kind}-py3"

    def summaries(self, jobs: list[Any], body: dict[str, Any]) -> dict[str, Any]:
        """ListCompilationJobs answered from the same status walk DescribeCompilationJob answers
        (without advancing it): NameContains, StatusEquals, by creation time (newest first unless
        SortOrder is Ascending), NextToken as an offset."""
        contains = body.get("NameContains")
        wanted = body.get("StatusEquals")
        newest_first = body.get("SortOrder") != "Ascending"
        found = []
        ordered = sorted(jobs, key=lambda j: (j.creation_time, j.compilation_job_name), reverse=newest_first)
        for job in ordered:
            if contains and contains not in job.compilation_job_name:
                continue
            key = target_key(job.output_config or {})
            status, _ = self.current_status(job.compilation_job_name, key, advance=False)
            if wanted and status != wanted:
                continue
            summary = {k: v for k, v in _job_summary(job).items() if v is not None}
            summary["CompilationJobStatus"] = status
            if status not in TERMINAL_COMPILATION:
                summary.pop("CompilationEndTime", None)
            found.append(summary)
        start = int(body.get("NextToken") or 0)
        end = start + int(body.get("MaxResults") or LIST_PAGE_SIZE)
        page: dict[str, Any] = {"CompilationJobSummaries": found[start:end]}
        if end < len(found):
            page["NextToken"] = str(end)
        return page

    def describe(self, job: Any, framework: str | None, framework_version: str | None) -> dict[str, Any]:
        out: dict[str, Any] = copy.deepcopy(job.describe())
        key = target_key(out.get("OutputConfig") or {})
        status, reason = self.current_status(job.compilation_job_name, key, advance=True)
        now = self.clock.naive_utc()
        out["CompilationJobStatus"] = status
        out["LastModifiedTime"] = now
        if status == "STARTING":
            out.pop("CompilationStartTime", None)
        if status in TERMINAL_COMPILATION:
            out["CompilationEndTime"] = now
        else:
            out.pop("CompilationEndTime", None)
        out["FailureReason"] = reason or ""
        out["ModelArtifacts"] = {
            "S3ModelArtifacts": artifact_uri(out.get("OutputConfig"), out.get("InputConfig"))
        }
        image = self.inference_image(key, framework, framework_version) if status == "COMPLETED" else None
        if image:
            out["InferenceImage"] = image
        else:
            out.pop("InferenceImage", None)
        return {k: v for k, v in out.items() if v is not None}


def artifact_uri(output_config: Any, input_config: Any) -> str:
    """Where a job's compiled artifact goes: under its S3OutputLocation, named after its input."""
    location = str((output_config or {}).get("S3OutputLocation", "")).rstrip("/")
    source = str((input_config or {}).get("S3Uri") or "model.tar.gz")
    stem = posixpath.basename(source).removesuffix(".tar.gz") or "model"
    return f"{location}/{stem}-{target_key(output_config or {})}.tar.gz"


def _job_summary(job: Any) -> dict[str, Any]:
    """CompilationJobSummary (SageMaker API Reference): moto's fails on a TargetPlatform without an
    Accelerator, which is optional."""
    output = job.output_config or {}
    platform = output.get("TargetPlatform") or {}
    return {
        "CompilationJobName": job.compilation_job_name,
        "CompilationJobArn": job.arn,
        "CreationTime": job.creation_time,
        "CompilationStartTime": job.compilation_start_time,
        "CompilationEndTime": job.compilation_end_time,
        "LastModifiedTime": job.last_modified_time,
        "CompilationTargetDevice": output.get("TargetDevice"),
        "CompilationTargetPlatformOs": platform.get("Os"),
        "CompilationTargetPlatformArch": platform.get("Arch"),
        "CompilationTargetPlatformAccelerator": platform.get("Accelerator"),
    }


def check_compilable(account_id: str, region: str, package_arn: str) -> None:
    """Refuse to compile a version Neo cannot compile from its ARN: Neo's input is one model, "a
    single gzip compressed tar archive (.tar.gz suffix)" (InputConfig.S3Uri). AWS does not document
    its answer for an inference pipeline, a Marketplace container or an uncompressed ModelDataSource;
    the layer answers ValidationException so a local run fails where AWS could not compile
    (docs/FIDELITY.md, silences)."""
    try:
        package = ModelPackages.find(account_id, region, package_arn)
    except AwsError:
        return  # moto answers for versions it does not know
    containers = (package.inference_specification or {}).get("Containers") or []
    if len(containers) > 1:
        raise validation_error(
            f"Model package {package_arn} has {len(containers)} containers; "
            "a compilation job compiles one model."
        )
    for container in containers:
        if container.get("ProductId"):
            raise validation_error(f"Model package {package_arn} is an AWS Marketplace model package.")
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        if not container.get("ModelDataUrl") and source and source.get("CompressionType") != "Gzip":
            raise validation_error(
                f"Model package {package_arn} has uncompressed model data; the input must be a single "
                "gzip compressed tar archive (.tar.gz suffix)."
            )


def compilation_framework(job: Any, account_id: str, region: str) -> tuple[str | None, str | None]:
    """Framework and version of a job's input, read from its model package where it names one."""
    config = job.input_config or {}
    if config.get("Framework"):
        return config.get("Framework"), config.get("FrameworkVersion")
    if job.model_package_version_arn:
        try:
            package = ModelPackages.find(account_id, region, job.model_package_version_arn)
        except AwsError:
            return None, None
        containers = (package.inference_specification or {}).get("Containers") or [{}]
        return containers[0].get("Framework"), containers[0].get("FrameworkVersion")
    return None, None
