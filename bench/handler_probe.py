"""One Lambda handler's cold start, in this fresh process: `make bench` runs it as a subprocess.

    python -S handler_probe.py MODULE OUT_FILE [INVOCATION_FILE WARM_RUNS]

It imports MODULE (a handler module, or `boto3` for the baseline) and times only that import, so
nothing may be imported at module level here but what the interpreter has loaded already. With an
invocation (a pickled dict: the function, the event and the AWS answers recorded on the local backend;
`autopilot.cost.lifecycle.Invocation.stub_data`), it then creates the handler's clients with botocore's
Stubber holding those answers, times the first event, reads the peak RSS, and times WARM_RUNS more
events. The result is JSON in OUT_FILE (stdout belongs to the handler's logs and metrics, as in Lambda).
"""

import importlib
import sys
import time
from typing import Any

STREAM_KEY = "__stream__"  # as bench.run keeps a streamed response member


def main(argv: list[str]) -> int:
    module_name, out_file = argv[0], argv[1]
    started = time.perf_counter()
    module = importlib.import_module(module_name)
    result: dict[str, object] = {"import_seconds": time.perf_counter() - started}
    if len(argv) > 2:
        result.update(_invoke(module, argv[2], int(argv[3])))
    import json

    with open(out_file, "w", encoding="utf-8") as out:
        json.dump(result, out)
    return 0


class _Context:
    """The Lambda context attributes the handlers and Powertools read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _invoke(module: Any, invocation_file: str, warm_runs: int) -> dict[str, object]:
    import pickle

    from botocore.stub import Stubber  # type: ignore[import-untyped, unused-ignore]

    from registry_autopilot.adapters import clients

    class RecordedAnswers(Stubber):  # type: ignore[misc, unused-ignore]
        """The answers are what the handler received on the local backend; they are not checked
        against the output model again (moto leaves out some members the model marks required)."""

        def _validate_operation_response(self, operation_name: str, service_response: object) -> None:
            return None

    with open(invocation_file, "rb") as source:
        invocation = pickle.load(source)
    handler = module.handler
    context = _Context(invocation["function"])
    started = time.perf_counter()
    # The clients the handler would create (creating them belongs to the first event, as in Lambda),
    # answered by the Stubber instead of AWS.
    services = dict.fromkeys(call["service"] for call in invocation["calls"])
    stubbers = {service: RecordedAnswers(clients.client(service)) for service in services}
    for stubber in stubbers.values():
        stubber.activate()
    client_seconds = time.perf_counter() - started

    def answer(response: dict[str, object]) -> dict[str, object]:
        """The recorded response, with streamed members (S3 Body) as fresh streams."""
        from io import BytesIO

        from botocore.response import StreamingBody  # type: ignore[import-untyped, unused-ignore]

        out = dict(response)
        for key, value in response.items():
            if isinstance(value, dict) and STREAM_KEY in value:
                data = value[STREAM_KEY]
                out[key] = StreamingBody(BytesIO(data), len(data))
        return out

    def run() -> float:
        for call in invocation["calls"]:
            stubber = stubbers[call["service"]]
            if call["error"] is None:
                stubber.add_response(call["method"], answer(call["response"]))
            else:
                code, message, status = call["error"]
                stubber.add_client_error(call["method"], code, message, status)
        started = time.perf_counter()
        handler(invocation["event"], context)
        elapsed = time.perf_counter() - started
        for stubber in stubbers.values():
            stubber.assert_no_pending_responses()  # the same calls as on the local backend
        return elapsed

    first = client_seconds + run()
    peak_kb = _peak_rss_kb()
    sdk = _time_sdk_calls()  # from now on; the first event has patched botocore for X-Ray
    warm, warm_sdk = [], []
    for _ in range(warm_runs):
        before = sdk[0]
        warm.append(run())
        warm_sdk.append(sdk[0] - before)
    return {
        "first_event_seconds": first,
        "peak_rss_kb": peak_kb,
        "warm_seconds": warm,
        "warm_sdk_seconds": warm_sdk,
        "calls": len(invocation["calls"]),
    }


def _time_sdk_calls() -> list[float]:
    """Add up the time spent in botocore's client calls (X-Ray's wrapper included): the SDK's share
    of a handler's overhead, which grows with the number of calls, not with our code."""
    from botocore.client import BaseClient  # type: ignore[import-untyped, unused-ignore]

    spent = [0.0]
    make_api_call = BaseClient._make_api_call

    def timed(self: object, operation_name: str, api_params: dict[str, object]) -> object:
        started = time.perf_counter()
        try:
            return make_api_call(self, operation_name, api_params)
        finally:
            spent[0] += time.perf_counter() - started

    BaseClient._make_api_call = timed
    return spent


def _peak_rss_kb() -> int:
    """This process's peak resident set size. Linux keeps `ru_maxrss` across execve (getrusage(2)), so a
    fresh process would report its parent's peak if that was higher; VmHWM is this image's own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
