"""tb.map and the batch forms (issue 16, parts 2, 3 and 7): ordered results,
per-item seeds spawned by index (bit-identical counts on any executor, worker
count or chunking), failures reported with the item's index, and the same on a
real Dask LocalCluster of two worker processes."""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import tensorbond as tb

distributed = pytest.importorskip("distributed")


def _bell_with(theta: float) -> tb.Circuit:
    c = tb.Circuit(3, num_clbits=3).ry(theta, 0).cx(0, 1).h(2)
    return c.measure(0, 0).measure(1, 1).measure(2, 2)


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"three is not allowed (got {x})")
    return x * x


def _seeded(x: int, *, seed: int) -> tuple[int, int]:
    return x, seed


def _slow_state(q: int) -> float:
    # ~0.2 s of real work per item, so a worker can die mid-batch
    rng = np.random.default_rng(q)
    c = tb.Circuit(14)
    for layer in range(40):
        for k in range(14):
            c.ry(float(rng.uniform(0, 3)), k)
        for k in range(layer % 2, 13, 2):
            c.cx(k, k + 1)
    return tb.simulate(c, max_bond=32).probability("0" * 14)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_results_come_back_in_order_on_every_executor(client) -> None:
    items = list(range(23))
    want = [x * x for x in items]
    assert tb.map(_fails_on_three, [0, 1, 2], executor=None) == [0, 1, 4]
    square = functools.partial(pow, exp=2)
    for executor in (None, 1, 2, client):
        for chunk in (None, 1, 5, 100):
            assert tb.map(square, items, executor=executor, chunk_size=chunk) == want
    with ThreadPoolExecutor(3) as pool:
        assert tb.map(square, items, executor=pool) == want
    with ProcessPoolExecutor(2) as pool:
        assert tb.map(square, items, executor=pool, chunk_size=4) == want
    assert tb.map(square, [], executor=client) == []


def test_seeds_are_spawned_by_index() -> None:
    seeds = tb.child_seeds(7, 5)
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert tb.child_seeds(7, 3) == seeds[:3]  # item i's seed ignores the batch size
    assert tb.child_seeds(np.random.SeedSequence(7), 5) == seeds
    assert tb.child_seeds(8, 5) != seeds
    got = tb.map(_seeded, range(5), seed=7, executor=2, chunk_size=2)
    assert got == list(zip(range(5), seeds, strict=True))
    with pytest.raises(TypeError, match="seed must be an int"):
        tb.child_seeds(1.5, 2)


def test_run_counts_are_identical_on_any_executor_and_chunking(client) -> None:
    circuits = [_bell_with(t) for t in np.linspace(0.1, 3.0, 9)]
    serial = tb.run(circuits, shots=500, seed=11)
    assert isinstance(serial, list) and len(serial) == 9
    assert serial[0].counts == tb.run(circuits[0], shots=500, seed=tb.child_seeds(11, 1)[0]).counts
    for executor in (2, client):
        got = tb.run(circuits, shots=500, seed=11, executor=executor)
        assert [r.counts for r in got] == [r.counts for r in serial]
    # distinct items get distinct seeds: equal circuits give different samples
    same = tb.run([circuits[4]] * 3, shots=500, seed=11)
    assert len({tuple(sorted(r.counts.items())) for r in same}) == 3


def test_batched_simulate_expectation_and_gradient_equal_serial(client) -> None:
    circuits = [tb.Circuit(3).ry(t, 0).cx(0, 1).h(2) for t in (0.2, 0.9, 1.7)]
    states = tb.simulate(circuits, executor=client)
    for c, s in zip(circuits, states, strict=True):
        np.testing.assert_array_equal(s.to_dense(), tb.simulate(c).to_dense())
    w = tb.ParameterVector("w", 6)
    ansatz = tb.Circuit(3)
    for q in range(3):
        ansatz.ry(w[q], q)
    ansatz.cx(0, 1).cx(1, 2)
    for q in range(3):
        ansatz.rz(w[3 + q], q)
    pts = np.random.default_rng(3).uniform(-3, 3, (2, 5, 6))
    obs = ["Z0 Z1", [(0.5, "X2"), (1.0, "Y0")]]
    serial = tb.expectation(ansatz, obs, pts, engine="mps")
    for executor in (2, client):
        got = tb.expectation(ansatz, obs, pts, engine="mps", executor=executor)
        np.testing.assert_array_equal(got.values, serial.values)
        np.testing.assert_array_equal(got.fidelity, serial.fidelity)
    g_serial = tb.gradient(ansatz, obs[0], pts[0], engine="mps")
    g_dask = tb.gradient(ansatz, obs[0], pts[0], engine="mps", executor=client)
    np.testing.assert_array_equal(g_dask.grad, g_serial.grad)
    np.testing.assert_array_equal(g_dask.value, g_serial.value)


def test_a_failing_item_comes_back_with_its_index_and_message(client) -> None:
    for executor in (None, 2, client):
        with pytest.raises(tb.ItemError, match=r"item 3 failed: ValueError: three is not allowed"):
            tb.map(_fails_on_three, range(8), executor=executor, chunk_size=2)
    with pytest.raises(tb.ItemError) as info:
        tb.map(_fails_on_three, range(8), executor=2)
    assert info.value.index == 3 and info.value.kind == "ValueError"
    assert isinstance(info.value.__cause__, ValueError)


