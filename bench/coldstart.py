"""Cold starts, handler overhead and memory of each handler, in fresh processes (`make bench`, items 1,
2 and 7).

The code is staged as Lambda runs it (`stage`): the function asset and the dependency layer's
distributions, without bytecode, imported by an interpreter without site-packages. Each handler runs
with the environment the synthesized template gives it, traced as deployed (a UDP socket stands in for
the X-Ray daemon). `bench/handler_probe.py` does the measuring inside each process.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import pickle
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autopilot.cost.lifecycle import (
    HANDLERS,
    STREAM_KEY,
    Invocation,
    Lifecycle,
    function_of,
    handler_module,
    representative,
)
from autopilot.embedded.stack import EmbeddedStack
from autopilot.embedded.synth import REPO_ROOT, SynthesizedApp
from registry_autopilot.models.config import AutopilotConfig

# Fresh processes per module for the import times (the median is reported), and warm events per handler.
IMPORT_RUNS = 5
WARM_RUNS = 200
WARM_BATCHES = 2
# The probe of Attach reading the largest evaluation report it accepts.
LARGEST_REPORT = "attach, 5 MB report"
PROBE = Path(__file__).with_name("handler_probe.py")
LAMBDA_REQUIREMENTS = REPO_ROOT / "requirements-lambda.txt"
FUNCTIONS_PACKAGE = REPO_ROOT / "functions" / "registry_autopilot"
# A sampled X-Ray trace header, as Lambda sets it for each invocation of an actively traced function.
TRACE_HEADER = "Root=1-67a2b3c4-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"


@dataclass
class Staged:
    """The code as Lambda runs it: the function asset and the dependency layer, no bytecode."""

    root: Path
    asset: Path
    layer: Path
    probe: Path


def stage(root: Path, config: AutopilotConfig, package: Path = FUNCTIONS_PACKAGE) -> Staged:
    """Copy the asset (`registry_autopilot/` + `autopilot_config.json`, as the CDK bundler stages it) and
    the layer's distributions (requirements-lambda.txt, from this virtualenv, built for this machine's
    Python) without __pycache__: Lambda's /var/task and /opt are read-only and ship no bytecode, so every
    cold start compiles both from source, while the runtime's standard library has its bytecode."""
    from importlib import metadata

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    asset, layer = root / "asset", root / "layer"
    shutil.copytree(package, asset / package.name, ignore=ignore)
    (asset / "autopilot_config.json").write_text(config.model_dump_json(by_alias=True), encoding="utf-8")
    for line in LAMBDA_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].split("==", 1)[0].strip()
        if not name:
            continue
        distribution = metadata.distribution(name)
        for file in distribution.files or []:
            if "__pycache__" in file.parts or file.parts[0].startswith(".."):
                continue
            target = layer / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(str(distribution.locate_file(file))), target)
    probe = root / PROBE.name
    shutil.copyfile(PROBE, probe)
    return Staged(root=root, asset=asset, layer=layer, probe=probe)


def lambda_environments(app: SynthesizedApp, staged: Staged, xray_port: int) -> dict[str, dict[str, str]]:
    """Each handler's environment as Lambda gives it: the template's variables (references resolved on a
    local stack), the runtime's own, credentials, and active tracing with a sampled trace header."""
    environments: dict[str, dict[str, str]] = {}
    with EmbeddedStack(app) as stack:
        for handler in HANDLERS:
            logical_id = stack.function_for_handler(handler)
            env = stack.function_environment(logical_id)
            env.pop("POWERTOOLS_TRACE_DISABLED", None)  # traced, as deployed (TracingConfig Active)
            memory = app.template["Resources"][logical_id]["Properties"].get("MemorySize", 128)
            env.update(
                {
                    "AUTOPILOT_CONFIG_FILE": str(staged.asset / "autopilot_config.json"),
                    "AWS_DEFAULT_REGION": env["AWS_REGION"],
                    "AWS_LAMBDA_FUNCTION_NAME": logical_id,
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
                    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                    "LAMBDA_TASK_ROOT": str(staged.asset),
                    "AWS_ACCESS_KEY_ID": "ASIALOCALBENCHMARK00",
                    "AWS_SECRET_ACCESS_KEY": "local-benchmark-secret",
                    "AWS_SESSION_TOKEN": "local-benchmark-token",
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "_X_AMZN_TRACE_ID": TRACE_HEADER,
                    "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{xray_port}",
                    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LANG": "C.UTF-8",
                    "TZ": ":UTC",
                    "PYTHONPATH": f"{staged.asset}{os.pathsep}{staged.layer}",
                }
            )
            environments[handler] = env
    return environments


