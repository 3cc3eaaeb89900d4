"""Ctrl-C stops a long simulation promptly: the compiled run polls for signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

_SCRIPT = """
import sys, time
import tensorbond as tb
from tensorbond.sim.examples import brick
circ = brick(40, 400, seed=1)      # minutes at max_bond 256
print("ready", flush=True)
t0 = time.perf_counter()
try:
    tb.simulate(circ, max_bond=256)
except KeyboardInterrupt:
    print(f"interrupted after {time.perf_counter() - t0:.2f} s", flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


def test_sigint_stops_simulate() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # well inside the run
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure being tested
        proc.kill()
        raise AssertionError("simulate ignored SIGINT for 60 s (the run takes minutes)") from None
    assert proc.returncode == 3, (out, err)
    assert "interrupted after" in out
