#pragma once
// Shared helpers for the bindings: array <-> buffer conversion, truncation specs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <complex>
#include <optional>
#include <string>
#include <vector>

#include "tensorbond/errors.hpp"
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
                                CutoffMode mode, bool renormalize) {
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
    return spec;
}

inline std::vector<std::size_t> shape_of(const py::array& a) {
    std::vector<std::size_t> s(std::size_t(a.ndim()));
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
        s[std::size_t(i)] = std::size_t(a.shape(i));
    return s;
}

} // namespace tensorbond::bindings
