#pragma once
// Tensor-train matrix (TT-matrix, an MPO) with d cores:
//   W[(i_0 .. i_{d-1}), (j_0 .. j_{d-1})]
//     = G_0[1, i_0, j_0, a_0] G_1[a_0, i_1, j_1, a_1] ... G_{d-1}[a_{d-2}, i_{d-1},
//     j_{d-1}, 1]
// Core k has shape (r_k, m_k, n_k, r_{k+1}), row-major, r_0 = r_d = 1; W has shape
// (prod m, prod n) and site 0 is the most significant digit of both indices.
#include <cstddef>
#include <string>
#include <vector>

#include "tensorbond/scalar.hpp"
#include "tensorbond/truncation.hpp"

namespace tensorbond {

/// Direction in which a forward pass absorbs the (grouped) cores into the batch.
enum class TtSweep { left_to_right, right_to_left };

/// How `TtMatrix::forward` contracts. Cores [bounds[g], bounds[g+1]) are first
/// merged into one (work independent of the batch), then the sweep absorbs one
/// group per step: one middle-mode product `out[p, e, q] = sum_c G[e, c] z[p, c, q]`
/// on the working buffer each, no permutes between steps. Merging everything is
/// the dense product `x @ W^T`; one group per core is the plain TT sweep.
struct TtPlan {
    TtSweep sweep = TtSweep::right_to_left;
    std::vector<std::size_t> bounds; ///< 0 = b_0 < b_1 < ... < b_G = d
    std::size_t merge_macs = 0;      ///< multiply-adds of the merges (once per call)
    std::size_t sweep_macs = 0;      ///< multiply-adds of the sweep per batch row
    /// Multiply-adds of a call on `batch` rows (a complex multiply-add counts once).
    std::size_t macs(std::size_t batch) const {
        return merge_macs + batch * sweep_macs;
    }
};

template <Scalar T> class TtMatrix {
  public:
    using R = real_t<T>;

    /// Takes ownership of the cores (shapes implied by the modes and `ranks`, which
    /// has d + 1 entries with ranks[0] = ranks[d] = 1). `norm_squared` is ||W||_F^2
    /// of the matrix this TT approximates (< 0: this TT's own norm, computed);
    /// `discarded` and `error_bound` carry its truncation history. Throws ShapeError
    /// on inconsistent shapes, zero sizes or non-finite entries.
    TtMatrix(std::vector<std::size_t> out_modes, std::vector<std::size_t> in_modes,
             std::vector<std::size_t> ranks, std::vector<std::vector<T>> cores,
             double norm_squared = -1.0, double discarded = 0.0,
             double error_bound = 0.0);

    /// TT-SVD of the row-major (prod out_modes, prod in_modes) matrix `w`: d - 1
    /// truncated SVDs left to right, each truncated by `spec` (relative cutoffs are
    /// relative to that unfolding's own total weight). Cores 0..d-2 come out
    /// left-orthonormal, so ||W - TT||_F^2 <= discarded_weight() (equality in
    /// exact arithmetic). Throws ShapeError on mode/size mismatch or NaN/inf.
    static TtMatrix from_dense(const T* w, std::vector<std::size_t> out_modes,
                               std::vector<std::size_t> in_modes,
                               const TruncationSpec& spec);

    std::size_t num_cores() const { return cores_.size(); }
    const std::vector<std::size_t>& out_modes() const { return out_modes_; }
    const std::vector<std::size_t>& in_modes() const { return in_modes_; }
    /// The d + 1 ranks including the two boundary 1s.
    const std::vector<std::size_t>& ranks() const { return ranks_; }
    std::size_t out_size() const;
    std::size_t in_size() const;
    const std::vector<T>& core(std::size_t k) const { return cores_[k]; }
    std::size_t num_params() const;
    /// Sum of the squares of every singular value dropped in this TT's history.
    double discarded_weight() const { return discarded_; }
    /// ||W||_F^2 of the approximated matrix.
    double norm_squared() const { return norm2_; }
    /// Rigorous bound on ||W - TT||_F (Frobenius, absolute).
    double error_bound() const { return error_bound_; }

    /// The dense (prod m, prod n) matrix, row-major.
    std::vector<T> to_dense() const;

    /// TT rounding: right-to-left LQ orthogonalization, then left-to-right truncated
    /// SVDs of each core (there the singular values are those of the whole TT
    /// across that cut, so rsum2 cutoffs are relative to ||TT||^2). When `cut_values`
    /// is given it receives the (kept) singular values of every cut.
    TtMatrix rounded(const TruncationSpec& spec,
                     std::vector<std::vector<R>>* cut_values = nullptr) const;

    /// Multiply-adds of `plan` on `batch` rows (plan bounds are validated).
    TtPlan make_plan(TtSweep sweep, std::vector<std::size_t> bounds) const;
    /// The plan of least modelled time for `batch` rows: multiply-adds plus a
    /// per-GEMM-call overhead, over both sweeps and every grouping of adjacent cores
    /// (dynamic programming over group boundaries). `batch_last` as for `forward`.
    TtPlan best_plan(std::size_t batch, bool batch_last = false) const;

    /// y = x W^T for `batch` rows: with batch_last == false x is (batch, N) and y
    /// (batch, M), row-major; with batch_last == true x is (N, batch) and y (M,
    /// batch), i.e. y = W x. `y` must not overlap `x`. Working memory is a
    /// thread-local scratch, so distinct threads may call this on one object.
    void forward(const T* x, std::size_t batch, bool batch_last, T* y,
                 const TtPlan& plan) const;

  private:
    TtMatrix() = default;
    void validate_and_prepare();

    std::vector<std::size_t> out_modes_, in_modes_, ranks_;
    std::vector<std::vector<T>> cores_; // (r_k, m_k, n_k, r_{k+1})
    std::vector<std::vector<T>>
        cores_lr_; // the same permuted to (m_k, r_{k+1}, r_k, n_k)
    double norm2_ = 0.0, discarded_ = 0.0, error_bound_ = 0.0;
};

/// "left_to_right" / "right_to_left".
std::string to_string(TtSweep sweep);

#define TENSORBOND_TT_EXTERN(T) extern template class TtMatrix<T>;
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_TT_EXTERN)
#undef TENSORBOND_TT_EXTERN

} // namespace tensorbond
