"""Inference experiments (shadow tests), which moto does not implement.

Rules, each from the SageMaker API Reference:
- Statuses Creating, Created, Updating, Starting, Running, Stopping, Completed, Cancelled
  (API_DescribeInferenceExperiment.html).
- No schedule: the experiment starts at creation and ends after 7 days; a schedule lasts at most
  30 days (API_CreateInferenceExperiment.html, API_InferenceExperimentSchedule.html).
- ``ResourceInUse`` for a name already used; ``ResourceLimitExceeded`` past the account limit
  (API_CreateInferenceExperiment.html, Errors).
- UpdateInferenceExperiment only in Created or Running; Created may change StartTime and EndTime,
  Running only EndTime (API_UpdateInferenceExperiment.html); ``ModelVariants`` there describe
  infrastructure, so a variant's model stays the one it was created with.
- StopInferenceExperiment maps every variant to Promote|Remove|Retain; DesiredState Completed|Cancelled
  (API_StopInferenceExperiment.html).
- Shadow-test exclusions (Developer Guide, "Shadow tests" > "Exclusions", shadow-tests-exclusions.html):
  "If your endpoint uses any of the following features you cannot use shadow tests on your endpoint,
  and your request to setup shadow tests will lead to validation errors": serverless inference,
  asynchronous inference, Marketplace containers, multiple-containers endpoints, multi-model endpoints,
  Inf1 instances, Elastic Inference. CreateInferenceExperiment answers ``ValidationException`` for each,
  and for an endpoint with more than one production variant ("For an endpoint with a shadow variant,
  there can be a maximum of one production variant", shadow-tests-create.html).
- Promote (Developer Guide, "Complete a shadow test" > "Promote a shadow variant"): "This removes your
  current production variant from production and replaces it with your shadow variant." When a stop
  that promotes ends, the endpoint gets a new endpoint config whose only production variant is the
  shadow variant's model with the capacity given in ``DesiredModelVariants``.

Where the documentation is silent (docs/FIDELITY.md), the strict reading: Promote only for the shadow
variant, only with the production variant ``Remove`` and ``DesiredModelVariants`` naming the promoted
variant with its own model, never with ``DesiredState: Cancelled``; ``Remove`` of the production variant
only when the shadow is promoted; ``DesiredModelVariants`` never names a removed variant. A shadow
variant ``Retain``ed is not reflected in the local endpoint config (moto keeps no shadow variants).

Automatic transitions follow ``backend.clock``: Creating -> Created ``create_seconds`` after creation,
Created -> Running at StartTime (Starting is passed through at once), Running -> Completed at EndTime,
Updating -> the previous status after ``update_seconds``, Stopping -> the desired state after
``stop_seconds``. ``advance(name, status)`` forces a status.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from autopilot.embedded.backend._clock import Clock
from autopilot.embedded.backend._wire import AwsError, validation_error
from autopilot.embedded.backend.api_model import endpoint_instance_types, enum
from registry_autopilot.models.shadow import TERMINAL_STATUSES

# InferenceExperimentStatus, from the API model; the two an experiment ends in, from the functions' one
# table (models/shadow.py, compared with the model in tests/unit/functions/test_api_model_literals.py).
STATUSES = enum("InferenceExperimentStatus")
TERMINAL = TERMINAL_STATUSES
DEFAULT_DURATION = timedelta(days=7)
MAX_DURATION = timedelta(days=30)
EXPERIMENT_ARN_MARKER = ":inference-experiment/"


def _time(value: Any) -> datetime:
    # The JSON protocol carries timestamps as epoch seconds.
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


def excluded(what: str) -> AwsError:
    """A shadow-test exclusion: "your request to setup shadow tests will lead to validation errors"."""
    return validation_error(f"{what}: shadow tests do not support it.")


def not_found(name: str) -> AwsError:
    return AwsError("ResourceNotFound", f"Inference experiment {name} does not exist.")


@dataclass
class Experiment:
    name: str
    arn: str
    request: dict[str, Any]
    status: str
    creation_time: datetime
    last_modified_time: datetime
    start_time: datetime
    end_time: datetime
    tags: list[dict[str, str]] = field(default_factory=list)
    status_reason: str | None = None
    completion_time: datetime | None = None
    status_since: datetime | None = None
    resume_status: str | None = None  # where Updating returns to
    desired_state: str | None = None  # where Stopping ends

    @property
    def variant_names(self) -> list[str]:
        return [v["VariantName"] for v in self.request["ModelVariants"]]

    @property
    def shadow_variant(self) -> str:
        return str(self.request["ShadowModeConfig"]["ShadowModelVariants"][0]["ShadowModelVariantName"])


def check_stop_actions(
    exp: Experiment, actions: dict[str, str], body: dict[str, Any]
) -> list[dict[str, Any]]:
    """The combinations of ModelVariantActions and DesiredModelVariants the module docstring lists."""
    source = exp.request["ShadowModeConfig"]["SourceModelVariantName"]
    promoted = [v for v, action in actions.items() if action == "Promote"]
    if any(v != exp.shadow_variant for v in promoted):
        raise validation_error("Only the shadow variant can be promoted.")
    desired: list[dict[str, Any]] = copy.deepcopy(body.get("DesiredModelVariants") or [])
    if promoted:
        if actions.get(source) != "Remove":
            raise validation_error(
                f"Promoting {exp.shadow_variant} replaces the production variant: {source} must be Remove."
            )
        if body.get("DesiredState") == "Cancelled":
            raise validation_error("A cancelled inference experiment cannot promote its shadow variant.")
        if exp.shadow_variant not in {item["VariantName"] for item in desired}:
            raise validation_error(
                f"DesiredModelVariants must give the promoted variant {exp.shadow_variant} its capacity."
            )
    elif actions.get(source) == "Remove":
        raise validation_error(
            f"Removing the production variant {source} needs the shadow variant promoted in its place."
        )
    models = {v["VariantName"]: v["ModelName"] for v in exp.request["ModelVariants"]}
    names = [item["VariantName"] for item in desired]
    if len(set(names)) != len(names):
        raise validation_error("DesiredModelVariants names a variant more than once.")
    for item in desired:
        name = item["VariantName"]
        if name not in models:
            raise validation_error(f"DesiredModelVariants names {name}, which is not in the experiment.")
        if actions.get(name) == "Remove":
            raise validation_error(f"DesiredModelVariants names {name}, whose action is Remove.")
        if item["ModelName"] != models[name]:
            raise validation_error(
                f"DesiredModelVariants gives {name} the model {item['ModelName']}; its model is "
                f"{models[name]}."
            )
    return desired


@dataclass
class InferenceExperiments:
    clock: Clock
    region: str
    account_id: str
    create_seconds: float = 60.0
    update_seconds: float = 30.0
    stop_seconds: float = 60.0
    max_active: int | None = None
    check_resources: bool = True  # endpoint and models must exist, as in AWS
    _items: dict[str, Experiment] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- clock-driven transitions -------------------------------------------------------------
    def _set(self, exp: Experiment, status: str, at: datetime) -> None:
        exp.status = status
        exp.status_since = at
        exp.last_modified_time = at
        if status in TERMINAL and exp.completion_time is None:
            exp.completion_time = at

    def _tick(self, exp: Experiment) -> None:
        now = self.clock.now()
        for _ in range(len(STATUSES)):
            since = exp.status_since or exp.creation_time
            if exp.status == "Creating" and now >= since + timedelta(seconds=self.create_seconds):
                self._set(exp, "Created", since + timedelta(seconds=self.create_seconds))
            elif exp.status in ("Created", "Starting") and now >= exp.start_time:
                self._set(exp, "Running", max(exp.start_time, since))
            elif exp.status == "Running" and now >= exp.end_time:
                self._set(exp, "Completed", exp.end_time)
            elif exp.status == "Updating" and now >= since + timedelta(seconds=self.update_seconds):
                self._set(exp, exp.resume_status or "Created", since + timedelta(seconds=self.update_seconds))
            elif exp.status == "Stopping" and now >= since + timedelta(seconds=self.stop_seconds):
                self._set(exp, exp.desired_state or "Completed", since + timedelta(seconds=self.stop_seconds))
                self._apply_stop(exp, since + timedelta(seconds=self.stop_seconds))
            else:
                return

    def _get(self, name: str) -> Experiment:
        exp = self._items.get(name)
        if exp is None:
            raise not_found(name)
        self._tick(exp)
        return exp

    def advance(self, name: str, to_status: str) -> None:
        """Force an experiment into ``to_status`` (for tests and the demo)."""
        if to_status not in STATUSES:
            raise ValueError(f"unknown status {to_status!r}; expected one of {STATUSES}")
        with self._lock:
            exp = self._get(name)
            if to_status == "Updating":
                exp.resume_status = exp.status
            if to_status == "Stopping":
                exp.desired_state = exp.desired_state or "Completed"
            self._set(exp, to_status, self.clock.now())

    def get(self, name: str) -> Experiment:
        """The experiment's local record (its request as last updated, stop actions, times)."""
        with self._lock:
            return self._get(name)

    def stop_actions(self, name: str) -> dict[str, str] | None:
        """The ModelVariantActions the experiment was stopped with; None while not stopped."""
        with self._lock:
            actions = self._get(name).request.get("StopActions")
            return dict(actions) if actions is not None else None

    def status(self, name: str) -> str:
        with self._lock:
            return self._get(name).status

    def names(self) -> list[str]:
        with self._lock:
            return list(self._items)

    # -- operations -----------------------------------------------------------------------------
    def _check_schedule(self, start: datetime, end: datetime) -> None:
        if end <= start:
            raise validation_error("Schedule EndTime must be later than StartTime.")
        if end - start > MAX_DURATION:
            raise validation_error("The maximum duration of an inference experiment is 30 days.")

    def _check_variants(self, request: dict[str, Any]) -> None:
        names = [v["VariantName"] for v in request["ModelVariants"]]
        if len(set(names)) != len(names):
            raise validation_error("ModelVariants must have unique VariantName values.")
        shadow_cfg = request["ShadowModeConfig"]
        source = shadow_cfg["SourceModelVariantName"]
        shadows = shadow_cfg["ShadowModelVariants"]
        if len(shadows) != 1:
            raise validation_error("ShadowModeConfig must contain exactly one shadow model variant.")
        shadow = shadows[0]["ShadowModelVariantName"]
        for role, variant in (("SourceModelVariantName", source), ("ShadowModelVariantName", shadow)):
            if variant not in names:
                raise validation_error(f"{role} {variant} is not one of the ModelVariants.")
        if source == shadow:
            raise validation_error("The shadow variant must differ from the source variant.")

    def _check_resources(self, request: dict[str, Any]) -> dict[str, Any]:
        from autopilot.embedded.backend._sagemaker import sagemaker_backend

        backend = sagemaker_backend(self.account_id, self.region)
        endpoint = backend.endpoints.get(request["EndpointName"])
        if self.check_resources:
            if endpoint is None:
                raise validation_error(f'Could not find endpoint "{request["EndpointName"]}".')
            for variant in request["ModelVariants"]:
                if variant["ModelName"] not in backend._models:
                    raise validation_error(f'Could not find model "{variant["ModelName"]}".')
            shadow_cfg = request.get("ShadowModeConfig")
            config = backend.endpoint_configs.get(getattr(endpoint, "endpoint_config_name", ""))
            if shadow_cfg and config is not None:
                # The source (production) variant must be one the endpoint serves.
                served = {v.get("VariantName") for v in config.production_variants}
                if shadow_cfg["SourceModelVariantName"] not in served:
                    raise validation_error(
                        f"SourceModelVariantName {shadow_cfg['SourceModelVariantName']} is not a production "
                        f"variant of endpoint {request['EndpointName']}."
                    )
        return {
            "EndpointName": request["EndpointName"],
            "EndpointConfigName": getattr(endpoint, "endpoint_config_name", None),
            "EndpointStatus": getattr(endpoint, "endpoint_status", "InService"),
        }

    def _check_eligible(self, request: dict[str, Any]) -> None:
        """The shadow-test exclusions (module docstring): what the endpoint's config, its models and
        the variants' models show."""
        from autopilot.embedded.backend._sagemaker import sagemaker_backend

        backend = sagemaker_backend(self.account_id, self.region)
        endpoint = backend.endpoints.get(request["EndpointName"])
        config = backend.endpoint_configs.get(getattr(endpoint, "endpoint_config_name", ""))
        if endpoint is None or config is None:
            return
        name = request["EndpointName"]
        if config.async_inference_config:
            raise excluded(f"Endpoint {name} uses asynchronous inference")
        if len(config.production_variants) > 1:
            raise validation_error(
                f"Endpoint {name} has {len(config.production_variants)} production variants; an endpoint "
                "with a shadow variant can have at most one."
            )
        models = {variant.get("ModelName") for variant in config.production_variants}
        for variant in config.production_variants:
            if variant.get("ServerlessConfig"):
                raise excluded(f"Endpoint {name} uses serverless inference")
            if variant.get("InstanceType") in endpoint_instance_types("inf1"):
                raise excluded(f"Endpoint {name} uses Inf1 instances")
            if variant.get("AcceleratorType"):
                raise excluded(f"Endpoint {name} uses Elastic Inference")
        for variant in request["ModelVariants"]:
            realtime = (variant.get("InfrastructureConfig") or {}).get("RealTimeInferenceConfig") or {}
            if realtime.get("InstanceType") in endpoint_instance_types("inf1"):
                raise excluded(f"Variant {variant['VariantName']} uses Inf1 instances")
            models.add(variant["ModelName"])
        for model_name in sorted(m for m in models if m):
            self._check_model(backend, model_name)

    def _check_model(self, backend: Any, model_name: str) -> None:
        model = backend._models.get(model_name)
        if model is None:
            return
        containers = list(model.containers or []) or (
            [model.primary_container] if model.primary_container else []
        )
        if len(containers) > 1:
            raise excluded(f"Model {model_name} has multiple containers (multi-container endpoint)")
        for container in containers:
            if container.get("Mode") == "MultiModel":
                raise excluded(f"Model {model_name} is a multi-model model (multi-model endpoint)")
            package = container.get("ModelPackageName")
            if package:
                self._check_package(package, container.get("InferenceSpecificationName"), model_name)

    def _check_package(self, package_name: str, spec_name: str | None, model_name: str) -> None:
        from autopilot.embedded.backend._sagemaker import ModelPackages

        try:
            package = ModelPackages.find(self.account_id, self.region, package_name)
        except AwsError:
            return
        spec = package.inference_specification or {}
        for extra in package.additional_inference_specifications or []:
            if extra.get("Name") == spec_name:
                spec = extra
        containers = spec.get("Containers") or []
        if len(containers) > 1:
            raise excluded(f"Model {model_name} has multiple containers (multi-container endpoint)")
        if any(container.get("ProductId") for container in containers):
            raise excluded(f"Model {model_name} uses an AWS Marketplace container")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            name = body["Name"]
            if name in self._items:
                raise AwsError("ResourceInUse", f"Inference experiment {name} already exists.")
            for other in self._items.values():
                self._tick(other)
            active = [e for e in self._items.values() if e.status not in TERMINAL]
            if self.max_active is not None and len(active) >= self.max_active:
                raise AwsError(
                    "ResourceLimitExceeded",
                    f"The account-level limit of {self.max_active} active inference experiments is reached.",
                )
            self._check_variants(body)
            self._check_resources(body)
            if self.check_resources:
                self._check_eligible(body)
            now = self.clock.now()
            schedule = body.get("Schedule") or {}
            start = _time(schedule["StartTime"]) if "StartTime" in schedule else now
            end = _time(schedule["EndTime"]) if "EndTime" in schedule else start + DEFAULT_DURATION
            self._check_schedule(start, end)
            arn = f"arn:aws:sagemaker:{self.region}:{self.account_id}:inference-experiment/{name.lower()}"
            exp = Experiment(
                name=name,
                arn=arn,
                request=copy.deepcopy(body),
                status="Creating",
                creation_time=now,
                last_modified_time=now,
                start_time=start,
                end_time=end,
                tags=list(body.get("Tags") or []),
                status_since=now,
            )
            self._items[name] = exp
            return {"InferenceExperimentArn": arn}

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._get(body["Name"])
            request = exp.request
            variant_status = "Deleted" if exp.status in TERMINAL else "InService"
            out: dict[str, Any] = {
                "Arn": exp.arn,
                "Name": exp.name,
                "Type": request["Type"],
                "Schedule": {"StartTime": exp.start_time, "EndTime": exp.end_time},
                "Status": exp.status,
                "StatusReason": exp.status_reason,
                "Description": request.get("Description"),
                "CreationTime": exp.creation_time,
                "CompletionTime": exp.completion_time,
                "LastModifiedTime": exp.last_modified_time,
                "RoleArn": request.get("RoleArn"),
                "EndpointMetadata": self._check_resources_quiet(request),
                "ModelVariants": [
                    {**copy.deepcopy(v), "Status": variant_status} for v in request["ModelVariants"]
                ],
                "DataStorageConfig": request.get("DataStorageConfig"),
                "ShadowModeConfig": request["ShadowModeConfig"],
                "KmsKey": request.get("KmsKey"),
            }
            return {k: v for k, v in out.items() if v is not None}

    def _check_resources_quiet(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            metadata = self._check_resources({**request, "ModelVariants": []})
        except AwsError:
            metadata = {"EndpointName": request["EndpointName"]}
        return {k: v for k, v in metadata.items() if v is not None}

    def list(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            for exp in self._items.values():
                self._tick(exp)
            items = list(self._items.values())
            if body.get("NameContains"):
                items = [e for e in items if body["NameContains"] in e.name]
            if body.get("Type"):
                items = [e for e in items if e.request["Type"] == body["Type"]]
            if body.get("StatusEquals"):
                items = [e for e in items if e.status == body["StatusEquals"]]
            for member, attr, newer in (
                ("CreationTimeAfter", "creation_time", True),
                ("CreationTimeBefore", "creation_time", False),
                ("LastModifiedTimeAfter", "last_modified_time", True),
                ("LastModifiedTimeBefore", "last_modified_time", False),
            ):
                if member in body:
                    bound = _time(body[member])
                    items = [e for e in items if (getattr(e, attr) > bound) == newer]
            sort_by = body.get("SortBy", "CreationTime")
            keys = {"Name": lambda e: e.name, "Status": lambda e: e.status}
            items.sort(key=keys.get(sort_by, lambda e: e.creation_time))
            if body.get("SortOrder", "Descending") == "Descending":
                items.reverse()
            start = int(body.get("NextToken") or 0)
            size = int(body.get("MaxResults") or 100)
            page = items[start : start + size]
            out: dict[str, Any] = {
                "InferenceExperiments": [
                    {
                        k: v
                        for k, v in {
                            "Name": e.name,
                            "Type": e.request["Type"],
                            "Schedule": {"StartTime": e.start_time, "EndTime": e.end_time},
                            "Status": e.status,
                            "StatusReason": e.status_reason,
                            "Description": e.request.get("Description"),
                            "CreationTime": e.creation_time,
                            "CompletionTime": e.completion_time,
                            "LastModifiedTime": e.last_modified_time,
                            "RoleArn": e.request.get("RoleArn"),
                        }.items()
                        if v is not None
                    }
                    for e in page
                ]
            }
            if start + size < len(items):
                out["NextToken"] = str(start + size)
            return out

    def update(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._get(body["Name"])
            if exp.status not in ("Created", "Running"):
                raise AwsError(
                    "ConflictException",
                    f"Inference experiment {exp.name} is {exp.status}; it can be updated only when "
                    "Created or Running.",
                )
            start, end = exp.start_time, exp.end_time
            if "Schedule" in body:
                schedule = body["Schedule"]
                if "StartTime" in schedule:
                    new_start = _time(schedule["StartTime"])
                    if exp.status == "Running" and new_start != exp.start_time:
                        raise validation_error(
                            "The StartTime of a Running inference experiment cannot be changed."
                        )
                    start = new_start
                if "EndTime" in schedule:
                    end = _time(schedule["EndTime"])
                self._check_schedule(start, end)
            request = copy.deepcopy(exp.request)
            if "ModelVariants" in body:
                current = {v["VariantName"]: v for v in request["ModelVariants"]}
                for variant in body["ModelVariants"]:
                    old = current.get(variant["VariantName"])
                    if old is None:
                        raise validation_error(f"Variant {variant['VariantName']} is not in the experiment.")
                    if variant["ModelName"] != old["ModelName"]:
                        raise validation_error(
                            f"The model of variant {variant['VariantName']} cannot be changed; create a "
                            "new inference experiment instead."
                        )
                    old["InfrastructureConfig"] = copy.deepcopy(variant["InfrastructureConfig"])
            if "ShadowModeConfig" in body:
                new_cfg = body["ShadowModeConfig"]
                old_cfg = request["ShadowModeConfig"]
                old_shadow = old_cfg["ShadowModelVariants"][0]["ShadowModelVariantName"]
                if new_cfg["SourceModelVariantName"] != old_cfg["SourceModelVariantName"] or any(
                    s["ShadowModelVariantName"] != old_shadow for s in new_cfg["ShadowModelVariants"]
                ):
                    raise validation_error("The source and shadow variants of an experiment cannot change.")
                request["ShadowModeConfig"] = copy.deepcopy(new_cfg)
            for member in ("Description", "DataStorageConfig"):
                if member in body:
                    request[member] = copy.deepcopy(body[member])
            exp.request = request
            exp.start_time, exp.end_time = start, end
            exp.resume_status = exp.status
            self._set(exp, "Updating", self.clock.now())
            return {"InferenceExperimentArn": exp.arn}

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._get(body["Name"])
            if exp.status != "Created":
                raise AwsError(
                    "ConflictException", f"Inference experiment {exp.name} is {exp.status}, not Created."
                )
            now = self.clock.now()
            exp.start_time = now
            self._set(exp, "Starting", now)
            self._tick(exp)
            return {"InferenceExperimentArn": exp.arn}

    def stop(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._get(body["Name"])
            if exp.status not in ("Created", "Starting", "Running", "Updating"):
                raise AwsError(
                    "ConflictException",
                    f"Inference experiment {exp.name} is {exp.status} and cannot be stopped.",
                )
            actions: dict[str, str] = body["ModelVariantActions"]
            unknown = sorted(set(actions) - set(exp.variant_names))
            if unknown:
                raise validation_error(f"ModelVariantActions names unknown variants: {', '.join(unknown)}.")
            missing = sorted(set(exp.variant_names) - set(actions))
            if missing:
                raise validation_error(f"ModelVariantActions needs an action for: {', '.join(missing)}.")
            desired = check_stop_actions(exp, actions, body)
            exp.desired_state = body.get("DesiredState", "Completed")
            exp.status_reason = body.get("Reason")
            exp.request["StopActions"] = dict(actions)
            exp.request["StopDesiredModelVariants"] = desired
            self._set(exp, "Stopping", self.clock.now())
            return {"InferenceExperimentArn": exp.arn}

    def _apply_stop(self, exp: Experiment, at: datetime) -> None:
        """What a stop leaves on the endpoint: with a promotion, the shadow variant's model replaces the
        production variant, with the capacity DesiredModelVariants gave it (a new endpoint config)."""
        actions: dict[str, str] = exp.request.get("StopActions") or {}
        desired = {item["VariantName"]: item for item in exp.request.get("StopDesiredModelVariants") or []}
        if "Promote" not in actions.values():
            return
        from autopilot.embedded.backend._sagemaker import sagemaker_backend

        backend = sagemaker_backend(self.account_id, self.region)
        endpoint = backend.endpoints.get(exp.request["EndpointName"])
        if endpoint is None:
            return
        old = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        variants = []
        for variant in exp.request["ModelVariants"]:
            name = variant["VariantName"]
            if actions.get(name) != "Promote":
                continue  # a promotion needs the production variant Removed (check_stop_actions)
            infra = (desired.get(name) or variant)["InfrastructureConfig"]["RealTimeInferenceConfig"]
            variants.append(
                {
                    "VariantName": name,
                    "ModelName": variant["ModelName"],
                    "InstanceType": infra["InstanceType"],
                    "InitialInstanceCount": int(infra["InstanceCount"]),
                    "InitialVariantWeight": 1.0,
                }
            )
        config_name = f"{exp.name[:50].rstrip('-')}-promoted"
        if config_name in backend.endpoint_configs:
            return
        backend.create_endpoint_config(
            endpoint_config_name=config_name,
            production_variants=variants,
            data_capture_config=getattr(old, "data_capture_config", None) or {},
            async_inference_config={},
            tags=[],
            kms_key_id=getattr(old, "kms_key_id", None),
        )
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(variants)
        endpoint.last_modified_time = at

    # -- tags ---------------------------------------------------------------------------------------
    def _by_arn(self, arn: str) -> Experiment:
        for exp in self._items.values():
            if exp.arn == arn:
                return exp
        raise AwsError("ValidationException", f"Resource {arn} does not exist.")

    def add_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._by_arn(body["ResourceArn"])
            new = {t["Key"]: t for t in body["Tags"]}
            exp.tags = [t for t in exp.tags if t["Key"] not in new] + list(new.values())
            return {"Tags": exp.tags}

    def list_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"Tags": list(self._by_arn(body["ResourceArn"]).tags)}

    def delete_tags(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            exp = self._by_arn(body["ResourceArn"])
            exp.tags = [t for t in exp.tags if t["Key"] not in set(body["TagKeys"])]
            return {}
