#!/usr/bin/env python3
"""Independent check of issue 27: does the project's compile watcher resume every branch of the
synthesized compile workflow on an emulator whose Step Functions stores a string Body the way AWS
does (as its JSON text)?

What runs
- LocalStack (community, host mode, no Docker), S3 + Step Functions (v2 engine), on 127.0.0.1 only,
  started and stopped by this script (or an already running one with --endpoint).
- The compile state machine exactly as the project synthesizes it, with only what LocalStack
  community cannot serve replaced by Pass states: the Lambda tasks (PlanCompilations: passes the
  plan given as the execution input through; AttachCompiled: keeps its Parameters and ResultPath, so
  the output shows what Attach would receive) and the SageMaker CreateCompilationJob tasks (ResultPath
  null, as synthesized). AwaitCompilationJob (s3:putObject.waitForTaskToken) is kept byte for byte;
  the script asserts that.
- One execution with one Map branch per target. Once every branch has written its wait object, the
  stored objects are recorded (bytes, ContentLength, ETag, metadata) and ONE round of the project's
  own watcher runs (`usecases.compile_watch.watch` with `default_ports`, i.e. the project's S3 and
  Step Functions adapters and its boto3 client factory, pointed at LocalStack with AWS_ENDPOINT_URL),
  with only the SageMaker side faked: every job is reported COMPLETED.
- Checked: every SendTaskSuccess succeeded, the execution resumed and SUCCEEDED, every branch
  reported COMPLETED, Attach's input validates as the project's AttachInput, no wait object is left.
- If the execution is still waiting after the round, a CONTROL step (the harness's own code, not the
  project's) sends SendTaskSuccess with the JSON-decoded stored body, to show whether the emulator
  accepts the decoded token; its result is reported separately and never makes the check pass.

Pinned LocalStack (its own virtualenv, Python 3.13: localstack-core 4.14.0 does not import on 3.11,
`threading.Lock | None` in localstack/packages/api.py):
    python3.13 -m venv ls-venv
    ls-venv/bin/pip install 'localstack-core[runtime]==4.14.0' 'cbor2==5.9.0' \
        'pyOpenSSL==25.3.0' 'cryptography==46.0.7' 'localstack-twisted==25.5.0'
  (cbor2 6.x has no cbor2._decoder, pyOpenSSL 26.x no X509.add_extensions, localstack-twisted 26.x
  needs service_identity: each breaks 4.14.0 at start.) GATEWAY_SERVER=hypercorn because the
  twisted gateway of 4.14.0 ignores the host of GATEWAY_LISTEN and binds 0.0.0.0.

The script itself runs in the project's Python environment (requirements.txt: pydantic, powertools,
boto3; plus aws-cdk-lib and Node.js when it synthesizes, i.e. without --template):
    python run_independent.py --repo CLONE --localstack-python ls-venv/bin/python [--template T.json]
Exit status 0: every branch resumed by the project's watcher; 1: not; 2: the harness could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
AWAIT_STATE = "AwaitCompilationJob"
WAIT_RESOURCE = "arn:aws:states:::aws-sdk:s3:putObject.waitForTaskToken"


# ----------------------------------------------------------------------------------------- LocalStack


class LocalStack:
    """LocalStack in host mode, in its own process group, listening on 127.0.0.1 only."""

    def __init__(self, python: str, port: int, workdir: Path) -> None:
        self.python, self.port, self.workdir = python, port, workdir
        self.log_path = workdir / "localstack.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
        env.update(
            GATEWAY_SERVER="hypercorn",  # binds the host given; 4.14.0's twisted gateway binds 0.0.0.0
            GATEWAY_LISTEN=f"127.0.0.1:{self.port}",
            SERVICES="s3,stepfunctions,sts",  # sts: the aws-sdk integration assumes the role
            EAGER_SERVICE_LOADING="1",
            FILESYSTEM_ROOT=str(self.workdir / "filesystem"),
            LOCALSTACK_VOLUME_DIR=str(self.workdir / "volume"),
            DNS_ADDRESS="0",  # no DNS server
            SKIP_SSL_CERT_DOWNLOAD="1",
            DISABLE_EVENTS="1",  # no analytics
            DEBUG="1",
        )
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "localstack.runtime.main"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"LocalStack exited ({self.process.returncode}); see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            health = health_of(self.endpoint)
            if health and all(
                health["services"].get(s) in ("running", "available") for s in ("s3", "stepfunctions", "sts")
            ):
                return
            time.sleep(1)
        raise RuntimeError(f"LocalStack not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: only what this script started
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def health_of(endpoint: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except OSError:
        return None


# --------------------------------------------------------------------------- the synthesized definition


def local_bucket_name(logical_id: str) -> str:
    """As the project's synth module names a bucket locally: logical id without the hash."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id).lower()[:63]


