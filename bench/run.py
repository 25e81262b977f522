"""`make bench`: what one model version costs Registry Autopilot, measured on the local stack.

Every figure comes from the synthesized stack and the real handlers (docs/PERFORMANCE.md explains each
one and its goal):

1. handler overhead per event, AWS answered by botocore's Stubber (`bench/handler_probe.py`);
2. cold start: each handler module's import in a fresh process, against a bare `import boto3`;
3. AWS calls and writes per version over the whole lifecycle, per function;
4. state transitions per version, from the local executions' history;
5. cost per version (`autopilot/cost/pricing.py`), from 3, 4, 1 and the template's memory sizes;
6. `replay` throughput, and the largest burst of writers a 10 TPS UpdateModelPackage limit absorbs;
7. peak RSS of each handler after a cold start and one event, against its memory size.

The lifecycle (3, 4) also records each handler's event and the answers AWS gave it, so the probes of
1, 2 and 7 replay exactly the calls the lifecycle made, with no moto in the measured process.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from autopilot.cost import pricing
from autopilot.cost.lifecycle import (
    HANDLERS,
    LAG_STEP_SECONDS,
    SCHEDULED,
    AttachLag,
    Lifecycle,
    compile_to_attach_lags,
    function_of,
    handler_module,
    outer_states,
    representative,
    run_lifecycle,
)
from autopilot.embedded.synth import REPO_ROOT, SynthesizedApp, synthesize
from bench.bursts import (
    BURST_INVOCATIONS,
    BURST_SEED,
    WRITE_LIMIT_PER_SECOND,
    Burst,
    largest_burst,
    simulate_burst,
    task_retry,
)
from bench.cli import GOALS as CLI_GOALS
from bench.cli import CliTimes, measure_cli
from bench.coldstart import IMPORT_RUNS, LARGEST_REPORT, WARM_RUNS, ColdStarts, measure_cold_starts
from bench.inflight import VersionsInFlight, minimum_drain, run_versions_in_flight
from bench.scale import FLAT_WITHIN, FixedAtScale, VersionAtVolume, cost_by_volume, fixed_by_groups
from bench.watcher import WatcherRound, measure_rounds
from infra.config import WATCHER_ROUND_SECONDS

REPLAY_EVENTS = 1_000
# Versions in flight (bench/inflight.py): the burst, on an account whose quota on concurrent
# compilation jobs lets 3,000 jobs of 5 minutes drain within compileTimeoutMinutes (120), which needs
# at least 3,000 x 5 / 120 = 125; 500 drains it in about half an hour (the embedded account's default
# is 10, docs/FIDELITY.md; every refusal is states the local interpreter runs, minutes of this run).
IN_FLIGHT_VERSIONS = 1_000
IN_FLIGHT_GROUPS = 300
IN_FLIGHT_QUOTA = 500
IN_FLIGHT_COMPILE = 300
# States a quota refusal costs: QuotaWaits (Choice), the wait's Pass, QuotaBeforeDeadline (Choice),
# QuotaWait (Wait) and the create again (infra/constructs/compile_workflow.py, _wait_for_quota).
QUOTA_WAIT_TRANSITIONS = 5


# -- 6: replay throughput -------------------------------------------------------------------------
@dataclass
class Throughput:
    events: int  # queued from the sample files
    deliveries: int  # including the state changes our writes caused
    caused: int  # deliveries of state changes our own writes caused
    seconds: float
    outcomes: Counter[str]
    bounded: bool  # replay stopped at its bound of deliveries with events still queued

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds


def measure_replay(events: int = REPLAY_EVENTS, seed: int = BURST_SEED) -> Throughput:
    """`replay` of `events` events drawn in turn from every sample in events/ (valid and invalid, as
    `replay events/*.json --repeat N --shuffle` delivers them), shuffled."""
    from autopilot.embedded.replay import replay

    samples = sorted((REPO_ROOT / "events").glob("*.json"))  # events only: task inputs are in a subfolder
    files = [samples[i % len(samples)] for i in range(events)]
    started = time.perf_counter()
    report = replay(files, shuffle=True, seed=seed)
    seconds = time.perf_counter() - started
    names = {path.name for path in samples}
    return Throughput(
        events=events,
        deliveries=len(report.deliveries),
        caused=sum(1 for d in report.deliveries if d.source not in names),
        seconds=seconds,
        outcomes=Counter(d.outcome for d in report.deliveries),
        bounded=report.stopped_early,
    )


# -- 5: cost ----------------------------------------------------------------------------------------
@dataclass
class HandlerTimes:
    """One handler's CPU-bound times from its probe."""

    own_seconds: float  # median warm event, SDK calls excluded
    sdk_seconds_per_call: float
    cold_extra_seconds: float  # what the first event adds (the clients, X-Ray's set-up)
    import_seconds: float  # as deployed

    def cpu(self, calls: int) -> float:
        return self.own_seconds + self.sdk_seconds_per_call * calls


