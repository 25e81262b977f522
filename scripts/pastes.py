"""Keep the outputs pasted in README.md and docs/*.md equal to real runs.

A pasted output is a fenced block preceded by a comment that names the shell command producing it:

    <!-- paste: .venv/bin/python -m autopilot cost -->
    ```text
    $ .venv/bin/python -m autopilot cost        <- optional prompt line, kept as written
    ...the command's stdout...
    ```

The command runs from the repository's root through the shell; its stdout is the paste (stderr is
not). A trailing `| head -n N` or `| tail -n N` is applied here to the command's output, so a command
pasted whole and in part runs once.

    .venv/bin/python scripts/pastes.py --list     # every paste: file, line, command
    .venv/bin/python scripts/pastes.py --check    # run each command, compare; exit 1 on a difference
    .venv/bin/python scripts/pastes.py --update   # rewrite every block from a fresh run

Only what varies from run to run is masked, on both sides, before comparing (MASKS below): the wall
time a run reports, the machine clock's timestamps, and the random ids of the state-change events our
own writes cause. `--update` writes the real output, unmasked.
A paste equal to the fresh run up to the masks is left as it is. It writes nothing unless every
command ran: a command that exits with a status the paste does not
expect, prints a traceback or prints nothing leaves every file as it was.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What truly varies between two runs of the same command; each doc that pastes it says so.
MASKS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("wall time", re.compile(r"finished in \d+(?:\.\d+)? s\b"), "finished in <wall time> s"),
    (
        "machine clock",
        re.compile(r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\+00:00"),
        "started <machine clock>",
    ),
    (
        "event id of a state change our write caused",  # a random UUID, as SageMaker's event ids are
        re.compile(r"(after our write )\[[0-9a-f]{8}\]"),
        r"\1[<event id>]",
    ),
)

BLOCK = re.compile(
    r"^<!-- paste: (?P<command>.+?)(?: \[exit (?P<exit>\d+)\])? -->\n"
    r"(?P<fence>```+)(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
PIPE_TAIL = re.compile(r"^(?P<base>.+?) \| (?P<which>head|tail) -n (?P<count>\d+)$")
TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Paste:
    path: Path
    line: int
    command: str
    expected_exit: int
    prompt: str | None  # a first line "$ ..." shown to the reader, kept as written
    body: str  # the output as pasted, without the prompt line
    start: int  # offsets of the block's body in the file
    end: int

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


class PasteError(Exception):
    pass


def documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def collect(root: Path = ROOT) -> list[Paste]:
    return [paste for path in documents(root) for paste in pastes_in(path, path.read_text(encoding="utf-8"))]


def pastes_in(path: Path, text: str) -> list[Paste]:
    pastes = []
    for match in BLOCK.finditer(text):
        body = match["body"]
        prompt = None
        if body.startswith("$ "):
            prompt, _, body = body.partition("\n")
        pastes.append(
            Paste(
                path=path,
                line=text.count("\n", 0, match.start()) + 1,
                command=match["command"],
                expected_exit=int(match["exit"] or 0),
                prompt=prompt,
                body=body,
                start=match.start("body"),
                end=match.end("body"),
            )
        )
    return pastes


@functools.cache
def _run(command: str, expected_exit: int) -> str:
    # Each command runs in a local world of its own (none recorded: `status --local` and the other
    # --local verbs use the demo's), so a paste never depends on what another paste, or the reader's
    # own replays, left in .cache/local-world/.
    with tempfile.TemporaryDirectory() as world:
        env = {
            **os.environ,
            "PYTHONDONTWRITEBYTECODE": "1",
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "AUTOPILOT_LOCAL_WORLD": str(Path(world) / "world.json"),
        }
        done = subprocess.run(
            command,
            shell=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if done.returncode != expected_exit:
        raise PasteError(
            f"`{command}` exited {done.returncode}, the paste expects {expected_exit}:\n{done.stderr[-2000:]}"
        )
    if "Traceback (most recent call last)" in done.stderr:
        raise PasteError(f"`{command}` printed a traceback:\n{done.stderr[-2000:]}")
    if not done.stdout.strip():
        raise PasteError(f"`{command}` printed nothing on stdout")
    return done.stdout


def output(paste: Paste) -> str:
    """The command's stdout now, as the block holds it (trailing spaces dropped, one final newline)."""
    command = paste.command
    cut = PIPE_TAIL.match(command)
    if cut:
        command = cut["base"]
    lines = [line.rstrip() for line in _run(command, paste.expected_exit).rstrip("\n").split("\n")]
    if cut:
        count = int(cut["count"])
        lines = lines[:count] if cut["which"] == "head" else lines[-count:]
    return "\n".join(lines) + "\n"


def mask(text: str) -> str:
    for _name, pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def difference(paste: Paste) -> str:
    """An empty string when the paste equals a fresh run up to the masks, else a unified diff."""
    fresh, pasted = mask(output(paste)), mask(paste.body)
    if fresh == pasted:
        return ""
    diff = difflib.unified_diff(
        pasted.splitlines(),
        fresh.splitlines(),
        f"{paste.id} (pasted)",
        f"`{paste.command}` (now)",
        lineterm="",
    )
    return "\n".join(diff)


def update(root: Path = ROOT) -> list[Paste]:
    """Rewrite every paste from a fresh run; every command runs before any file is written."""
    for paste in collect(root):
        output(paste)  # runs each command once (cached); raises PasteError before anything is written
    texts = {path: path.read_text(encoding="utf-8") for path in documents(root)}
    found = {path: pastes_in(path, text) for path, text in texts.items()}
    fresh = {paste: output(paste) for pastes in found.values() for paste in pastes}  # pages edited meanwhile
    changed = []
    for path, text in texts.items():
        new = text
        for paste in sorted(found[path], key=lambda p: p.start, reverse=True):
            if mask(fresh[paste]) == mask(paste.body):
                continue  # equal but for what varies: keep it, so an update changes only what changed
            body = (paste.prompt + "\n" if paste.prompt else "") + fresh[paste]
            new = new[: paste.start] + body + new[paste.end :]
            changed.append(paste)
        if new != text:
            path.write_text(new, encoding="utf-8")
    return sorted(changed, key=lambda p: (str(p.path), p.line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--list", action="store_true", help="list every paste")
    mode.add_argument("--check", action="store_true", help="compare every paste with a fresh run")
    mode.add_argument("--update", action="store_true", help="rewrite every paste from a fresh run")
    args = parser.parse_args(argv)
    try:
        if args.list:
            for paste in collect():
                print(f"{paste.id}\t{paste.command}")
            return 0
        if args.update:
            for paste in update():
                print(f"updated {paste.id}: {paste.command}")
            return 0
        failed = 0
        for paste in collect():
            diff = difference(paste)
            print(f"{'ok  ' if not diff else 'DIFF'} {paste.id}: {paste.command}")
            if diff:
                failed += 1
                print(diff)
        return 1 if failed else 0
    except PasteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
