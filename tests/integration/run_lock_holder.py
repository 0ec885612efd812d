"""A live run for the run-lock tests: opens a cycle on a ledger, says so, then holds the lock until killed.

``python tests/integration/run_lock_holder.py <state_dir> [<database_url>]`` prints ``holding <run_id>`` once the
run row is written, then blocks reading stdin (close it to end the process, or SIGKILL it to leave a crashed run).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tradepipe.config import load_settings  # noqa: E402
from tradepipe.stages import start  # noqa: E402


def main(state_dir: str, database_url: str = "") -> None:
    settings = load_settings(ROOT / "tradepipe.toml", {"state_dir": state_dir, "database_url": database_url})
    ctx = start.open_cycle(settings, f"run-holder-{os.getpid()}")
    print(f"holding {ctx.run_id}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(*sys.argv[1:])