def probe(
    module: str,
    env: dict[str, str],
    staged: Staged,
    *,
    bytecode: bool,
    invocation: Path | None = None,
    warm_runs: int = 0,
) -> dict[str, Any]:
    """Run `bench/handler_probe.py` in a fresh interpreter without site-packages (-S): the staged
    asset and layer are all it can import, as in Lambda."""
    out = staged.root / "probe-result.json"
    args = [sys.executable, "-S", str(staged.probe), module, str(out)]
    if invocation is not None:
        args += [str(invocation), str(warm_runs)]
    env = dict(env)
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        args, env=env, cwd=staged.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe of {module} failed:\n{done.stderr.decode(errors='replace')[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


@dataclass
class ColdStarts:
    """Import times (seconds, one list per module, one value per fresh process), per bytecode mode."""

    imports: dict[bool, dict[str, list[float]]]
    probes: dict[str, dict[str, Any]]  # handler -> first event, peak RSS, warm timings
    memory_sizes: dict[str, int]

    def median_import(self, module: str, *, bytecode: bool) -> float:
        return statistics.median(self.imports[bytecode][module])

    def ratio(self, handler: str, *, bytecode: bool) -> float:
        """The median over rounds of the handler's import time over boto3's in the same round: a round
        imports boto3 and each handler back to back, so a slow spell of the machine cancels out."""
        times = self.imports[bytecode]
        pairs = zip(times[handler_module(handler)], times["boto3"], strict=True)
        return statistics.median(handler_time / boto3_time for handler_time, boto3_time in pairs)

    def warm(self, handler: str) -> list[float]:
        return list(self.probes[handler]["warm_seconds"])

    def peak_rss_mb(self, handler: str) -> float:
        return float(self.probes[handler]["peak_rss_kb"]) / 1024


def with_largest_report(invocation: Invocation) -> Invocation:
    """The attach invocation reading an evaluation report of the largest size Attach accepts
    (MAX_REPORT_BYTES), shaped like a statistics report: the memory size must hold it."""
    from registry_autopilot.adapters.reports import MAX_REPORT_BYTES

    larger = copy.deepcopy(invocation)
    for call in larger.calls:
        if call.method != "get_object" or call.response is None:
            continue
        report = json.loads(call.response["Body"][STREAM_KEY])
        record = {"name": "feature_00000", "mean": 0.5, "std": 0.25, "min": 0.0, "max": 1.0, "missing": 0}
        count = (MAX_REPORT_BYTES - len(json.dumps(report)) - 64) // (len(json.dumps(record)) + 2)
        report["features"] = [dict(record, name=f"feature_{i:05d}", mean=i / count) for i in range(count)]
        data = json.dumps(report).encode()
        while len(data) > MAX_REPORT_BYTES:  # the means' digits vary; trim to fit
            report["features"] = report["features"][:-100]
            data = json.dumps(report).encode()
        call.response = {**call.response, "Body": {STREAM_KEY: data}, "ContentLength": len(data)}
    return larger


def measure_cold_starts(
    app: SynthesizedApp,
    lifecycle: Lifecycle,
    *,
    package: Path = FUNCTIONS_PACKAGE,
    import_runs: int = IMPORT_RUNS,
    warm_runs: int = WARM_RUNS,
) -> ColdStarts:
    """Import times of each handler and of boto3 (as deployed, then with bytecode), and one probe per
    handler replaying its representative invocation from `lifecycle` (plus Attach with the largest
    report it accepts)."""
    with tempfile.TemporaryDirectory(prefix="autopilot-bench-") as tmp, _xray_sink() as port:
        staged = stage(Path(tmp), app.config, package)
        environments = lambda_environments(app, staged, port)
        as_deployed = _import_times(staged, environments, runs=import_runs, bytecode=False)
        cases = {h: (h, representative(lifecycle, h)) for h in HANDLERS}
        cases[LARGEST_REPORT] = ("attach", with_largest_report(representative(lifecycle, "attach")))
        for name, (_, recorded) in cases.items():
            (staged.root / f"{name}.invocation").write_bytes(pickle.dumps(recorded.stub_data()))
        probes: dict[str, dict[str, Any]] = {}
        # The warm events run in batches, round robin over the handlers, so that a slow spell of the
        # machine spreads over all of them; the first batch's process also gives the first event and
        # the peak RSS.
        for batch in range(WARM_BATCHES):
            for name, (handler, _) in cases.items():
                if batch and name not in HANDLERS:
                    continue
                result = probe(
                    handler_module(handler),
                    environments[handler],
                    staged,
                    bytecode=False,
                    invocation=staged.root / f"{name}.invocation",
                    warm_runs=warm_runs // WARM_BATCHES if name in HANDLERS else 0,
                )
                if batch == 0:
                    probes[name] = result
                else:
                    for key in ("warm_seconds", "warm_sdk_seconds"):
                        probes[name][key] += result[key]
        # Imports from bytecode take a third of the time: twice the runs steady the median.
        with_bytecode = _import_times(staged, environments, runs=2 * import_runs, bytecode=True)
    memory = {
        handler: int(
            app.template["Resources"][function_of(app, handler)]["Properties"].get("MemorySize", 128)
        )
        for handler in HANDLERS
    }
    return ColdStarts(imports={False: as_deployed, True: with_bytecode}, probes=probes, memory_sizes=memory)


def _import_times(
    staged: Staged, environments: dict[str, dict[str, str]], *, runs: int, bytecode: bool
) -> dict[str, list[float]]:
    """`runs` rounds of one fresh process per module (boto3, then each handler), after a round that
    is not counted."""
    env_of = {"boto3": environments[HANDLERS[0]], **{handler_module(h): environments[h] for h in HANDLERS}}
    for module, env in env_of.items():  # a round not counted: reads the files in (and writes bytecode)
        probe(module, env, staged, bytecode=bytecode)
    times: dict[str, list[float]] = {module: [] for module in env_of}
    for _ in range(runs):
        for module, env in env_of.items():
            times[module].append(float(probe(module, env, staged, bytecode=bytecode)["import_seconds"]))
    return times


@contextlib.contextmanager
def _xray_sink() -> Iterator[int]:
    """A UDP port standing in for the X-Ray daemon: traced functions send their segments to it."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    try:
        yield int(sink.getsockname()[1])
    finally:
        sink.close()
