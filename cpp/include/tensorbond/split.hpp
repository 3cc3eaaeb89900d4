#pragma once
// Truncated splits a = left * right for the MPS engine, by four routes: a full
// SVD, an eigen-decomposition of the Gram matrix, a randomized range finder, and
// a QR of the tensor on a supplied row basis (QR-based TEBD); plus the cost model
// `SplitMethod::automatic` chooses by.
//
// Every route returns an exactly orthonormal factor Q on the isometry side and
// the other factor as Q^dag a (never a division by singular values), so the
// approximation left * right = Q Q^dag a is an orthogonal projection of a and its
// error is ||a||^2 - ||right||^2: the discarded weight each route reports is that
// difference, whatever subspace the route found.
#include <array>
#include <cstddef>
#include <vector>

#include "tensorbond/scalar.hpp"
#include "tensorbond/truncation.hpp"

namespace tensorbond {

template <ComplexScalar T> struct SplitFactors {
    std::vector<T> left;  // (rows, k) row-major
    std::vector<T> right; // (k, cols) row-major
    std::size_t k = 0;
    TruncationInfo info;
    SplitMethod used = SplitMethod::svd; // the route that made the factors
    bool fell_back = false;              // a Gram route handed over to the SVD
    double madds = 0.0; // GEMM/QR work of the route, in complex multiply-adds
};

/// a[rows, cols] (row-major, overwritten) = left right, truncated by `spec`
/// with the route `spec.split`. With `absorb_right`, left has orthonormal
/// columns; otherwise right has orthonormal rows. `basis` (basis_dim rows,
/// row-major) is for the qr route: its rows span the row space of a when
/// absorb_right, and the row space of a^dag otherwise; without it qr (and
/// automatic) use the other routes.
template <ComplexScalar T>
SplitFactors<T> split(std::vector<T>& a, std::size_t rows, std::size_t cols,
                      const TruncationSpec& spec, bool absorb_right,
                      const T* basis = nullptr, std::size_t basis_dim = 0);

/// The route `SplitMethod::automatic` takes for this shape (never automatic):
/// the cheapest of the routes under the cost model, SVD for small matrices.
SplitMethod choose_split(std::size_t rows, std::size_t cols, const TruncationSpec& spec,
                         std::size_t basis_dim);

/// The cost model's estimate of a route's time, in units of one complex GEMM
/// multiply-add (measured ratios; see bench/tensorbond_bench/split_costs.py).
double split_cost(SplitMethod method, std::size_t rows, std::size_t cols,
                  const TruncationSpec& spec, std::size_t basis_dim);

#define TENSORBOND_SPLIT_EXTERN(T)                                                     \
    extern template SplitFactors<T> split<T>(std::vector<T>&, std::size_t,             \
                                             std::size_t, const TruncationSpec&, bool, \
                                             const T*, std::size_t);
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_SPLIT_EXTERN)
#undef TENSORBOND_SPLIT_EXTERN

} // namespace tensorbond
