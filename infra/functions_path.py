"""Make the Lambda package importable from infra code and local tools.

The configuration model and the event models live with the functions (they are what the deployed
code validates against); infra imports them from there instead of keeping a second copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

FUNCTIONS_ROOT = Path(__file__).resolve().parent.parent / "functions"

if str(FUNCTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_ROOT))