def handler_times(cold: ColdStarts) -> dict[str, HandlerTimes]:
    times = {}
    for handler in HANDLERS:
        probed = cold.probes[handler]
        warm = statistics.median(probed["warm_seconds"])
        sdk = statistics.median(probed["warm_sdk_seconds"])
        times[handler] = HandlerTimes(
            own_seconds=max(warm - sdk, 0.0),
            sdk_seconds_per_call=sdk / max(int(probed["calls"]), 1),
            cold_extra_seconds=max(float(probed["first_event_seconds"]) - warm, 0.0),
            import_seconds=cold.median_import(handler_module(handler), bytecode=False),
        )
    return times


def version_usage(lifecycle: Lifecycle, cold: ColdStarts) -> pricing.VersionUsage:
    """The lifecycle's usage: every invocation at its function's memory size; the first Plan, Attach and
    ShadowStart start cold (a version's steps are minutes apart), the duplicates that follow within
    seconds and the roller's rounds are warm; of the roller's rounds, only the work beyond an idle
    round counts (the schedule runs anyway: see the fixed monthly cost)."""
    times = handler_times(cold)
    invocations: list[pricing.Invocation] = []
    seen: set[str] = set()
    for invocation in lifecycle.invocations:
        handler, calls = invocation.handler, len(invocation.calls)
        memory = cold.memory_sizes[handler]
        if handler in SCHEDULED:
            # An idle round makes one call (the roller lists the experiments, the watcher the waits).
            extra = calls - 1
            invocations.append(
                pricing.Invocation(
                    handler, memory, extra, times[handler].sdk_seconds_per_call * extra, requests=0
                )
            )
            continue
        cold_start = handler not in seen
        seen.add(handler)
        invocations.append(
            pricing.Invocation(
                function=handler,
                memory_mb=memory,
                calls=calls,
                cpu_seconds=times[handler].cpu(calls)
                + (times[handler].cold_extra_seconds if cold_start else 0),
                init_seconds=times[handler].import_seconds if cold_start else 0.0,
            )
        )
    return lifecycle.usage(invocations)


def fixed_monthly(app: SynthesizedApp, cold: ColdStarts) -> pricing.Cost:
    times = handler_times(cold)
    rounds = pricing.SECONDS_PER_MONTH // (app.config.roller_schedule_minutes * 60)
    idle = pricing.Invocation("Roller", cold.memory_sizes["roller"], 1, times["roller"].cpu(1))
    watcher = times["compile_watcher"]
    idle_watch = pricing.Invocation("CompileWatcher", cold.memory_sizes["compile_watcher"], 1, watcher.cpu(1))
    watcher_rounds = pricing.SECONDS_PER_MONTH // WATCHER_ROUND_SECONDS
    return pricing.stack_fixed_cost(
        app.template, idle_rounds=[idle] * rounds, idle_watcher_rounds=[idle_watch] * watcher_rounds
    )


# -- the report -------------------------------------------------------------------------------------
COST_GOAL = 0.0005
OVERHEAD_GOAL_SECONDS = 0.001
IMPORT_RATIO_GOAL = 1.3
TRANSITIONS_PER_TARGET_GOAL = 3
# Issue goal: a compiled version is attached within a minute of its compilation ending (median).
ATTACH_LAG_GOAL_SECONDS = 60
MEMORY_HEADROOM = 1.5


def describe_budget(targets: int) -> dict[str, dict[str, int]]:
    """The describes each invocation needs, and why; more is a redundant read."""
    return {
        # The version's current state decides, not the event.
        "plan": {"DescribeModelPackage": 1},
        # Read, then again just before the write (a person's decision meanwhile wins). The image and
        # artifact come with each target's outcome, as the compile watcher read them.
        "attach": {"DescribeModelPackage": 2},
        # Each job once, in the round it is no longer listed in flight (a listing names no artifact,
        # image or failure reason).
        "compile_watcher": {"DescribeCompilationJob": targets},
        # The version (still Approved?), the experiment name (already started?), the endpoint, its
        # config and its production model (production variant; anything AWS excludes from shadow
        # tests). The shadow model is created, "already exists" taken as done: no describe.
        "shadow_start": {
            "DescribeModelPackage": 1,
            "DescribeInferenceExperiment": 1,
            "DescribeEndpoint": 1,
            "DescribeEndpointConfig": 1,
            "DescribeModel": 1,
        },
        # Each owned experiment still in play, once a round; the version when recording a conclusion
        # (its model card is read just before the conclusion is added, so a person's content is kept).
        "roller": {"DescribeInferenceExperiment": 1, "DescribeModelPackage": 1},
    }


