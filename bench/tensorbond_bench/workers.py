"""Process isolation: each contestant runs each workload in a fresh process of its own.

The parent drives a :class:`_Worker` per contestant; the child is
``python -m tensorbond_bench --worker`` (:func:`_worker_main`), speaking JSON lines.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import environment
from .contestants import CONTESTANTS, _warm_up_tool
from .environment import _THREAD_ENV, _import_tools, _threadpools
from .floor import recorded_work
from .model import Prepared, Timed, Unsupported, Workload, _describe, _jsonable
from .workloads import load_inputs


def _proc_status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0]) * 1024
    return out


def _reset_peak() -> tuple[int | None, str]:
    """Reset this process's peak RSS where Linux allows; the baseline and a note."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return _proc_status()["VmRSS"], "VmHWM - VmRSS of the run's fresh process"
    except OSError:
        pass
    try:
        return _proc_status()["VmHWM"], (
            "VmHWM growth of the run's fresh process (the peak could not be reset: a lower bound)"
        )
    except OSError:
        return None, "not measured (no /proc)"


def _measured_run(prep: Prepared, memory: bool) -> tuple[Any, dict[str, Any]]:
    """One run; its time and, with ``memory``, the peak resident growth."""
    import resource

    arg = prep.setup() if prep.setup is not None else None
    info: dict[str, Any] = {}
    if memory:
        gc.collect()
        base, info["peak_rss_note"] = _reset_peak()
        ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    out = prep.run(arg)
    dt = time.perf_counter() - t0
    info["extra"] = {}
    if isinstance(out, Timed):
        dt, info["extra"], out = out.seconds, out.extra, out.value
    info["time_s"] = dt
    if memory:
        ru1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        info["ru_maxrss_delta_bytes"] = ru1 - ru0
        if base is not None:
            info["peak_rss_bytes"] = max(0, _proc_status()["VmHWM"] - base)
    return out, info


def _worker_main() -> int:
    """A contestant's process for one workload: ``python -m tensorbond_bench --worker``.

    JSON lines on stdin and stdout. The first line is the spec
    ``{"workload": {...}, "contestant": name, "kernel_path": path or null}``; the
    worker pins its threads, imports only its tool, warms it up on a 6-qubit
    circuit, prepares the workload (untimed) and answers ``{"status": "ok",
    "notes": [...]}`` or a status and reason. Then commands, one answer each:
    ``run`` (``memory``: also measure the peak resident growth), ``inspect``,
    ``tensors`` (``path``: save the output's site tensors), ``svd_shapes``
    (tensorbond), ``save_inputs`` (tensorbond kernel: ``path``) and ``exit``.
    Whatever else gets printed goes to stderr: the protocol keeps its own copy
    of stdout.
    """
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def reply(obj: dict[str, Any]) -> None:
        proto.write(json.dumps(_jsonable(obj)) + "\n")
        proto.flush()

    spec = json.loads(sys.stdin.readline())
    w = Workload(**spec["workload"])
    name = spec["contestant"]
    try:
        environment.pin_threads([name])
        why = _import_tools([name]).get(name)
        if why:
            reply({"status": "unavailable", "reason": why})
            return 0
        _warm_up_tool(name)
        inputs = load_inputs(w, kernel_path=spec.get("kernel_path"))
        prep = CONTESTANTS[name](w, inputs)
    except Unsupported as exc:
        reply({"status": "unsupported", "reason": str(exc)})
        return 0
    except NotImplementedError as exc:
        reply({"status": "unsupported", "reason": _describe(exc)})
        return 0
    except Exception as exc:
        reply({"status": "error", "reason": f"preparing: {_describe(exc)}"})
        return 0
    reply({"status": "ok", "notes": prep.notes, "threadpools": _threadpools()})
    out: Any = None
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.get("cmd")
        try:
            if cmd == "run":
                out = None  # free the previous output before the next run
                out, info = _measured_run(prep, bool(msg.get("memory")))
                reply({"status": "ok", **info})
            elif cmd == "inspect":
                facts = prep.inspect(out) if prep.inspect is not None else {}
                reply({"status": "ok", "facts": facts})
            elif cmd == "tensors":
                if prep.tensors is None:
                    reply(
                        {
                            "status": "ok",
                            "saved": False,
                            "reason": "the tool's state is not available",
                        }
                    )
                else:
                    ts = prep.tensors(out)
                    arrays: dict[str, Any] = {f"t{i}": t for i, t in enumerate(ts)}
                    np.savez(msg["path"], **arrays)
                    reply({"status": "ok", "saved": True, "num_sites": len(ts)})
            elif cmd == "svd_shapes":
                shapes, madds = recorded_work(w, inputs)
                reply({"status": "ok", "shapes": shapes.tolist(), "madds": madds})
            elif cmd == "save_inputs":
                assert inputs.kernel is not None
                inputs.kernel.save(msg["path"])
                reply({"status": "ok"})
            elif cmd == "exit":
                break
            else:
                reply({"status": "error", "reason": f"unknown command {cmd!r}"})
        except Exception as exc:
            reply({"status": "error", "reason": _describe(exc)})
    return 0


def _package_root() -> str | None:
    """The folder holding this package when it is not installed (a checkout's
    ``bench/``), for the children's ``PYTHONPATH``; None when it is installed."""
    from importlib import metadata

    try:
        metadata.distribution("tensorbond-bench")
    except metadata.PackageNotFoundError:
        return str(Path(__file__).resolve().parents[1])
    return None


class _WorkerFailed(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Worker:
    """The parent's handle on one contestant's process (see :func:`_worker_main`)."""

    def __init__(self, name: str, spec: dict[str, Any], log_dir: Path) -> None:
        self.name = name
        env = dict(os.environ)
        env.update(dict.fromkeys(_THREAD_ENV, "1"))
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_package_root(), env.get("PYTHONPATH")) if p
        )
        self._log = open(log_dir / f"{name}.log", "w+b")  # noqa: SIM115
        self._buf = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tensorbond_bench", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            bufsize=0,
        )
        self._send(spec)

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: receive() says how

    def _readline(self, timeout: float) -> str | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return ""
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode()

    def receive(self, timeout: float, what: str = "a run") -> dict[str, Any]:
        """The next answer; raises :class:`_WorkerFailed` on timeout, death or error."""
        line = self._readline(timeout)
        if line is None:
            self.kill()
            raise _WorkerFailed("timeout", f"{what} took over the limit of {timeout:.3g} s")
        if line == "":
            rc = self.proc.wait()
            raise _WorkerFailed(
                "error",
                f"the {self.name} process died ({_exit_text(rc)})" + self._log_tail(),
            )
        msg: dict[str, Any] = json.loads(line)
        if msg.get("status", "ok") != "ok":
            raise _WorkerFailed(msg["status"], msg.get("reason") or "")
        return msg

    def call(self, cmd: str, timeout: float, what: str = "", **kw: Any) -> dict[str, Any]:
        """Send a command and wait for its answer (see :meth:`receive`)."""
        self._send({"cmd": cmd, **kw})
        return self.receive(timeout, what or cmd)

    def _log_tail(self) -> str:
        try:
            self._log.flush()
            self._log.seek(0)
            lines = [
                ln for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()
            ]
        except OSError:
            return ""
        return f": {lines[-1][:300]}" if lines else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self._send({"cmd": "exit"})
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
        self._log.close()


def _exit_text(rc: int | None) -> str:
    if rc is not None and rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"
