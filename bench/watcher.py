"""One compile watcher round with many versions waiting: its AWS calls and its duration.

The round is the deployed code (`usecases.compile_watch.watch` with its real adapters) against the
embedded account: the waits are S3 objects as the workflow writes them (key
`compile-waits/<job>/<deadline>/<execution>`), the jobs are SageMaker compilation jobs created with
CreateCompilationJob and held INPROGRESS or COMPLETED by the backend's job scripts. Only Step
Functions is a counting stand-in: the embedded Step Functions holds no task waiting on these tokens,
so each SendTaskSuccess is counted as the one call it is on AWS.

The duration is modelled, not timed here: the round's calls one after another at the cost model's
round trip (`pricing.AWS_CALL_SECONDS`), against the function's timeout (one round, 60 s). The time
this machine took is reported beside it.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from autopilot.cost import pricing
from autopilot.embedded.backend import LocalBackend
from infra.config import WATCHER_ROUND_SECONDS
from registry_autopilot.adapters.compile_watch import CompilationJobs, CompileWaits
from registry_autopilot.logic import naming
from registry_autopilot.models.config import AutopilotConfig
from registry_autopilot.settings import Settings
from registry_autopilot.usecases import compile_watch

BUCKET = "autopilot-bench-artifacts"
ROLE = "arn:aws:iam::123456789012:role/Neo"
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:Compile:exec-{index:04d}"
# The sizes the issue asks for, and how many of the waiting jobs end in the measured round.
WAITING = (10, 100, 1_000)
ENDED_PER_ROUND = 10


@dataclass
class CountingCallbacks:
    """Step Functions' SendTaskSuccess, counted: every branch is still waiting, so each is resumed."""

    sent: int = 0

    def resume(self, token: str, output: dict[str, Any]) -> str:
        self.sent += 1
        return "resumed"

    def running(self, execution_arn: str) -> bool:
        return True


@dataclass(frozen=True)
class WatcherRound:
    waiting: int
    ended: int
    calls: Counter[str] = field(default_factory=Counter)
    seconds_here: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def modelled_seconds(self) -> float:
        return self.total * pricing.AWS_CALL_SECONDS

    @property
    def within_timeout(self) -> bool:
        return self.modelled_seconds < WATCHER_ROUND_SECONDS


def _settings(config: AutopilotConfig) -> Settings:
    return Settings(
        notification_topic_arn="arn:aws:sns:us-east-1:123456789012:autopilot",
        artifacts_bucket=BUCKET,
        region="us-east-1",
        config_file=Path("autopilot_config.json"),
        config=config,
    )


def _job_name(index: int) -> str:
    return f"{naming.JOB_PREFIX}team-{index:04d}-v1-ml-c5-1a2b3c4d"


def measure_round(waiting: int, ended: int, config: AutopilotConfig) -> WatcherRound:
    """`waiting` versions wait on their job; `ended` of those jobs have completed by this round."""
    deadline = START + timedelta(minutes=config.compile_timeout_minutes)
    stamp = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
    with LocalBackend(start_time=START) as backend:
        s3, sagemaker = backend.client("s3"), backend.client("sagemaker")
        # Set-up is not what is measured: its requests skip the service-model check (the round's do not).
        backend.validate_requests = False
        # An account whose quota on concurrent compilation jobs has been raised to hold them all.
        backend.compilation_jobs.concurrent_quota = None
        with backend.unrecorded():
            s3.create_bucket(Bucket=BUCKET)
            finished = set(range(0, waiting, max(1, waiting // ended))[:ended])
            for index in range(waiting):
                job = _job_name(index)
                script = ["COMPLETED"] if index in finished else ["INPROGRESS"]
                backend.compilation_jobs.script(job, script)
                sagemaker.create_compilation_job(
                    CompilationJobName=job,
                    RoleArn=ROLE,
                    InputConfig={"S3Uri": f"s3://{BUCKET}/models/{index}.tar.gz", "Framework": "XGBOOST"},
                    OutputConfig={"S3OutputLocation": f"s3://{BUCKET}/compiled/", "TargetDevice": "ml_c5"},
                    StoppingCondition={"MaxRuntimeInSeconds": 900},
                )
                s3.put_object(
                    Bucket=BUCKET,
                    Key=f"{naming.COMPILE_WAITS_PREFIX}{job}/{stamp}/exec-{index:04d}",
                    Body=json.dumps(f"token-{index}").encode(),
                    Metadata={
                        "target": "ml-c5",
                        "deadline": stamp,
                        "execution": EXECUTION.format(index=index),
                    },
                )
        backend.validate_requests = True
        backend.clock.advance(60)
        callbacks = CountingCallbacks()
        ports = compile_watch.WatchPorts(
            waits=CompileWaits(BUCKET, naming.COMPILE_WAITS_PREFIX, s3),
            jobs=CompilationJobs(sagemaker),
            callbacks=callbacks,  # type: ignore[arg-type]
        )
        backend.clear_records()
        started = time.perf_counter()
        compile_watch.watch(ports, _settings(config), now=backend.clock.now())
        seconds = time.perf_counter() - started
        calls = Counter(f"{call.service}:{call.operation}" for call in backend.calls)
    calls["stepfunctions:SendTaskSuccess"] += callbacks.sent
    return WatcherRound(waiting=waiting, ended=ended, calls=calls, seconds_here=seconds)


def measure_rounds(config: AutopilotConfig, sizes: tuple[int, ...] = WAITING) -> list[WatcherRound]:
    return [measure_round(size, min(ENDED_PER_ROUND, size), config) for size in sizes]
