"""`status --local`, `retry --local` and `doctor --local` on the local world a `replay` or the `demo`
left behind (`autopilot.embedded.world` keeps its record): the world is built again from the record,
the retries recorded since are applied, then the verb reads the account it leaves."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from autopilot.embedded.stack import EmbeddedStack

T = TypeVar("T")


def on_world(
    record: dict[str, Any] | None,
    inspect: Callable[[EmbeddedStack], T],
    *,
    extra: Callable[[EmbeddedStack], object] | None = None,
) -> T:
    """Build the recorded world again (the demo's when none is kept, deployed locally as `cdk deploy`
    would), apply its recorded retries, then `extra` (e.g. a new retry), then `inspect` it."""
    from autopilot.account.retry import retry_in_embedded_stack
    from autopilot.embedded.deployed import deploy_locally

    retries = [tuple(item) for item in (record or {}).get("retries", [])]
    result: list[T] = []

    def then(stack: EmbeddedStack) -> None:
        for arn, target in retries:
            retry_in_embedded_stack(stack, arn, target)
        if extra is not None:
            extra(stack)

    def look(stack: EmbeddedStack) -> None:
        result.append(inspect(stack))

    if record is None or record["kind"] == "demo":
        from autopilot.embedded.demo import run_demo

        def finish(stack: EmbeddedStack) -> None:
            then(stack)
            look(stack)

        run_demo(prepare=deploy_locally, inspect=finish)
    else:
        from autopilot.embedded.replay import replay

        options = record.get("options", {})
        replay(
            [Path(name) for name in record["files"]],
            events=record["events"],
            objects={uri: base64.b64decode(body) for uri, body in record.get("objects", {}).items()},
            repeat=int(options.get("repeat", 1)),
            shuffle=bool(options.get("shuffle", False)),
            seed=int(options.get("seed", 0)),
            watch=list(options.get("watch", [])),
            schedule_rounds=int(options.get("rounds", 0)),
            prepare=deploy_locally,
            then=then,
            inspect=look,
        )
    return result[0]
