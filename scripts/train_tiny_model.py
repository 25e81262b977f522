"""Train the e2e world's tiny model: a two-tree XGBoost classifier on a generated dataset, saved as
`xgboost-model` in a model.tar.gz (the layout the SageMaker XGBoost container and Neo read).

Needs requirements-e2e.txt (`pip install -r requirements-e2e.txt`); only `make e2e-aws` uses it. Without
xgboost, importing this module raises ImportError and scripts/e2e_aws.py uses the pre-made artifact.
"""

from __future__ import annotations

import io
import random
import tarfile
import tempfile
from pathlib import Path

import xgboost  # type: ignore[import-not-found, import-untyped, unused-ignore]  # requirements-e2e.txt

ROWS, FEATURES, TREES, SEED = 200, 4, 2, 17


def train() -> bytes:
    """model.tar.gz bytes holding a two-tree booster trained on a separable toy problem."""
    rng = random.Random(SEED)
    rows = [[rng.random() for _ in range(FEATURES)] for _ in range(ROWS)]
    labels = [1.0 if row[0] + row[1] > 1.0 else 0.0 for row in rows]
    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 2, "seed": SEED},
        xgboost.DMatrix(rows, label=labels),
        num_boost_round=TREES,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "xgboost-model"
        booster.save_model(str(path))
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(path, arcname="xgboost-model")
    return buffer.getvalue()


if __name__ == "__main__":
    Path("model.tar.gz").write_bytes(train())
    print("model.tar.gz written")