def resolve(value: Any, resources: dict[str, Any]) -> Any:
    """CDK's intrinsic functions in a definition, resolved to local, deterministic values."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(resolve(part, resources)) for part in parts)
        if name == "Fn::GetAtt":
            logical_id, attribute = argument
            kind = resources.get(logical_id, {}).get("Type", "")
            if kind == "AWS::Lambda::Function" and attribute == "Arn":
                return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"
            if kind == "AWS::IAM::Role" and attribute == "Arn":
                return f"arn:aws:iam::{ACCOUNT}:role/{logical_id[:64]}"
            return f"arn:aws:local:{REGION}:{ACCOUNT}:{logical_id}/{attribute}"
        if name == "Ref":
            if resources.get(argument, {}).get("Type") == "AWS::S3::Bucket":
                return local_bucket_name(argument)
            return {
                "AWS::Partition": "aws",
                "AWS::Region": REGION,
                "AWS::AccountId": ACCOUNT,
                "AWS::URLSuffix": "amazonaws.com",
            }.get(argument, argument)
    if isinstance(value, dict):
        return {key: resolve(item, resources) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, resources) for item in value]
    return value


def compile_definition(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(logical id, ASL) of the state machine whose Map branch has AwaitCompilationJob."""
    resources = template["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        definition = json.loads(resolve(resource["Properties"]["DefinitionString"], resources))
        if find_map(definition) is not None:
            return logical_id, definition
    raise SystemExit(f"no state machine with a Map holding {AWAIT_STATE} in the template")


def find_map(definition: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for name, state in definition["States"].items():
        if state["Type"] == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            if AWAIT_STATE in processor.get("States", {}):
                return name, state
    return None


PASS_KEYS = {
    "Type",
    "Comment",
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "ResultPath",
    "Parameters",
    "Result",
}


def stubbed(definition: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The definition with Lambda and SageMaker tasks as Pass states; every other state untouched."""
    result = copy.deepcopy(definition)
    replaced: list[str] = []

    def walk(states: dict[str, Any]) -> None:
        for name, state in list(states.items()):
            if state["Type"] == "Map":
                walk((state.get("ItemProcessor") or state.get("Iterator"))["States"])
            if state["Type"] != "Task" or name == AWAIT_STATE:
                continue
            resource = state.get("Resource", "")
            if ":lambda:" in resource or resource.endswith(":states:::lambda:invoke"):
                kept = {k: v for k, v in state.items() if k in PASS_KEYS}
                if "ResultPath" not in state:
                    kept.pop("Parameters", None)  # e.g. Plan: its output replaces the data: pass through
                states[name] = kept | {"Type": "Pass", "Comment": f"harness stub of {resource}"}
            elif ":states:::aws-sdk:sagemaker:" in resource:
                kept = {k: v for k, v in state.items() if k in PASS_KEYS and k != "Parameters"}
                states[name] = kept | {"Type": "Pass", "Comment": f"harness stub of {resource}"}
            else:
                continue
            replaced.append(f"{name} ({resource})")

    walk(result["States"])
    return result, replaced


def await_state(definition: dict[str, Any]) -> dict[str, Any]:
    found = find_map(definition)
    assert found is not None
    processor: dict[str, Any] = found[1].get("ItemProcessor") or found[1].get("Iterator") or {}
    state: dict[str, Any] = processor["States"][AWAIT_STATE]
    return state


# ------------------------------------------------------------------------------------ the plan (input)


def plan_input(config: Any, bucket: str, now: datetime) -> tuple[dict[str, Any], str, int]:
    """A PlanResult as the project's Plan step returns it, for the first group with Neo targets, built
    with the project's own models and job naming."""
    from registry_autopilot.logic import naming
    from registry_autopilot.models.workflow import CompileTarget, PlanResult

    group_name, group = next((n, g) for n, g in config.groups.items() if g.neo_targets)
    version = 3
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group_name}/{version}"
    deadline = (now + timedelta(minutes=config.compile_timeout_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    targets = []
    for index, target in enumerate(group.neo_targets):
        job_name = naming.compilation_job_name(group_name, version, target)
        request: dict[str, Any] = {
            "CompilationJobName": job_name,
            "OutputConfig": {
                "S3OutputLocation": naming.compiled_location(bucket, group_name, version, target.name)
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 900},
            "Tags": [{"Key": "autopilot:group", "Value": group_name}],
        }
        uses_input_config = index == len(group.neo_targets) - 1  # both CreateCompilationJob paths run
        if uses_input_config:
            request["InputConfig"] = {"S3Uri": f"s3://{bucket}/model.tar.gz", "Framework": "XGBOOST"}
        else:
            request["ModelPackageVersionArn"] = arn
        targets.append(
            CompileTarget(
                target=target.name,
                spec_name=f"{naming.SPEC_PREFIX}{target.name}",
                job_name=job_name,
                deadline=deadline,
                uses_input_config=uses_input_config,
                request=request,
            )
        )
    plan = PlanResult(
        model_package_arn=arn,
        group=group_name,
        version=version,
        has_work=True,
        targets=targets,
        approval_status_at_start="PendingManualApproval",
        needs_decision=True,
    )
    return plan.model_dump(mode="json"), arn, len(targets)


# ------------------------------------------------------------------------------------------ the check


class CompletedJobs:
    """The SageMaker side (not in LocalStack community): every job has ended COMPLETED."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        self.calls: list[str] = []

    def in_flight(self, name_contains: str) -> dict[str, str]:
        self.calls.append(f"in_flight({name_contains})")
        return {}

    def end(self, job_name: str) -> Any:
        from registry_autopilot.logic.compile_watch import JobEnd

        self.calls.append(f"end({job_name})")
        return JobEnd(
            status="COMPLETED",
            artifact=f"s3://{self.bucket}/compiled/{job_name}/model.tar.gz",
            image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/xgboost-neo:latest",
        )

    def stop(self, job_name: str) -> None:
        self.calls.append(f"stop({job_name})")
        raise AssertionError("the harness's jobs have all ended: nothing to stop")


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def states_entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def scheduled_tokens(events: list[dict[str, Any]]) -> list[str]:
    """The task tokens Step Functions put in the S3 calls' Body (TaskScheduled parameters)."""
    tokens = []
    for event in events:
        details = event.get("taskScheduledEventDetails")
        if details and "putObject" in details.get("resource", ""):
            tokens.append(json.loads(details["parameters"]).get("Body"))
    return tokens


def wait_objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def stored(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    response = s3.get_object(Bucket=bucket, Key=key)
    body: bytes = response["Body"].read()
    etag = response["ETag"]
    return {
        "key": key,
        "body_bytes": body.decode("latin-1"),
        "body_first_last_bytes_hex": [body[:1].hex(), body[-1:].hex()],
        "body_is_json_string": _is_json_string(body),
        "ContentLength": response["ContentLength"],
        "len(body)": len(body),
        "ETag": etag,
        "ETag_is_md5_of_body": etag.strip('"') == hashlib.md5(body).hexdigest(),
        "ContentType": response.get("ContentType"),
        "Metadata": response.get("Metadata"),
    }


def _is_json_string(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), str)
    except ValueError:
        return False


def wait_for(predicate: Any, timeout: float, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def _synth_module() -> Any:
    """The clone's synth module: autopilot.embedded.synth, or autopilot.synth before the package split."""
    import importlib

    try:
        return importlib.import_module("autopilot.embedded.synth")
    except ImportError:
        return importlib.import_module("autopilot.synth")


def run_check(args: argparse.Namespace, endpoint: str, report: dict[str, Any]) -> bool:  # noqa: PLR0915 (one scripted scenario, read top to bottom)
    repo = Path(args.repo).resolve()
    sys.path[:0] = [str(repo / "functions"), str(repo)]
    # The project's own client factory (adapters/clients.py) reads these: every AWS call it makes goes
    # to LocalStack. Set before the project creates a client.
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    import boto3

    from registry_autopilot.adapters import clients
    from registry_autopilot.logic import naming
    from registry_autopilot.models.workflow import AttachInput
    from registry_autopilot.settings import Settings
    from registry_autopilot.usecases import compile_watch

    report["repo_head"] = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True, check=False
    ).stdout.strip()

    # The configuration the template was synthesized for (the e2e tests' one), else cdk.json's.
    try:
        from tests.compile_fixtures import make_config

        config = make_config()
        report["config"] = "tests.compile_fixtures.make_config()"
    except ImportError:
        config = _synth_module().shipped_config()
        report["config"] = "cdk.json (shipped_config())"

    if args.template:
        template = json.loads(Path(args.template).read_text())
        report["template"] = str(args.template)
    else:
        os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
        os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
        template = _synth_module().synthesize_template(config)
        report["template"] = f"synthesized in-process from {repo} (synthesize_template)"
    logical_id, definition = compile_definition(template)
    original_await = await_state(definition)
    local_definition, replaced = stubbed(definition)
    assert await_state(local_definition) == original_await, "AwaitCompilationJob must run as synthesized"
    bucket = original_await["Parameters"]["Bucket"]
    report["state_machine"] = logical_id
    report["replaced_by_pass"] = replaced
    report["await_state_as_synthesized"] = original_await

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name=REGION)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    machine = sfn.create_state_machine(
        name=f"indep-compile-{int(time.time())}",
        definition=json.dumps(local_definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/StatesRole",
    )["stateMachineArn"]

    now = datetime.now(UTC)
    plan, _arn, branches = plan_input(config, bucket, now)
    execution_name = f"indep-{now.strftime('%Y%m%dT%H%M%S')}"
    execution = sfn.start_execution(stateMachineArn=machine, name=execution_name, input=json.dumps(plan))[
        "executionArn"
    ]
    report["execution"] = {"name": execution_name, "arn": execution, "branches": branches}
    prefix = naming.COMPILE_WAITS_PREFIX

    def all_waiting() -> Any:
        keys = wait_objects(s3, bucket, prefix)
        if len(keys) >= branches:
            return keys
        return sfn.describe_execution(executionArn=execution)["status"] != "RUNNING"  # ended: stop waiting

    wait_for(all_waiting, 60)
    keys = wait_objects(s3, bucket, prefix)
    if len(keys) < branches:
        status = sfn.describe_execution(executionArn=execution)
        events = history(sfn, execution)
        report["error"] = f"{len(keys)} of {branches} wait objects; execution {status['status']}"
        report["states_entered"] = states_entered(events)
        report["failures"] = [  # the first few
            {"type": e["type"]} | next(v for k, v in e.items() if k.endswith("EventDetails"))
            for e in events
            if e["type"].endswith(("Failed", "TimedOut", "Aborted"))
            and any(k.endswith("EventDetails") for k in e)
        ][:4]
        report["output"] = status.get("output")
        return False
    objects = [stored(s3, bucket, key) for key in sorted(keys)]
    tokens = scheduled_tokens(history(sfn, execution))
    for item in objects:
        body = item["body_bytes"].encode("latin-1")
        item["body_equals_token"] = body.decode() in tokens
        item["body_equals_json_dumps_token"] = any(body.decode() == json.dumps(t) for t in tokens)
    report["wait_objects"] = objects

    # ---- one round of the project's watcher: its default ports, with the SageMaker side faked
    clients.reset_clients()
    sent: list[dict[str, Any]] = []

    def record(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        error = parsed.get("Error")
        sent.append(
            {"http_status": http_response.status_code}
            | ({"error": error.get("Code"), "message": error.get("Message")} if error else {"ok": True})
        )

    clients.client("stepfunctions").meta.events.register("after-call.states.SendTaskSuccess", record)
    settings = Settings(
        notification_topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:registry-autopilot-notifications",
        artifacts_bucket=bucket,
        region=REGION,
        config_file=Path("autopilot_config.json"),
        config=config,
    )
    jobs = CompletedJobs(bucket)
    ports = dataclasses.replace(compile_watch.default_ports(settings), jobs=jobs)  # type: ignore[arg-type]
    try:
        result = compile_watch.watch(ports, settings, now=datetime.now(UTC))
        report["watch_round"] = result.as_dict()
    except Exception as exc:  # a failed round raises after handling every wait
        report["watch_round"] = {"raised": f"{type(exc).__name__}: {exc}"}
    report["send_task_success_calls"] = sent
    report["fake_sagemaker_calls"] = jobs.calls

    def ended() -> Any:
        status = sfn.describe_execution(executionArn=execution)
        return status if status["status"] != "RUNNING" else None

    final = wait_for(ended, args.resume_timeout) or sfn.describe_execution(executionArn=execution)
    events = history(sfn, execution)
    report["after_watcher"] = {
        "execution_status": final["status"],
        "states_entered": states_entered(events),
        "wait_objects_left": wait_objects(s3, bucket, prefix),
    }
    passed = bool(
        final["status"] == "SUCCEEDED"
        and len(sent) == branches
        and all(call.get("ok") for call in sent)
        and not report["after_watcher"]["wait_objects_left"]
    )
    if final["status"] == "SUCCEEDED":
        output = json.loads(final["output"])
        report["after_watcher"]["results"] = output.get("results")
        try:
            AttachInput.model_validate(output["attach"])
            report["after_watcher"]["attach_input_valid"] = True
        except Exception as exc:
            report["after_watcher"]["attach_input_valid"] = f"{type(exc).__name__}: {exc}"
            passed = False
        passed = passed and all(r.get("status") == "COMPLETED" for r in output.get("results", []))
    elif final["status"] == "RUNNING":
        report["control"] = control(sfn, objects, execution, args.resume_timeout)
        with contextlib.suppress(Exception):
            sfn.stop_execution(executionArn=execution, cause="harness: ended after the check")
    report["passed"] = passed
    return passed


def control(sfn: Any, objects: list[dict[str, Any]], execution: str, timeout: float) -> dict[str, Any]:
    """The harness's own SendTaskSuccess with the JSON-decoded stored body (not the project's code)."""
    calls = []
    for item in objects:
        body = item["body_bytes"].encode("latin-1")
        token = json.loads(body) if item["body_is_json_string"] else body.decode()
        try:
            sfn.send_task_success(taskToken=token, output=json.dumps({"control": True}))
            calls.append({"key": item["key"], "ok": True})
        except Exception as exc:
            calls.append(
                {
                    "key": item["key"],
                    "error": getattr(exc, "response", {}).get("Error", {}).get("Code", str(exc)),
                }
            )
    final = wait_for(
        lambda: (s := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and s, timeout
    ) or sfn.describe_execution(executionArn=execution)
    return {
        "note": "harness's own SendTaskSuccess with json.loads(stored body); not the project's watcher",
        "calls": calls,
        "execution_status": final["status"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repo", required=True, help="a checkout of the project (its functions/ are imported)"
    )
    parser.add_argument("--template", help="a synthesized template JSON (default: synthesize from --repo)")
    parser.add_argument(
        "--localstack-python", help="python of the LocalStack virtualenv (starts and stops it)"
    )
    parser.add_argument("--endpoint", help="an already running LocalStack instead (not stopped)")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--workdir", help="LocalStack's files and log (default: a temporary folder)")
    parser.add_argument("--resume-timeout", type=float, default=30.0)
    parser.add_argument("--json-out", help="write the report here too")
    args = parser.parse_args()
    if not (args.localstack_python or args.endpoint):
        parser.error("--localstack-python or --endpoint")

    report: dict[str, Any] = {"started": datetime.now(UTC).isoformat()}
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="indep-localstack-"))
    workdir.mkdir(parents=True, exist_ok=True)
    localstack = None if args.endpoint else LocalStack(args.localstack_python, args.port, workdir)
    code = 2
    try:
        if localstack is not None:
            localstack.start()
            report["localstack_log"] = str(localstack.log_path)
        endpoint = args.endpoint or localstack.endpoint  # type: ignore[union-attr]
        health = health_of(endpoint) or {}
        report["localstack"] = {
            "endpoint": endpoint,
            "version": health.get("version"),
            "edition": health.get("edition"),
        }
        code = 0 if run_check(args, endpoint, report) else 1
    except Exception as exc:
        report["harness_error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if localstack is not None:
            localstack.stop()
            report["localstack_stopped"] = (
                localstack.process is not None and localstack.process.poll() is not None
            )
        text = json.dumps(report, indent=2, default=str)
        if args.json_out:
            Path(args.json_out).write_text(text + "\n")
        print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
