"""Ctrl-C stops a long simulation promptly: the compiled run polls for signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

_SCRIPT = """
import faulthandler, signal, sys, time
faulthandler.register(signal.SIGUSR1)  # the test asks for a traceback if it hangs
# A shell's background job starts with SIGINT ignored, and Python then installs no
# handler of its own: put the usual one back, as an interactive session has it.
signal.signal(signal.SIGINT, signal.default_int_handler)
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
    # One BLAS thread: on a loaded machine spinning BLAS threads slow each gate
    # by orders of magnitude, and this test is about the signal, not speed.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # well inside the run
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure being tested
        proc.send_signal(signal.SIGUSR1)  # where is it?
        time.sleep(1)
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(
            f"simulate ignored SIGINT for 120 s (the run takes minutes); stdout {out!r}, "
            f"traceback:\n{err}"
        ) from None
    assert proc.returncode == 3, (out, err)
    assert "interrupted after" in out
