#pragma once
// Shared helpers for the bindings: array <-> buffer conversion, truncation specs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <complex>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tensorbond/errors.hpp"
#include "tensorbond/gate.hpp"
#include "tensorbond/truncation.hpp"

namespace py = pybind11;

namespace tensorbond::bindings {

template <class T> using carray = py::array_t<T, py::array::c_style>;

/// Hand a vector over to numpy without a copy: a capsule owns the heap vector.
template <class T>
py::array_t<T> hand_over(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
    auto* owner = new std::vector<T>(std::move(v));
    py::capsule free_it(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(std::move(shape), owner->data(), free_it);
}

/// The checked TruncationSpec behind _core.TruncationSpec(...): max_bond None
/// means unlimited; tensorbond.Truncation has already given friendlier messages.
inline TruncationSpec make_spec(std::optional<long long> max_bond, double cutoff,
                                CutoffMode mode, bool renormalize, SplitMethod split,
                                Gauge gauge = Gauge::canonical,
                                GateOrder order = GateOrder::sweep) {
    TruncationSpec spec;
    if (max_bond) {
        if (*max_bond < 1)
            throw ShapeError("max_bond must be >= 1 or None, got " +
                             std::to_string(*max_bond));
        spec.max_bond = std::size_t(*max_bond);
    }
    if (!(cutoff >= 0.0))
        throw ShapeError("cutoff must be >= 0, got " + std::to_string(cutoff));
    spec.cutoff = cutoff;
    spec.mode = mode;
    spec.renormalize = renormalize;
    spec.split = split;
    spec.gauge = gauge;
    spec.order = order;
    return spec;
}

inline std::vector<std::size_t> shape_of(const py::array& a) {
    std::vector<std::size_t> s(std::size_t(a.ndim()));
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
        s[std::size_t(i)] = std::size_t(a.shape(i));
    return s;
}

/// One gate from Python's qubit list and (2^k, 2^k) matrix, checked (1 to 3
/// qubits, the matrix's shape); the matrix must outlive the GateRef.
inline GateRef gate_ref(const std::vector<std::uint32_t>& qubits,
                        const carray<std::complex<double>>& matrix) {
    const std::size_t k = qubits.size();
    if (k < 1 || k > 3)
        throw ShapeError("gates act on 1 to 3 qubits");
    const py::ssize_t d = py::ssize_t(1) << k;
    if (matrix.ndim() != 2 || matrix.shape(0) != d || matrix.shape(1) != d)
        throw ShapeError("gate on " + std::to_string(k) + " qubit(s) needs a (" +
                         std::to_string(d) + ", " + std::to_string(d) + ") matrix");
    GateRef g;
    g.arity = std::uint32_t(k);
    for (std::size_t j = 0; j < k; ++j)
        g.qubits[j] = qubits[j];
    g.matrix = matrix.data();
    return g;
}

/// Gates [start, stop) of a compiled circuit's flat arrays (qubits (n, 3), arity,
/// offsets into `matrices`), checked against `num_qubits`. Reads numpy buffers:
/// call with the GIL held or the arrays otherwise kept alive and unchanged.
inline std::vector<GateRef> gate_refs(const carray<std::int64_t>& qubits,
                                      const carray<std::int64_t>& arity,
                                      const carray<std::int64_t>& offsets,
                                      const carray<std::complex<double>>& matrices,
                                      std::size_t start, std::size_t stop,
                                      std::size_t num_qubits) {
    const std::size_t count = std::size_t(arity.shape(0));
    if (qubits.ndim() != 2 || std::size_t(qubits.shape(0)) != count ||
        qubits.shape(1) != 3 || std::size_t(offsets.shape(0)) != count)
        throw ShapeError("compiled circuit arrays disagree in length");
    if (start > stop || stop > count)
        throw ShapeError("gate range [" + std::to_string(start) + ", " +
                         std::to_string(stop) + ") outside 0.." +
                         std::to_string(count));
    const std::size_t total = std::size_t(matrices.size());
    auto q = qubits.unchecked<2>();
    auto a = arity.unchecked<1>();
    auto o = offsets.unchecked<1>();
    std::vector<GateRef> gates(stop - start);
    for (std::size_t k = start; k < stop; ++k) {
        const std::int64_t ar = a(py::ssize_t(k));
        if (ar < 1 || ar > 3)
            throw ShapeError("gate arity must be 1..3");
        const std::size_t d = std::size_t(1) << ar;
        const std::int64_t off = o(py::ssize_t(k));
        if (off < 0 || std::size_t(off) + d * d > total)
            throw ShapeError("gate matrix offset out of range");
        GateRef& g = gates[k - start];
        g.arity = std::uint32_t(ar);
        for (std::int64_t j = 0; j < ar; ++j) {
            const std::int64_t qq = q(py::ssize_t(k), py::ssize_t(j));
            if (qq < 0 || std::size_t(qq) >= num_qubits)
                throw SiteError("qubit " + std::to_string(qq) +
                                " is out of range for " + std::to_string(num_qubits) +
                                " qubits");
            g.qubits[std::size_t(j)] = std::uint32_t(qq);
        }
        g.matrix = matrices.data() + off;
    }
    return gates;
}

/// Ctrl-C while compiled code runs without the GIL: every 50 ms the returned
/// callback takes the GIL and lets Python look at its signals (throwing if one
/// raised). Call it only where no thread waits for a lock while holding the GIL.
inline std::function<void()> signal_poll() {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(
        std::chrono::steady_clock::now());
    return [last] {
        const auto now = std::chrono::steady_clock::now();
        if (now - *last < std::chrono::milliseconds(50))
            return;
        *last = now;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0)
            throw py::error_already_set();
    };
}

} // namespace tensorbond::bindings