def redundant_describes(lifecycle: Lifecycle) -> dict[str, int]:
    """Describes beyond the budget, per handler, summed over its invocations."""
    budget = describe_budget(lifecycle.targets)
    extra: Counter[str] = Counter()
    for invocation in lifecycle.invocations:
        made = Counter(c.operation for c in invocation.calls if c.operation.startswith("Describe"))
        allowed = budget.get(invocation.handler, {})
        extra[invocation.handler] += sum(max(n - allowed.get(op, 0), 0) for op, n in made.items())
    return {handler: extra[handler] for handler in HANDLERS}


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@dataclass
class BenchReport:
    app: SynthesizedApp
    lifecycle: Lifecycle
    cold: ColdStarts
    throughput: Throughput
    largest_burst: int
    capped: Burst
    reserved: int
    cost: pricing.Cost
    fixed: pricing.Cost
    lags: list[AttachLag]
    seconds: dict[str, float] = field(default_factory=dict)
    watcher_rounds: list[WatcherRound] = field(default_factory=list)
    fixed_at_scale: list[FixedAtScale] = field(default_factory=list)
    version_at_volume: list[VersionAtVolume] = field(default_factory=list)
    cli: CliTimes | None = None
    in_flight: VersionsInFlight | None = None

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(item, figure, measured, goal, verdict)."""
        rows: list[tuple[str, str, str, str, str]] = []
        cold, lifecycle = self.cold, self.lifecycle
        for handler in HANDLERS:
            warm = sorted(cold.warm(handler))
            sdk = statistics.median(cold.probes[handler]["warm_sdk_seconds"])
            median, p99 = statistics.median(warm), _percentile(warm, 0.99)
            calls = cold.probes[handler]["calls"]
            # The watcher's busiest round answers every job of the version: its work grows with the
            # jobs it answers, so it has no per-event goal (an idle round makes one call).
            watcher = handler == "compile_watcher"
            rows.append(
                (
                    "1",
                    f"overhead per {'round, busiest,' if watcher else 'event,'} {handler} (median / p99)",
                    f"{_ms(median)} / {_ms(p99)} ms; ours {_ms(median - sdk)} ms, "
                    f"SDK {_ms(sdk)} ms for {calls} call{'s' if calls != 1 else ''}",
                    "-" if watcher else "median < 1 ms",
                    "" if watcher else _verdict(median < OVERHEAD_GOAL_SECONDS),
                )
            )
        for bytecode, label in ((False, "as deployed (no bytecode)"), (True, "with bytecode")):
            floor = cold.median_import("boto3", bytecode=bytecode)
            ratios = {h: cold.ratio(h, bytecode=bytecode) for h in HANDLERS}
            rows.append(
                (
                    "2",
                    f"import / bare import boto3, {label}",
                    ", ".join(f"{h} {r:.2f}x" for h, r in ratios.items()) + f" (boto3 {_ms(floor, 0)} ms)",
                    f"<= {IMPORT_RATIO_GOAL}x",
                    _verdict(max(ratios.values()) <= IMPORT_RATIO_GOAL),
                )
            )
        rows.append(
            (
                "2",
                "first event after the import (clients, X-Ray)",
                ", ".join(f"{h} {_ms(cold.probes[h]['first_event_seconds'], 0)} ms" for h in HANDLERS),
                "-",
                "",
            )
        )
        attach_writes = lifecycle.count("UpdateModelPackage", "attach")
        rows.append(
            (
                "3",
                "UpdateModelPackage for attach + decision",
                str(attach_writes),
                "1",
                _verdict(attach_writes == 1),
            )
        )
        writes, reads = lifecycle.writes, lifecycle.reads
        rows.append(
            (
                "3",
                "AWS calls per version: writes, reads",
                f"{sum(writes.values())} writes ({_counts(writes)}); {sum(reads.values())} reads",
                "-",
                "",
            )
        )
        redundant = redundant_describes(lifecycle)
        for stage, counts in lifecycle.by_stage().items():
            describes = Counter({op: n for op, n in counts.items() if op.startswith("Describe")})
            runs = len(lifecycle.invocations_of(stage)) if stage in HANDLERS else len(lifecycle.executions)
            unit = ("round" if stage in SCHEDULED else "run") + ("s" if runs != 1 else "")
            rows.append(
                (
                    "3",
                    f"describes, {stage} ({runs} {unit})",
                    _counts(describes) or "none",
                    "no redundant describe",
                    _verdict(redundant.get(stage, 0) == 0),
                )
            )
        outer = outer_states(self.app)
        per_target = lifecycle.branch_transitions(outer) / lifecycle.targets
        total = lifecycle.transitions()
        targets, minutes = lifecycle.targets, lifecycle.compile_minutes
        rows.append(
            (
                "4",
                f"state transitions per target ({targets} targets, {minutes}-minute compile)",
                f"{per_target:g} in each target's branch; {total} per version "
                f"({total / targets:.1f} per target)",
                f"<= {TRANSITIONS_PER_TARGET_GOAL}",
                _verdict(per_target <= TRANSITIONS_PER_TARGET_GOAL),
            )
        )
        lags = sorted(lag.seconds for lag in self.lags)
        lag = statistics.median(lags)
        rows.append(
            (
                "4",
                "compile end to attach (median)",
                f"{lag:g} s (compiles of {self.lags[0].compile_seconds} to {self.lags[-1].compile_seconds} "
                f"s, every {LAG_STEP_SECONDS} s; longest {lags[-1]:g} s)",
                f"<= {ATTACH_LAG_GOAL_SECONDS} s",
                _verdict(lag <= ATTACH_LAG_GOAL_SECONDS),
            )
        )
        largest = max(self.cost.lines, key=lambda line: line[2])
        rows.append(
            (
                "5",
                "cost per version (excluding SageMaker compute)",
                f"${self.cost.total:.6f} (largest: {largest[0]} ${largest[2]:.6f})",
                f"< ${COST_GOAL}",
                _verdict(self.cost.total < COST_GOAL),
            )
        )
        for item, quantity, usd in self.cost.lines:
            rows.append(("5", f"  {item}", f"{quantity}: ${usd:.6f}", "-", ""))
        rows.append(
            (
                "5",
                "fixed cost per month, whatever the versions",
                f"${self.fixed.total:.2f} ("
                + ", ".join(
                    f"{item} {quantity}: ${usd:.3f}" for item, quantity, usd in self.fixed.lines if usd
                )
                + ")",
                "-",
                "",
            )
        )
        metrics = pricing.custom_metrics_cost()
        rows.append(
            (
                "5",
                "custom metrics per month, at most",
                f"${metrics.total:.2f} ({metrics.lines[0][1]} metrics; billed only in hours one counts "
                "something that needs a person)",
                "-",
                "",
            )
        )
        t = self.throughput
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in t.outcomes.most_common())
        caused = f", {t.caused} of them state changes of ours" if t.caused else ""
        left = "; what they caused waited behind them at replay's bound" if t.bounded else ""
        rows.append(
            (
                "6",
                f"replay throughput ({t.events:,} sample events, shuffled)",
                f"{t.per_second:.1f} events/s: {t.deliveries:,} in {t.seconds:.0f} s ({outcomes})"
                f"{caused}{left}",
                "-",
                "",
            )
        )
        rows.append(
            (
                "6",
                f"largest burst of writers, {WRITE_LIMIT_PER_SECOND:g} TPS UpdateModelPackage",
                f"{self.largest_burst} at once, with the functions' client retries alone",
                "-",
                "",
            )
        )
        capped = self.capped
        rows.append(
            (
                "6",
                f"{capped.writers:,} Attach at once, reserved concurrency {self.reserved} + throttling retry",
                f"{capped.failed + capped.not_run} failed; drained in {capped.seconds:.0f} s; "
                f"{capped.task_retries:,} step retries",
                "0 failed",
                _verdict(capped.failed + capped.not_run == 0),
            )
        )
        for handler in (*HANDLERS, LARGEST_REPORT):
            peak = float(cold.probes[handler]["peak_rss_kb"]) / 1024
            size = cold.memory_sizes["attach" if handler == LARGEST_REPORT else handler]
            rows.append(
                (
                    "7",
                    f"peak RSS / memory size, {handler}",
                    f"{peak:.0f} MB / {size} MB ({size / peak:.1f}x)",
                    f">= {MEMORY_HEADROOM}x",
                    _verdict(size >= MEMORY_HEADROOM * peak),
                )
            )
        return rows + self.scale_rows() + self.cli_rows()

    def scale_rows(self) -> list[tuple[str, str, str, str, str]]:
        """Row 8: the compile watcher, the cost per version and the fixed cost at scale."""
        rows: list[tuple[str, str, str, str, str]] = []
        for measured in self.watcher_rounds:
            by_service = Counter(name.split(":")[0] for name in measured.calls.elements())
            rows.append(
                (
                    "8",
                    f"watcher round, {measured.waiting:,} waiting, {measured.ended} ended: calls, duration",
                    f"{measured.total} calls ({_counts(by_service)}); {measured.modelled_seconds:.1f} s at "
                    f"{pricing.AWS_CALL_SECONDS * 1000:.0f} ms a call ({measured.seconds_here:.1f} s here)",
                    f"< {WATCHER_ROUND_SECONDS} s (timeout)",
                    _verdict(measured.within_timeout),
                )
            )
        if self.version_at_volume:
            costs = [row.usd for row in self.version_at_volume]
            rows.append(
                (
                    "8",
                    "cost per version at "
                    + ", ".join(f"{row.per_day:,}" for row in self.version_at_volume)
                    + " versions a day",
                    ", ".join(
                        f"${row.usd:.6f} ({row.in_flight} jobs in flight)" for row in self.version_at_volume
                    ),
                    f"flat within {FLAT_WITHIN:.0%}",
                    _verdict(max(costs) <= min(costs) * (1 + FLAT_WITHIN)),
                )
            )
        if self.fixed_at_scale:
            totals = [row.monthly.total for row in self.fixed_at_scale]
            rows.append(
                (
                    "8",
                    "fixed monthly cost at "
                    + ", ".join(f"{row.groups}" for row in self.fixed_at_scale)
                    + " watched groups",
                    ", ".join(
                        f"${row.monthly.total:.2f} ({row.resources} resources)" for row in self.fixed_at_scale
                    ),
                    "independent of the groups",
                    _verdict(max(totals) == min(totals)),
                )
            )
        rows += self.in_flight_rows()
        return rows

    def in_flight_rows(self) -> list[tuple[str, str, str, str, str]]:
        """Row 8: versions registered within a minute, every execution running at once."""
        run = self.in_flight
        if run is None:
            return []
        jobs = run.versions * 3
        failed = len(run.failed_executions)
        undecided = len(run.undecided()) + len(run.unattached())
        busiest = max(run.outcome.rounds, key=lambda r: len(r.calls))
        quota = "no quota" if run.quota is None else f"a quota of {run.quota} concurrent jobs"
        floor = _duration(minimum_drain(run.versions, run.quota, run.compile_seconds))
        transition = pricing.STEP_FUNCTIONS_STANDARD_TRANSITION
        waiting_usd = run.refused_for_quota * QUOTA_WAIT_TRANSITIONS * transition
        return [
            (
                "8",
                f"{run.versions:,} versions registered within a minute, {run.groups} groups, 3 targets: "
                "time until all are decided (simulated)",
                f"{_duration(run.decided_after)} ({jobs:,} jobs of {run.compile_seconds // 60} min under "
                f"{quota}: at least {floor}); "
                f"{failed} executions failed, {undecided} versions not attached or decided",
                "all decided, none failed",
                _verdict(failed == 0 and undecided == 0),
            ),
            (
                "8",
                "  the quota met by waiting: creates refused, then made",
                f"{run.refused_for_quota:,} ResourceLimitExceeded, {run.jobs_created:,} jobs created "
                f"(about {QUOTA_WAIT_TRANSITIONS} transitions a refusal: "
                f"${waiting_usd:.2f})",
                "every job created once",
                _verdict(run.jobs_created == jobs),
            ),
            (
                "8",
                "  busiest watcher round of the burst: calls, duration",
                f"{len(busiest.calls)} calls for {busiest.answered} jobs ended; "
                f"{len(busiest.calls) * pricing.AWS_CALL_SECONDS:.1f} s at "
                f"{pricing.AWS_CALL_SECONDS * 1000:.0f} ms a call ({len(run.outcome.rounds)} rounds)",
                f"< {WATCHER_ROUND_SECONDS} s (timeout)",
                _verdict(run.busiest_round_seconds() < WATCHER_ROUND_SECONDS),
            ),
        ]

    def cli_rows(self) -> list[tuple[str, str, str, str, str]]:
        return [] if self.cli is None else cli_rows(self.cli)

    def render(self) -> str:
        return render_rows(self.rows())


def cli_rows(cli: CliTimes) -> list[tuple[str, str, str, str, str]]:
    """Row 8: a CLI verb's time against importing boto3 and moto."""
    rows: list[tuple[str, str, str, str, str]] = []
    floor = statistics.median(cli.floor)
    for name in cli.commands:
        rows.append(
            (
                "8",
                f"{name} (median of {cli.runs})",
                f"{cli.ratio(name):.2f}x: {cli.median(name):.2f} s; import boto3, moto {floor:.2f} s",
                f"<= {CLI_GOALS[name]}x",
                _verdict(cli.ratio(name) <= CLI_GOALS[name]),
            )
        )
    return rows


