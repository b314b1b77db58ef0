"""The metrics record a decoder or prefill run leaves for the regression report,
sign-off and bench."""
from __future__ import annotations

import json
import os
from pathlib import Path

from llama_dv.tb.common.knobs import METRICS_FILE_ENV


def record_metrics(**figures: object) -> None:
    """Figures for the regression report, sign-off and bench (`LDV_METRICS_FILE`, if set):
    numbers, and lists of numbers such as the prompt and the generated tokens."""
    path = os.environ.get(METRICS_FILE_ENV)
    if path:
        Path(path).write_text(json.dumps(figures, indent=1) + "\n")
