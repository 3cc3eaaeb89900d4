#pragma once
// Shared helpers for the bindings: array <-> buffer conversion, option parsing.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <complex>
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

inline CutoffMode parse_cutoff_mode(const std::string& mode) {
    if (mode == "rsum2") return CutoffMode::rsum2;
    if (mode == "sum2") return CutoffMode::sum2;
    if (mode == "rel") return CutoffMode::rel;
    if (mode == "abs") return CutoffMode::abs;
    throw ShapeError("cutoff_mode must be one of 'rsum2', 'sum2', 'rel', 'abs', got '" +
                     mode + "'");
}

/// max_bond <= 0 means unlimited (Python passes None as 0).
inline TruncationSpec make_spec(long long max_bond, double cutoff, const std::string& mode,
                                bool renormalize) {
    TruncationSpec spec;
    if (max_bond > 0) spec.max_bond = std::size_t(max_bond);
    if (!(cutoff >= 0.0)) throw ShapeError("cutoff must be >= 0, got " + std::to_string(cutoff));
    spec.cutoff = cutoff;
    spec.mode = parse_cutoff_mode(mode);
    spec.renormalize = renormalize;
    return spec;
}

inline std::vector<std::size_t> shape_of(const py::array& a) {
    std::vector<std::size_t> s(std::size_t(a.ndim()));
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s[std::size_t(i)] = std::size_t(a.shape(i));
    return s;
}

}  // namespace tensorbond::bindings