def render_rows(rows: list[tuple[str, str, str, str, str]]) -> str:
    header = ("#", "figure", "measured", "goal", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [
        f"Registry Autopilot benchmark: {machine()}",
        "",
        line(header),
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        *(line(row) for row in rows),
    ]
    return "\n".join(out)


def _duration(value: timedelta) -> str:
    minutes = round(value.total_seconds() / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _ms(seconds: float, digits: int = 2) -> str:
    return f"{seconds * 1000:.{digits}f}"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def run(
    *,
    import_runs: int = IMPORT_RUNS,
    warm_runs: int = WARM_RUNS,
    events: int = REPLAY_EVENTS,
    in_flight_versions: int = IN_FLIGHT_VERSIONS,
) -> BenchReport:
    seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds[name] = time.perf_counter() - started

    with timed("synthesis"):
        app = synthesize()
    with timed("lifecycle"):
        lifecycle = run_lifecycle(app)
    with timed("compile end to attach"):
        lags = compile_to_attach_lags(app)
    with timed("cold starts"):
        cold = measure_cold_starts(app, lifecycle, import_runs=import_runs, warm_runs=warm_runs)
    with timed("replay"):
        throughput = measure_replay(events)
    with timed("bursts"):
        largest, _ = largest_burst()
        attach = app.template["Resources"][function_of(app, "attach")]["Properties"]
        reserved = int(attach.get("ReservedConcurrentExecutions", 0))
        calls = [call.method for call in representative(lifecycle, "attach").calls]
        capped = simulate_burst(
            BURST_INVOCATIONS,
            reserved=reserved or BURST_INVOCATIONS,
            # The attach step's reads before its write, at the cost model's round trip each.
            before_write=calls.index("update_model_package") * pricing.AWS_CALL_SECONDS,
            throttle_retry=task_retry(app, "AttachCompiled", "Lambda.TooManyRequestsException"),
        )
    with timed("watcher rounds"):
        watcher_rounds = measure_rounds(app.config)
    with timed("cli"):
        cli = measure_cli(import_runs)
    in_flight: VersionsInFlight | None = None
    if in_flight_versions:
        # The groups and the quota scale with the versions (1,000: 300 groups, a quota of 500).
        groups = max(1, in_flight_versions * IN_FLIGHT_GROUPS // IN_FLIGHT_VERSIONS)
        quota = max(1, in_flight_versions * IN_FLIGHT_QUOTA // IN_FLIGHT_VERSIONS)
        with timed(f"{in_flight_versions:,} versions in flight"):
            in_flight = run_versions_in_flight(
                in_flight_versions, groups, quota=quota, compile_seconds=IN_FLIGHT_COMPILE
            )
    cost = pricing.version_cost(version_usage(lifecycle, cold))
    fixed = fixed_monthly(app, cold)
    with timed("scale (1, 100, 500 groups)"):
        fixed_at_scale = fixed_by_groups(lambda scaled: fixed_monthly(scaled, cold))
    version_at_volume = cost_by_volume(cost.total, app.config, cold.memory_sizes["compile_watcher"])
    return BenchReport(
        app=app,
        lifecycle=lifecycle,
        cold=cold,
        throughput=throughput,
        largest_burst=largest,
        capped=capped,
        reserved=reserved,
        cost=cost,
        fixed=fixed,
        lags=lags,
        seconds=seconds,
        watcher_rounds=watcher_rounds,
        fixed_at_scale=fixed_at_scale,
        version_at_volume=version_at_volume,
        cli=cli,
        in_flight=in_flight,
    )
