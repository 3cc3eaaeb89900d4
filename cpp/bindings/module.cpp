#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_errors(py::module_& m);
void register_truncation(py::module_& m);
void register_kernels(py::module_& m);
void register_mps(py::module_& m);
void register_statevector(py::module_& m);
void register_tt(py::module_& m);
void register_threads(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "Private compiled kernels; use the tensorbond package.";
    register_errors(m);     // first: later registrations may raise these types
    register_truncation(m); // before the functions that take a TruncationSpec
    register_kernels(m);
    register_mps(m);
    register_statevector(m);
    register_tt(m);
    register_threads(m);
}
