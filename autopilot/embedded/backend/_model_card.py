"""The rules AWS documents for a model package's model card, enforced locally.

- "The content must follow the schema described in Model Package Model Card Schema"
  (SageMaker API Reference, ModelPackageModelCard; the schema is vendored in
  docs/schemas/model-package-model-card.schema.json with its source).
- "Archived: The model card is archived. No more updates can be made to the model card content. If you
  try to update the model card content, you will receive the message Model Card is in Archived state."
  (same page).
- Length 0-100000 and the status enum are checked by the generic validator from botocore's model.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autopilot.embedded.backend._wire import validation_error

SCHEMA_PATH = (
    Path(__file__).resolve().parents[3] / "docs" / "schemas" / "model-package-model-card.schema.json"
)
if TYPE_CHECKING:
    import jsonschema

ARCHIVED_MESSAGE = "Model Card is in Archived state"
BOTH_MESSAGE = "You cannot update both model card content and model card status in a single call"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft7Validator:
    import jsonschema  # only for a version with a model card: most runs have none

    return jsonschema.Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def check_model_card(
    card: dict[str, Any], existing: dict[str, Any] | None, *, with_status: bool = True
) -> None:
    """Raise the ValidationException AWS would answer to writing `card` over `existing`.
    `with_status=False`: the account answers as UpdateModelCard does to content and status together."""
    if existing is not None and existing.get("ModelCardStatus") == "Archived":
        raise validation_error(ARCHIVED_MESSAGE)
    if not with_status and "ModelCardContent" in card and "ModelCardStatus" in card:
        raise validation_error(BOTH_MESSAGE)
    content = card.get("ModelCardContent")
    if not content:
        return
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        raise validation_error(f"ModelCardContent is not valid JSON: {exc.msg}") from exc
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise validation_error(
            f"ModelCardContent does not follow the model card schema at {where}: {error.message}"
        )
