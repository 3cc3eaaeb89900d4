"""Jobs of the primitives (:class:`PrimitiveJob`) and the backend (:class:`MPSJob`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from qiskit.primitives import BasePrimitiveJob
from qiskit.providers import JobStatus, JobV1
from qiskit.result import Result

__all__ = ["MPSJob", "PrimitiveJob"]


class PrimitiveJob(BasePrimitiveJob):  # type: ignore[misc]
    """A primitive's run, started on a worker thread when it is made.

    Parameters
    ----------
    function : callable
        What the job computes; called with ``args``.
    *args
        Its arguments.
    """

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        super().__init__(str(uuid.uuid4()))
        executor = ThreadPoolExecutor(max_workers=1)
        self._future: Future[Any] = executor.submit(function, *args)
        executor.shutdown(wait=False)

    def result(self) -> Any:
        """The result, waiting for it; an error of the run is raised here."""
        return self._future.result()

    def status(self) -> JobStatus:
        """``RUNNING``, ``DONE``, ``CANCELLED`` or ``ERROR``."""
        if self._future.running():
            return JobStatus.RUNNING
        if self._future.cancelled():
            return JobStatus.CANCELLED
        if self._future.done():
            return JobStatus.DONE if self._future.exception() is None else JobStatus.ERROR
        return JobStatus.QUEUED

    def done(self) -> bool:
        """Whether the run finished successfully."""
        return bool(self.status() == JobStatus.DONE)

    def running(self) -> bool:
        """Whether the run is in progress."""
        return self._future.running()

    def cancelled(self) -> bool:
        """Whether the run was cancelled."""
        return self._future.cancelled()

    def in_final_state(self) -> bool:
        """Whether the run is over (done, failed or cancelled)."""
        return self._future.done()

    def cancel(self) -> bool:
        """Cancel the run if it has not started; whether it was cancelled."""
        return self._future.cancel()


class MPSJob(JobV1):  # type: ignore[misc]
    """A finished :class:`~tensorbond.qiskit.MPSBackend` run (its circuits ran
    when it was made).

    Parameters
    ----------
    backend : MPSBackend
        The backend that ran it.
    job_id : str
        Its id.
    result : qiskit.result.Result
        The result.
    """

    def __init__(self, backend: Any, job_id: str, result: Result) -> None:
        super().__init__(backend, job_id)
        self._result = result

    def submit(self) -> None:
        """Nothing to do: the circuits ran in ``MPSBackend.run``."""

    def result(self, timeout: float | None = None) -> Result:
        """The ``qiskit.result.Result`` of the run."""
        return self._result

    def status(self) -> Any:
        """``JobStatus.DONE``."""
        return JobStatus.DONE
