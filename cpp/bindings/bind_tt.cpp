// TT-matrix: one class per dtype (TtMatrix_float32, ...); tensorbond.tt picks by
// dtype, validates with friendly messages and owns the public API.
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "tensorbond/tt.hpp"

namespace tensorbond::bindings {
namespace {

TtSweep parse_sweep(const std::string& s) {
    if (s == "left_to_right")
        return TtSweep::left_to_right;
    if (s == "right_to_left")
        return TtSweep::right_to_left;
    throw ShapeError("order must be 'auto', 'left_to_right' or 'right_to_left', got '" +
                     s + "'");
}

/// The plan for `order` ("auto" or a sweep) and group `bounds` (empty: one core
/// per group; ignored for "auto").
template <Scalar T>
TtPlan plan_for(const TtMatrix<T>& tt, std::size_t batch, bool batch_last,
                const std::string& order, std::vector<std::size_t> bounds) {
    if (order == "auto")
        return tt.best_plan(batch, batch_last);
    const TtSweep sweep = parse_sweep(order);
    if (bounds.empty())
        for (std::size_t k = 0; k <= tt.num_cores(); ++k)
            bounds.push_back(k);
    return tt.make_plan(sweep, std::move(bounds));
}

/// The TT's norm and error bound assume unscaled singular values.
void no_renormalize(const TruncationSpec& spec) {
    if (spec.renormalize)
        throw ShapeError("TT truncation does not renormalize: pass renormalize=False");
}

py::tuple plan_tuple(const TtPlan& p) {
    return py::make_tuple(to_string(p.sweep), p.bounds, p.merge_macs, p.sweep_macs);
}

template <Scalar T> void register_one(py::module_& m, const std::string& suffix) {
    using TT = TtMatrix<T>;
    using R = real_t<T>;
    py::class_<TT>(m, ("TtMatrix_" + suffix).c_str())
        .def_static(
            "from_dense",
            [](const carray<T>& w, std::vector<std::size_t> out_modes,
               std::vector<std::size_t> in_modes, const TruncationSpec& spec) {
                no_renormalize(spec);
                if (w.ndim() != 2)
                    throw ShapeError("from_dense needs a 2-D matrix, got " +
                                     std::to_string(w.ndim()) + " dimensions");
                std::size_t mm = 1, nn = 1;
                for (auto v : out_modes)
                    mm *= v;
                for (auto v : in_modes)
                    nn *= v;
                if (std::size_t(w.shape(0)) != mm || std::size_t(w.shape(1)) != nn)
                    throw ShapeError("matrix of shape (" + std::to_string(w.shape(0)) +
                                     ", " + std::to_string(w.shape(1)) +
                                     ") does not match modes " + "with products (" +
                                     std::to_string(mm) + ", " + std::to_string(nn) +
                                     ")");
                const T* data = w.data();
                py::gil_scoped_release nogil;
                return TT::from_dense(data, std::move(out_modes), std::move(in_modes),
                                      spec);
            },
            py::arg("w").noconvert(), py::arg("out_modes"), py::arg("in_modes"),
            py::arg("spec"), "TT-SVD of a C-contiguous matrix.")
        .def_static(
            "from_cores",
            [](const std::vector<carray<T>>& cores, double norm_squared,
               double discarded, double error_bound) {
                std::vector<std::size_t> out_modes, in_modes, ranks;
                std::vector<std::vector<T>> data;
                for (std::size_t k = 0; k < cores.size(); ++k) {
                    const auto& c = cores[k];
                    if (c.ndim() != 4)
                        throw ShapeError(
                            "core " + std::to_string(k) + " has " +
                            std::to_string(c.ndim()) +
                            " dimensions, expected 4 (r_left, m, n, r_right)");
                    if (k == 0)
                        ranks.push_back(std::size_t(c.shape(0)));
                    else if (std::size_t(c.shape(0)) != ranks.back())
                        throw ShapeError("core " + std::to_string(k) +
                                         " has left rank " +
                                         std::to_string(c.shape(0)) + " but core " +
                                         std::to_string(k - 1) + " has right rank " +
                                         std::to_string(ranks.back()));
                    out_modes.push_back(std::size_t(c.shape(1)));
                    in_modes.push_back(std::size_t(c.shape(2)));
                    ranks.push_back(std::size_t(c.shape(3)));
                    data.emplace_back(c.data(), c.data() + c.size());
                }
                py::gil_scoped_release nogil;
                return TT(std::move(out_modes), std::move(in_modes), std::move(ranks),
                          std::move(data), norm_squared, discarded, error_bound);
            },
            py::arg("cores"), py::arg("norm_squared"), py::arg("discarded_weight"),
            py::arg("error_bound"),
            "From (r_left, m, n, r_right) cores (copied); norm_squared < 0: the TT's "
            "own.")
        .def_property_readonly("num_cores", &TT::num_cores)
        .def_property_readonly("out_modes", &TT::out_modes)
        .def_property_readonly("in_modes", &TT::in_modes)
        .def_property_readonly("ranks", &TT::ranks)
        .def_property_readonly("num_params", &TT::num_params)
        .def_property_readonly("discarded_weight", &TT::discarded_weight)
        .def_property_readonly("norm_squared", &TT::norm_squared)
        .def_property_readonly("error_bound", &TT::error_bound)
        .def(
            "core",
            [](py::object self_obj, std::size_t k) {
                const TT& self = self_obj.cast<const TT&>();
                if (k >= self.num_cores())
                    throw SiteError("core " + std::to_string(k) +
                                    " is out of range for " +
                                    std::to_string(self.num_cores()) + " cores");
                const auto& r = self.ranks();
                std::vector<py::ssize_t> shape{
                    py::ssize_t(r[k]), py::ssize_t(self.out_modes()[k]),
                    py::ssize_t(self.in_modes()[k]), py::ssize_t(r[k + 1])};
                py::array_t<T> view(shape, self.core(k).data(), self_obj);
                view.attr("setflags")(py::arg("write") = false);
                return view;
            },
            py::arg("k"), "Read-only view of core k (its base is this object).")
        .def("to_dense",
             [](const TT& self) {
                 std::vector<T> w;
                 {
                     py::gil_scoped_release nogil;
                     w = self.to_dense();
                 }
                 return hand_over(std::move(w), {py::ssize_t(self.out_size()),
                                                 py::ssize_t(self.in_size())});
             })
        .def(
            "rounded",
            [](const TT& self, const TruncationSpec& spec) {
                no_renormalize(spec);
                py::gil_scoped_release nogil;
                return self.rounded(spec);
            },
            py::arg("spec"))
        .def(
            "cut_singular_values",
            [](const TT& self) {
                std::vector<std::vector<R>> values;
                {
                    py::gil_scoped_release nogil;
                    (void)self.rounded(TruncationSpec{}, &values);
                }
                py::list out;
                for (auto& v : values) {
                    const auto k = py::ssize_t(v.size());
                    out.append(hand_over(std::move(v), {k}));
                }
                return out;
            },
            "Singular values of W across each of the d - 1 cuts (after "
            "canonicalizing).")
        .def(
            "plan",
            [](const TT& self, std::size_t batch, bool batch_last,
               const std::string& order, std::vector<std::size_t> bounds) {
                return plan_tuple(
                    plan_for(self, batch, batch_last, order, std::move(bounds)));
            },
            py::arg("batch"), py::arg("batch_last"), py::arg("order") = "auto",
            py::arg("bounds") = std::vector<std::size_t>{},
            "(sweep, group bounds, merge_macs, sweep_macs) of the plan forward uses.")
        .def(
            "forward",
            [](const TT& self, const carray<T>& x, bool batch_last,
               const std::string& order, std::vector<std::size_t> bounds) {
                const std::size_t nn = self.in_size(), mm = self.out_size();
                if (x.ndim() != 2)
                    throw ShapeError("forward needs a 2-D array, got " +
                                     std::to_string(x.ndim()) + " dimensions");
                const std::size_t in_axis = batch_last ? 0 : 1;
                const std::size_t batch = std::size_t(x.shape(batch_last ? 1 : 0));
                if (std::size_t(x.shape(py::ssize_t(in_axis))) != nn)
                    throw ShapeError(
                        "x has " + std::to_string(x.shape(py::ssize_t(in_axis))) +
                        " entries along its input axis, the TT-matrix has " +
                        std::to_string(nn) + " columns");
                const TtPlan plan =
                    plan_for(self, batch, batch_last, order, std::move(bounds));
                std::vector<py::ssize_t> shape =
                    batch_last
                        ? std::vector<py::ssize_t>{py::ssize_t(mm), py::ssize_t(batch)}
                        : std::vector<py::ssize_t>{py::ssize_t(batch), py::ssize_t(mm)};
                carray<T> y(shape);
                const T* px = x.data();
                T* py_ = y.mutable_data();
                {
                    py::gil_scoped_release nogil;
                    self.forward(px, batch, batch_last, py_, plan);
                }
                return y;
            },
            py::arg("x").noconvert(), py::arg("batch_last"), py::arg("order") = "auto",
            py::arg("bounds") = std::vector<std::size_t>{},
            "y = x @ W.T for x (batch, N) or, with batch_last, y = W @ x for x (N, "
            "batch).");
}

} // namespace
} // namespace tensorbond::bindings

void register_tt(py::module_& m) {
    using namespace tensorbond::bindings;
#define TENSORBOND_REGISTER(T) register_one<T>(m, tensorbond::scalar_traits<T>::name);
    TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_REGISTER)
#undef TENSORBOND_REGISTER
}
