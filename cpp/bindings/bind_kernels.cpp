// Dense kernels: permute, pairwise contraction, SVD, QR. One function per dtype,
// suffixed with its numpy name; tensorbond.linalg picks by dtype and validates.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "tensorbond/contract.hpp"
#include "tensorbond/linalg.hpp"
#include "tensorbond/split.hpp"

namespace tb = tensorbond;
using tb::bindings::carray;
using tb::bindings::hand_over;
using tb::bindings::shape_of;

namespace {

std::vector<py::ssize_t> to_ssize(const std::vector<std::size_t>& s) {
    return {s.begin(), s.end()};
}

std::pair<std::size_t, std::size_t> matrix_dims(const py::array& a, const char* fn) {
    if (a.ndim() != 2) {
        std::string shape = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i) {
            if (i)
                shape += ", ";
            shape += std::to_string(a.shape(i));
        }
        throw tb::ShapeError(std::string(fn) + " needs a 2-D array, got shape " +
                             shape + (a.ndim() == 1 ? ",)" : ")"));
    }
    return {std::size_t(a.shape(0)), std::size_t(a.shape(1))};
}

template <tb::Scalar T> void register_dtype(py::module_& m, const std::string& suffix) {
    m.def(("permute_" + suffix).c_str(),
          [](const carray<T>& a, const std::vector<std::size_t>& perm) {
              const auto shape = shape_of(a);
              std::vector<py::ssize_t> out_shape(shape.size());
              for (std::size_t k = 0; k < perm.size() && k < shape.size(); ++k)
                  out_shape[k] =
                      perm[k] < shape.size() ? py::ssize_t(shape[perm[k]]) : 0;
              // numpy allocates the result: its allocator uses huge pages for big
              // arrays.
              carray<T> out(out_shape);
              const T* src = a.data();
              T* dst = out.mutable_data();
              {
                  py::gil_scoped_release nogil;
                  tb::permute<T>(src, shape, perm, dst);
              }
              return out;
          },
          py::arg("a").noconvert(), py::arg("perm"),
          "Contiguous transpose of a C-contiguous array (numpy.transpose semantics).");

    m.def(("contract_pair_" + suffix).c_str(),
          [](const carray<T>& a, const std::vector<int>& labels_a, const carray<T>& b,
             const std::vector<int>& labels_b, const std::vector<int>& labels_out) {
              const auto sa = shape_of(a), sb = shape_of(b);
              carray<T> out(to_ssize(
                  tb::contract_pair_shape(sa, labels_a, sb, labels_b, labels_out)));
              const T* pa = a.data();
              const T* pb = b.data();
              T* dst = out.mutable_data();
              {
                  py::gil_scoped_release nogil;
                  tb::contract_pair_into<T>(pa, sa, labels_a, pb, sb, labels_b,
                                            labels_out, dst);
              }
              return out;
          },
          py::arg("a").noconvert(), py::arg("labels_a"), py::arg("b").noconvert(),
          py::arg("labels_b"), py::arg("labels_out"),
          "Pairwise contraction of labelled C-contiguous arrays (one einsum step).");

    m.def(("svd_" + suffix).c_str(),
          [](const carray<T>& a, const tb::TruncationSpec& spec) {
              const auto [rows, cols] = matrix_dims(a, "svd");
              const T* src = a.data();
              tb::SvdResult<T> r;
              {
                  py::gil_scoped_release nogil;
                  // svd overwrites its input: work on a copy.
                  std::vector<T> work(src, src + rows * cols);
                  r = tb::svd<T>(work.data(), rows, cols, spec);
              }
              const auto kept = py::ssize_t(r.s.size());
              const auto m_ = py::ssize_t(rows), n_ = py::ssize_t(cols);
              return py::make_tuple(hand_over(std::move(r.u), {m_, kept}),
                                    hand_over(std::move(r.s), {kept}),
                                    hand_over(std::move(r.vh), {kept, n_}),
                                    r.info.discarded_weight, r.info.total_weight);
          },
          py::arg("a").noconvert(), py::arg("spec"),
          "Truncated SVD a = u diag(s) vh; returns (u, s, vh, discarded_weight, "
          "total_weight).");

    m.def(("singular_values_" + suffix).c_str(),
          [](const carray<T>& a) {
              const auto [rows, cols] = matrix_dims(a, "singular_values");
              const T* src = a.data();
              std::vector<tb::real_t<T>> s;
              {
                  py::gil_scoped_release nogil;
                  std::vector<T> work(src, src + rows * cols);
                  s = tb::singular_values<T>(work.data(), rows, cols);
              }
              const auto k = py::ssize_t(s.size());
              return hand_over(std::move(s), {k});
          },
          py::arg("a").noconvert(), "Singular values, descending.");

    m.def(("qr_" + suffix).c_str(),
          [](const carray<T>& a) {
              const auto [rows, cols] = matrix_dims(a, "qr");
              const T* src = a.data();
              std::vector<T> q, r;
              {
                  py::gil_scoped_release nogil;
                  tb::require_finite(src, rows * cols, "matrix to factorize");
                  q.assign(src, src + rows * cols);
                  tb::qr<T>(q, rows, cols, r);
              }
              const auto k = py::ssize_t(std::min(rows, cols));
              return py::make_tuple(hand_over(std::move(q), {py::ssize_t(rows), k}),
                                    hand_over(std::move(r), {k, py::ssize_t(cols)}));
          },
          py::arg("a").noconvert(), "Reduced QR a = q r; returns (q, r).");

    if constexpr (tb::scalar_traits<T>::is_complex) {
        m.def(("split_" + suffix).c_str(),
              [](const carray<T>& a, const tb::TruncationSpec& spec, bool absorb_right,
                 const std::optional<carray<T>>& basis) {
                  const auto [rows, cols] = matrix_dims(a, "split");
                  std::size_t nb = 0;
                  const T* pb = nullptr;
                  if (basis) {
                      const auto [br, bc] = matrix_dims(*basis, "split basis");
                      if (bc != (absorb_right ? cols : rows))
                          throw tb::ShapeError(
                              "split basis rows must have " +
                              std::to_string(absorb_right ? cols : rows) + " entries");
                      nb = br;
                      pb = basis->data();
                      tb::require_finite(pb, br * bc, "split basis");
                  }
                  const T* src = a.data();
                  tb::SplitFactors<T> f;
                  {
                      py::gil_scoped_release nogil;
                      std::vector<T> work(src, src + rows * cols);
                      f = tb::split<T>(work, rows, cols, spec, absorb_right, pb, nb);
                  }
                  const auto k = py::ssize_t(f.k);
                  const char* names[] = {"svd", "eig", "rand", "qr", "auto"};
                  return py::make_tuple(
                      hand_over(std::move(f.left), {py::ssize_t(rows), k}),
                      hand_over(std::move(f.right), {k, py::ssize_t(cols)}),
                      f.info.discarded_weight, f.info.total_weight,
                      names[std::size_t(f.used)], f.fell_back, f.madds);
              },
              py::arg("a").noconvert(), py::arg("spec"), py::arg("absorb_right"),
              py::arg("basis") = py::none(),
              "Truncated split a ~ left right by spec.split; returns (left, right, "
              "discarded_weight, total_weight, route, fell_back, madds).");
    }
}

} // namespace

void register_kernels(py::module_& m) {
#define TENSORBOND_REGISTER(T) register_dtype<T>(m, tb::scalar_traits<T>::name);
    TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_REGISTER)
#undef TENSORBOND_REGISTER
}
