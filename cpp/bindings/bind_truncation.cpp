// The truncation policy as one typed value: Python builds a TruncationSpec once
// per call site and every truncating binding takes it as it is.
#include <string>

#include "common.hpp"

namespace tb = tensorbond;

void register_truncation(py::module_& m) {
    py::enum_<tb::CutoffMode>(m, "CutoffMode",
                              "How a cutoff is applied (quimb's names).")
        .value("rsum2", tb::CutoffMode::rsum2)
        .value("sum2", tb::CutoffMode::sum2)
        .value("rel", tb::CutoffMode::rel)
        .value("abs", tb::CutoffMode::abs);

    py::enum_<tb::SplitMethod>(m, "SplitMethod",
                               "How a truncated split factorizes (see split.hpp).")
        .value("svd", tb::SplitMethod::svd)
        .value("eig", tb::SplitMethod::eig)
        .value("rand", tb::SplitMethod::rand)
        .value("qr", tb::SplitMethod::qr)
        .value("auto", tb::SplitMethod::automatic);

    py::enum_<tb::Gauge>(m, "Gauge",
                         "How a state's gauge is kept (see truncation.hpp).")
        .value("canonical", tb::Gauge::canonical)
        .value("vidal", tb::Gauge::vidal);

    py::enum_<tb::GateOrder>(m, "GateOrder",
                             "The order commuting gates run in (see truncation.hpp).")
        .value("sweep", tb::GateOrder::sweep)
        .value("circuit", tb::GateOrder::circuit);

    py::class_<tb::TruncationSpec>(m, "TruncationSpec",
                                   "Validated truncation policy as the core takes it.")
        .def(py::init(&tb::bindings::make_spec), py::kw_only(),
             py::arg("max_bond") = py::none(), py::arg("cutoff") = 0.0,
             py::arg("mode") = tb::CutoffMode::rsum2, py::arg("renormalize") = false,
             py::arg("split") = tb::SplitMethod::svd,
             py::arg("gauge") = tb::Gauge::canonical,
             py::arg("order") = tb::GateOrder::sweep)
        .def_property_readonly("max_bond",
                               [](const tb::TruncationSpec& s) { return s.max_bond; })
        .def_property_readonly("cutoff",
                               [](const tb::TruncationSpec& s) { return s.cutoff; })
        .def_property_readonly("mode",
                               [](const tb::TruncationSpec& s) { return s.mode; })
        .def_property_readonly(
            "renormalize", [](const tb::TruncationSpec& s) { return s.renormalize; })
        .def_property_readonly("split",
                               [](const tb::TruncationSpec& s) { return s.split; })
        .def_property_readonly("gauge",
                               [](const tb::TruncationSpec& s) { return s.gauge; })
        .def_property_readonly("order",
                               [](const tb::TruncationSpec& s) { return s.order; })
        .def("__repr__", [](const tb::TruncationSpec& s) {
            const std::string bond =
                s.max_bond ? std::to_string(*s.max_bond) : std::string("None");
            return "TruncationSpec(max_bond=" + bond +
                   ", cutoff=" + std::string(py::repr(py::float_(s.cutoff))) +
                   ", mode=" + std::string(py::str(py::cast(s.mode))) +
                   ", renormalize=" + (s.renormalize ? "True" : "False") +
                   ", split=" + std::string(py::str(py::cast(s.split))) +
                   ", gauge=" + std::string(py::str(py::cast(s.gauge))) +
                   ", order=" + std::string(py::str(py::cast(s.order))) + ")";
        });
}