def test_an_unreachable_scheduler_is_refused_not_waited_for() -> None:
    # The refusal comes from the connect timeout tb.map sets (5 s, named in the
    # message); the thread only guards the suite against a hang.
    caught: list[BaseException] = []

    def call() -> None:
        try:
            tb.map(abs, [1, 2], executor="tcp://127.0.0.1:9")
        except BaseException as exc:
            caught.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "tb.map hung on an unreachable scheduler"
    assert len(caught) == 1 and isinstance(caught[0], ConnectionError)
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 5 s" in str(caught[0])


def test_bad_executors_are_refused() -> None:
    with pytest.raises(ValueError, match="executor must be"):
        tb.map(abs, [1], executor=b"not an address")
    with pytest.raises(ValueError, match="executor must be"):
        tb.map(abs, [1], executor=True)
    with pytest.raises(ValueError, match="at least 1"):
        tb.map(abs, [1], executor=0)
    with pytest.raises(ValueError, match="chunk_size"):
        tb.map(abs, [1], chunk_size=0)


def test_a_worker_killed_mid_batch_loses_nothing(client) -> None:
    items = list(range(12))
    want = [_slow_state(q) for q in items]
    workers = list(client.scheduler_info()["workers"])
    tb.map(_slow_state, items[:2], executor=client, chunk_size=1)  # warm the workers

    def kill_one() -> None:
        time.sleep(0.4)
        # The worker dies before it can answer: the call's own error is expected.
        with contextlib.suppress(Exception):
            client.run(os._exit, 1, workers=[workers[0]])

    killer = threading.Thread(target=kill_one)
    killer.start()
    got = tb.map(_slow_state, items, executor=client, chunk_size=1)
    killer.join()
    assert got == want
    assert workers[0] not in client.scheduler_info()["workers"]  # it did die (and restart)


def _teleport() -> tb.Circuit:
    c = tb.Circuit(3, num_clbits=3).ry(1.1, 0).h(1).cx(1, 2).cx(0, 1).h(0)
    c.measure(0, 0).measure(1, 1)
    c.append("x", [2], condition=tb.Condition((1,), 1))
    c.append("z", [2], condition=tb.Condition((0,), 1))
    return c.measure(2, 2)


def test_shots_of_dynamic_and_noisy_circuits_split_into_seeded_blocks(client) -> None:
    noise = tb.NoiseModel().add(tb.depolarizing(0.05), gates=["h", "cx"])
    for circ, kw in ((_teleport(), {}), (_bell_with(0.7), {"noise": noise})):
        serial = tb.run(circ, shots=6000, seed=5, executor=1, shot_block=1000, **kw)
        assert serial.shots == 6000 and sum(serial.counts.values()) == 6000
        for executor in (2, client):
            got = tb.run(circ, shots=6000, seed=5, executor=executor, shot_block=1000, **kw)
            assert got.counts == serial.counts
            assert got.branches == serial.branches
            assert got.fidelity_estimate == serial.fidelity_estimate
        # the blocks are runs of their own: block b is tb.run with child seed b
        seeds = tb.child_seeds(5, 6)
        merged: dict[str, int] = {}
        for s in seeds:
            for k, v in tb.run(circ, shots=1000, seed=s, **kw).counts.items():
                merged[k] = merged.get(k, 0) + v
        assert merged == serial.counts
    # teleportation is exact: qubit 2 carries ry(1.1)|0>, P(1) = sin^2(0.55)
    tele = tb.run(_teleport(), shots=20000, seed=1, executor=client, memory=True)
    p1 = sum(v for k, v in tele.counts.items() if k[0] == "1") / 20000
    assert abs(p1 - np.sin(0.55) ** 2) < 0.015
    assert len(tele.memory) == 20000
    # a circuit whose measurements are all final is sampled once, never split
    static = tb.run(_bell_with(0.7), shots=5000, seed=2, executor=client)
    assert static.counts == tb.run(_bell_with(0.7), shots=5000, seed=2).counts


def test_compression_on_workers_equals_serial(client) -> None:
    rng = np.random.default_rng(8)
    # low-rank-ish layers, so the budget has real choices to make
    weights = {
        f"layer{i}": rng.normal(size=(96, 8)) @ rng.normal(size=(8, 64))
        + 0.01 * rng.normal(size=(96, 64))
        for i in range(4)
    }
    weights["bias"] = rng.normal(size=(64,))
    small, report = tb.compress(weights, ratio=6)
    for executor in (2, client):
        got, rep = tb.compress(weights, ratio=6, executor=executor)
        assert str(rep) == str(report)
        for name in weights:
            np.testing.assert_array_equal(tb.to_dense(got)[name], tb.to_dense(small)[name])


_NO_DEFAULT_CLIENT = """
import distributed, tensorbond as tb
with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as c:
    with distributed.Client(c, set_as_default=False) as other:
        assert tb.map(abs, [-1, -2, 3], executor=other, chunk_size=1) == [1, 2, 3]
    assert tb.map(abs, [-4, 5], executor=c.scheduler_address) == [4, 5]
print("ok")
"""


def test_a_client_that_is_not_the_default_one_works() -> None:
    # In a fresh process: no default client to fall back on (an address we
    # connect to, or a Client made with set_as_default=False).
    out = subprocess.run(
        [sys.executable, "-c", _NO_DEFAULT_CLIENT], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]
