#include <pybind11/pybind11.h>

#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"

namespace py = pybind11;

void register_errors(py::module_& m) {
    py::register_exception<tensorbond::LinAlgError>(m, "LinAlgError", PyExc_ArithmeticError);
    py::register_exception<tensorbond::NotImplementedError>(m, "NotImplementedError",
                                                             PyExc_NotImplementedError);
    m.def("set_num_threads", &tensorbond::set_blas_threads, py::arg("n"),
          "Set the number of BLAS/LAPACK threads.");
    m.def("get_num_threads", &tensorbond::get_blas_threads,
          "The number of BLAS/LAPACK threads.");
}
