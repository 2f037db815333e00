"""Where the browser tests find a Chromium (Debian's ``chromium`` package, or the binary
PLAZADESK_CHROMIUM names), and what a run says about them: they run when one is found and
the run says plainly when they were skipped."""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("PLAZADESK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
MISSING = "no Chromium found: apt-get install chromium (or set PLAZADESK_CHROMIUM); .ci/run installs it"


def summary() -> str:
    if CHROMIUM:
        return f"browser tests (tests/browser): ran in Chromium at {CHROMIUM}"
    return f"browser tests (tests/browser): SKIPPED, {MISSING}"
