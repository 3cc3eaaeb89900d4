#include <pybind11/pybind11.h>

#include "tensorbond/errors.hpp"

namespace py = pybind11;

void register_errors(py::module_& m) {
    py::register_exception<tensorbond::LinAlgError>(m, "LinAlgError",
                                                    PyExc_ArithmeticError);
    py::register_exception<tensorbond::NotImplementedError>(m, "NotImplementedError",
                                                            PyExc_NotImplementedError);
}
