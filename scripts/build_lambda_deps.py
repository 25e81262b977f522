"""Build the Lambda dependency layer into a directory (`make bundle`), the way synthesis builds it.

`cdk synth` builds the layer by itself (infra/dependency_layer.py); this prebuilds one for
`cdk synth -c lambdaDependenciesDir=<out>`, e.g. on a machine that synthesizes offline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.dependency_layer import REQUIREMENTS, build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    target = build(args.out, args.requirements)
    print(f"Lambda dependency layer built in {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
