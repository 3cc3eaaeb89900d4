// Thread control: the bundled OpenBLAS's thread count (process-wide).
#include <pybind11/pybind11.h>

#include "tensorbond/linalg.hpp"

namespace py = pybind11;

void register_threads(py::module_& m) {
    m.def("set_num_threads", &tensorbond::set_blas_threads, py::arg("n"),
          "Set the number of BLAS/LAPACK threads.");
    m.def("get_num_threads", &tensorbond::get_blas_threads,
          "The number of BLAS/LAPACK threads.");
}
