"""What every benchmark record says about the machine it ran on."""

from __future__ import annotations

import datetime as dt
import os
import platform


def machine(**versions: str) -> dict:
    """CPU count, processor, platform and Python, the given package versions, and the date (UTC)."""
    return {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "platform": platform.platform(), "python": platform.python_version(), **versions,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
