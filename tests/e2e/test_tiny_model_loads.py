"""The e2e world's model loads in XGBoost 1.7, the version the sagemaker-xgboost:1.7-1 image serves.

XGBoost Python API, Booster.dump_model: the dump "cannot be loaded back to XGBoost"; Booster.save_model
writes the model format ("JSON" when the file name ends in .json) that Booster.load_model reads. The
pre-made artifact holds the JSON model XGBoost 1.7.6 saved; `make e2e-aws` installs requirements-e2e.txt
(xgboost==1.7.6) and trains the model at run time with scripts/train_tiny_model.py.

The load checks need xgboost 1.7 (requirements-e2e.txt), which `make test` installs: without it they
fail, naming the command, rather than pass unchecked.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from autopilot.e2e.world import premade_model_artifact


def members(blob: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_the_premade_artifact_is_xgboost_1_7_json_not_a_text_dump() -> None:
    files = members(premade_model_artifact())

    assert list(files) == ["xgboost-model"]
    model = json.loads(files["xgboost-model"])
    assert model["version"][:2] == [1, 7]
    assert model["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] == "2"
    assert not files["xgboost-model"].startswith(b"booster[0]:")  # the dump_model format


@pytest.fixture
def xgboost_1_7() -> object:
    try:
        import xgboost
    except ImportError:
        pytest.fail("xgboost 1.7 is not installed: `make test` installs requirements-e2e.txt")
    assert str(xgboost.__version__).startswith("1.7."), f"xgboost {xgboost.__version__}: the image serves 1.7"
    return xgboost


def load(xgboost: object, blob: bytes, tmp_path: Path) -> object:
    path = tmp_path / "xgboost-model"
    path.write_bytes(members(blob)["xgboost-model"])
    booster = xgboost.Booster()  # type: ignore[attr-defined]
    booster.load_model(str(path))
    return booster


def test_the_premade_artifact_loads_in_xgboost_1_7(xgboost_1_7: object, tmp_path: Path) -> None:
    booster = load(xgboost_1_7, premade_model_artifact(), tmp_path)

    assert booster.num_boosted_rounds() == 2  # type: ignore[attr-defined]


def test_the_trained_artifact_loads_in_xgboost_1_7(xgboost_1_7: object, tmp_path: Path) -> None:
    from scripts.train_tiny_model import train

    booster = load(xgboost_1_7, train(), tmp_path)

    assert booster.num_boosted_rounds() == 2  # type: ignore[attr-defined]
