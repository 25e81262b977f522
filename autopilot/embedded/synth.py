"""Synthesize the real stack in-process and read the deployed wiring out of the template.

Local runs use these artifacts (the rules' event patterns, the state machine definitions, the
functions' handler strings) so they exercise what `cdk deploy` ships, not a copy of it.
Synthesis needs no AWS account; the Lambda dependency layer is replaced by an empty staged folder,
because local runs import the dependencies from the virtualenv.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import CONTEXT_KEY, ConfigError, load_config, merge_context
from infra.quiet import quiet_cdk_environment
from registry_autopilot.models.config import AutopilotConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = REPO_ROOT / "cdk.json"  # the user's configuration
LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"


@dataclass(frozen=True)
class RuleTarget:
    logical_id: str  # the target resource (state machine or function)
    kind: str  # "state-machine" | "function" | "other"


@dataclass(frozen=True)
class EventRule:
    logical_id: str
    pattern: dict[str, Any]
    targets: tuple[RuleTarget, ...]
    schedule: str | None = None

    @property
    def name(self) -> str:
        """The logical id without CDK's 8-character hash suffix: stable across code changes."""
        return re.sub(r"[0-9A-F]{8}$", "", self.logical_id)


@dataclass
class SynthesizedApp:
    config: AutopilotConfig
    template: dict[str, Any]
    rules: list[EventRule] = field(default_factory=list)
    state_machines: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> ASL
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> handler string
    outputs: dict[str, Any] = field(default_factory=dict)  # output id -> value, resolved locally
    # One companion stack per other account the configuration names: (account, stack name, template)
    # (docs/ACCOUNTS.md); none for a single-account configuration.
    companions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def compile_role_arn(self) -> str:
        """The role Neo compiles with: the configured one, or the stack's own (a local ARN)."""
        return str(self.outputs["CompileRoleArn"])

    @property
    def experiment_role_arn(self) -> str | None:
        value = self.outputs.get("ExperimentRoleArn")
        return None if value is None else str(value)

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{logical_id}"

    def handler_for_arn(self, arn: str) -> str:
        """The handler string of a function referenced by its (local) ARN or logical id."""
        logical_id = arn.rsplit(":function:", maxsplit=1)[-1].split(":", maxsplit=1)[0]
        return self.functions[logical_id]


def cdk_json_context() -> dict[str, Any]:
    """Everything `cdk synth` would read from cdk.json: the configuration and the feature flags.
    A cdk.json that cannot be read is a ConfigError naming what is wrong with it."""
    try:
        raw = json.loads(CDK_JSON.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {CDK_JSON.name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ConfigError("not JSON this tool can read: nested too deeply") from None
    context = raw.get("context") if isinstance(raw, dict) else None
    if not isinstance(context, dict):
        raise ConfigError("'context': expected a JSON object holding the 'autopilot' configuration")
    return context


_SHIPPED: dict[tuple[str, int, int], AutopilotConfig] = {}


def shipped_config(overrides: dict[str, Any] | None = None) -> AutopilotConfig:
    """The configuration in cdk.json, with `autopilot`/`autopilot.<key>` overrides applied. Without
    overrides it is read and validated once per process while cdk.json stays the same (a copy each
    call, so a caller's change stays its own)."""
    from autopilot.embedded.quiet import share_service_models

    share_service_models()  # the configuration's checks read the SageMaker model the backend reads too
    if overrides:
        return load_config(merge_context(cdk_json_context().get(CONTEXT_KEY), overrides))
    try:
        stat = CDK_JSON.stat()
        key: tuple[str, int, int] | None = (str(CDK_JSON), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    if key is not None and key in _SHIPPED:
        return _SHIPPED[key].model_copy(deep=True)
    config = load_config(merge_context(cdk_json_context().get(CONTEXT_KEY), {}))
    if key is not None:
        _SHIPPED.clear()
        _SHIPPED[key] = config.model_copy(deep=True)
    return config


@contextlib.contextmanager
def _captured_stderr() -> Iterator[None]:
    """Hold back what the CDK's Node.js process prints on stderr ("Bundling asset ...") and show
    it only when synthesis fails. The process writes to file descriptor 2, not to sys.stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def synthesize_template(config: AutopilotConfig) -> dict[str, Any]:
    """The stack's template exactly as `cdk synth` builds it (same app code, feature flags and
    cdk-nag checks), for `config`, with an empty staged dependency layer."""
    return synthesize_templates(config)[0]


def synthesize_templates(
    config: AutopilotConfig,
) -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    """The automation stack's template and each companion stack's (account, stack name, template)."""
    os.environ.update(quiet_cdk_environment())  # before aws_cdk starts its Node.js process
    # Imported here: aws_cdk starts a Node.js process, which only synthesis needs.
    from aws_cdk import App

    import app as app_module
    from infra.constants import DEPENDENCIES_DIR_CONTEXT_KEY

    with tempfile.TemporaryDirectory(prefix="autopilot-synth-") as staging:
        deps = Path(staging) / "deps"
        (deps / "python").mkdir(parents=True)
        context = cdk_json_context() | {
            CONTEXT_KEY: config.model_dump(mode="json", by_alias=True),
            DEPENDENCIES_DIR_CONTEXT_KEY: str(deps),
        }
        app = App(outdir=str(Path(staging) / "cdk.out"), context=context)
        with _captured_stderr():
            stack = app_module.build(app)
            assembly = app.synth()
        from infra.assembly import stack_templates

        listed = stack_templates(assembly, stack)
        companions = [(str(t.account), t.stack_name, t.template) for t in listed if not t.automation]
        return listed[0].template, companions


def local_role_arn(logical_id: str) -> str:
    """A role the stack creates, as a local run names it (IAM role names may be 64 characters)."""
    return f"arn:aws:iam::{LOCAL_ACCOUNT}:role/{logical_id[:64]}"


def role_arn_reference(template: dict[str, Any], value: Any) -> str | None:
    """The logical id of the stack's role when `value` is `{"Fn::GetAtt": [<role>, "Arn"]}`."""
    if not isinstance(value, dict) or list(value) != ["Fn::GetAtt"]:
        return None
    logical_id, attribute = value["Fn::GetAtt"]
    kind = template.get("Resources", {}).get(logical_id, {}).get("Type")
    return str(logical_id) if kind == "AWS::IAM::Role" and attribute == "Arn" else None


def local_bucket_name(logical_id: str) -> str:
    """A bucket's name on the local backend: its logical id without CDK's hash, in lower case (a
    valid bucket name), the same in the state machine's definition and in the functions' environment."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id).lower()[:63]


def _resolve(value: Any, resources: dict[str, Any], app: SynthesizedApp) -> Any:
    """Resolve the intrinsic functions CDK uses in definitions to local, deterministic values."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(str(_resolve(part, resources, app)) for part in parts)
        if name == "Fn::GetAtt":
            logical_id, attribute = argument
            kind = resources.get(logical_id, {}).get("Type", "")
            if kind == "AWS::Lambda::Function" and attribute == "Arn":
                return app.function_arn(logical_id)
            if kind == "AWS::IAM::Role" and attribute == "Arn":
                return local_role_arn(logical_id)
            return f"arn:aws:local:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{logical_id}/{attribute}"
        if name == "Ref" and resources.get(argument, {}).get("Type") == "AWS::S3::Bucket":
            return local_bucket_name(argument)
        if name == "Ref":
            return {
                "AWS::Partition": "aws",
                "AWS::Region": LOCAL_REGION,
                "AWS::AccountId": LOCAL_ACCOUNT,
                "AWS::URLSuffix": "amazonaws.com",
            }.get(argument, argument)
    if isinstance(value, dict):
        return {key: _resolve(item, resources, app) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, resources, app) for item in value]
    return value


def read_wiring(
    config: AutopilotConfig,
    template: dict[str, Any],
    companions: list[tuple[str, str, dict[str, Any]]] | None = None,
) -> SynthesizedApp:
    app = SynthesizedApp(config=config, template=template, companions=list(companions or []))
    resources: dict[str, Any] = template.get("Resources", {})
    app.outputs = {
        output_id: _resolve(output["Value"], resources, app)
        for output_id, output in template.get("Outputs", {}).items()
    }
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            app.functions[logical_id] = resource["Properties"]["Handler"]
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            definition = _resolve(properties["DefinitionString"], resources, app)
            app.state_machines[logical_id] = json.loads(definition)
        elif resource["Type"] == "AWS::Events::Rule":
            targets = []
            for target in properties.get("Targets", []):
                arn = target.get("Arn", {})
                target_id = (
                    arn.get("Ref") or (arn.get("Fn::GetAtt") or [""])[0] if isinstance(arn, dict) else ""
                )
                kind = resources.get(target_id, {}).get("Type", "")
                targets.append(
                    RuleTarget(
                        logical_id=target_id,
                        kind={
                            "AWS::StepFunctions::StateMachine": "state-machine",
                            "AWS::Lambda::Function": "function",
                        }.get(kind, "other"),
                    )
                )
            app.rules.append(
                EventRule(
                    logical_id=logical_id,
                    pattern=properties.get("EventPattern", {}),
                    targets=tuple(targets),
                    schedule=properties.get("ScheduleExpression"),
                )
            )
    return app


# What the template depends on besides the configuration: a change to any of these re-synthesizes.
_TEMPLATE_INPUTS = ("app.py", "cdk.json", "requirements.txt", "infra/**/*.py", "functions/**/*.py")
CACHE_DIR = REPO_ROOT / ".cache" / "synth"


# Within one process a file is read and hashed once while its size and modification time stay the
# same (a verb synthesizes, or asks for the wiring, several times); the key on disk stays the content.
_FILE_DIGESTS: dict[tuple[Path, int, int], bytes] = {}
# The parsed template of each fingerprint, read from .cache/synth/ once per process.
_TEMPLATES: dict[str, dict[str, Any]] = {}


def _file_digest(path: Path) -> bytes:
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_DIGESTS:
        _FILE_DIGESTS[key] = hashlib.sha256(path.read_bytes()).digest()
    return _FILE_DIGESTS[key]


def _fingerprint(config: AutopilotConfig) -> str:
    digest = hashlib.sha256(config.model_dump_json(by_alias=True).encode())
    for pattern in _TEMPLATE_INPUTS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            if "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode())
                digest.update(_file_digest(path))
    return digest.hexdigest()[:24]


def synthesize(config: AutopilotConfig | None = None, *, use_cache: bool = True) -> SynthesizedApp:
    """The synthesized wiring for `config` (default: cdk.json's). Synthesis takes seconds, so the
    templates are kept in .cache/synth/, keyed by the configuration and every file they depend on."""
    config = config or shipped_config()
    fingerprint = _fingerprint(config)
    cached = CACHE_DIR / f"{fingerprint}.templates.json"
    if use_cache and fingerprint not in _TEMPLATES and cached.exists():
        _TEMPLATES[fingerprint] = json.loads(cached.read_text())
    if use_cache and fingerprint in _TEMPLATES:
        kept = copy.deepcopy(_TEMPLATES[fingerprint])
        return read_wiring(config, kept["automation"], [tuple(c) for c in kept["companions"]])
    print("synthesizing the stack (kept in .cache/synth/ for the next run) ...", file=sys.stderr)
    template, companions = synthesize_templates(config)
    if use_cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: another process (a second test worker, a verb run meanwhile)
        # reads either no file or the whole of it, never a half-written one.
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"automation": template, "companions": companions}))
        temporary.replace(cached)
    return read_wiring(config, template, companions)
