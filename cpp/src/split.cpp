// The truncated split routes. Each works on X with the isometry on the left
// (X = a, or X = a^dag when the centre moves left) and returns X ~ Q (Q^dag X)
// with Q orthonormal: the approximation is a projection, so its squared error
// is ||X||^2 - ||Q^dag X||^2 and that is the discarded weight reported.
#include "tensorbond/split.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "lapack.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"

namespace tensorbond {
namespace {

// Below this many kept candidates LAPACK's per-call overheads dominate and the
// SVD is as cheap as anything else.
constexpr std::size_t small_split = 64;
// Power iterations of the randomized range finder: one is enough where the
// spectrum decays (the discarded weight stays exact either way).
constexpr std::size_t power_iterations = 1;
// A guessed basis (QR-based TEBD at a saturated bond) is kept when the weight
// its range misses is at most this fraction of the whole: then it costs the
// fidelity at most that much more than the optimal subspace would. Otherwise
// power iterations refine it, at most qr_max_refinements of them.
constexpr double qr_accept = 1e-6;
constexpr std::size_t qr_max_refinements = 2;

// Measured time ratios to one complex128 GEMM multiply-add at n = 256..512
// (bench/tensorbond_bench/split_costs.py): zgesdd of n x n ~ 11 n^3, zheevd
// ~ 7 n^3, zgeqrf + zungqr ~ 3.3 n^3, zherk of n x n ~ 0.75 n^3.
constexpr double cost_gesdd = 11.0, cost_heev = 7.0, cost_qr = 3.3, cost_herk = 0.75;
// The sketching routes make a dozen mid-sized BLAS calls where the others make
// two or three large ones: measured, they run at 1/1.6 of the modelled rate
// (n = 256, target 128: 22 ms against 17 ms modelled).
constexpr double sketch_overhead = 1.6;

int lapack_size(std::size_t v, const char* what) {
    if (v > std::size_t(INT_MAX))
        throw ShapeError(std::string(what) + " = " + std::to_string(v) +
                         " exceeds the 32-bit LAPACK limit");
    return int(v);
}

template <ComplexScalar T> double squared_norm(const T* a, std::size_t n) {
    double acc = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        acc += double(abs2(a[i]));
    return acc;
}

/// (rows, cols) row-major -> its conjugate transpose (cols, rows).
template <ComplexScalar T>
std::vector<T> adjoint(const T* a, std::size_t rows, std::size_t cols) {
    std::vector<T> out(rows * cols);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            out[j * rows + i] = conj_of(a[i * cols + j]);
    return out;
}

/// Top `p` eigenpairs of the Hermitian n x n matrix whose upper triangle is in
/// row-major `g` (destroyed): values descending in `lam`, vectors the columns of
/// row-major `w` (n, p). False if LAPACK failed.
template <ComplexScalar T>
bool top_eigenpairs(std::vector<T>& g, std::size_t n, std::size_t p,
                    std::vector<real_t<T>>& lam, std::vector<T>& w) {
    using R = real_t<T>;
    // Row-major upper = column-major lower of conj(G): its eigenvectors are the
    // conjugates of G's, its eigenvalues G's.
    const int nn = lapack_size(n, "eigen-decomposition size");
    std::vector<R> vals(n);
    int info = 0;
    T wq{};
    R rq{};
    int iq = 0;
    std::vector<T> z; // column-major (n, p), ascending
    // heevr with an index range is slower than heevd on all pairs unless very few
    // are wanted (measured: n = 256, top half: 21 ms against 14 ms).
    if (p >= n || 4 * p > n) {
        detail::lapack_heevd('V', 'L', nn, g.data(), nn, vals.data(), &wq, -1, &rq, -1,
                             &iq, -1, &info);
        std::vector<T> work(std::size_t(std::max(1, int(std::real(wq)))));
        std::vector<R> rwork(std::size_t(std::max(1, int(rq))));
        std::vector<int> iwork(std::size_t(std::max(1, iq)));
        detail::lapack_heevd('V', 'L', nn, g.data(), nn, vals.data(), work.data(),
                             int(work.size()), rwork.data(), int(rwork.size()),
                             iwork.data(), int(iwork.size()), &info);
        p = n;
        z = std::move(g);
    } else {
        z.assign(n * p, T(0));
        std::vector<int> isuppz(2 * std::max<std::size_t>(p, 1));
        const int il = nn - int(p) + 1, iu = nn;
        int found = 0;
        detail::lapack_heevr('V', 'I', 'L', nn, g.data(), nn, il, iu, &found,
                             vals.data(), z.data(), nn, isuppz.data(), &wq, -1, &rq, -1,
                             &iq, -1, &info);
        std::vector<T> work(std::size_t(std::max(1, int(std::real(wq)))));
        std::vector<R> rwork(std::size_t(std::max(1, int(rq))));
        std::vector<int> iwork(std::size_t(std::max(1, iq)));
        detail::lapack_heevr('V', 'I', 'L', nn, g.data(), nn, il, iu, &found,
                             vals.data(), z.data(), nn, isuppz.data(), work.data(),
                             int(work.size()), rwork.data(), int(rwork.size()),
                             iwork.data(), int(iwork.size()), &info);
        if (info == 0 && found != int(p))
            info = -1;
    }
    if (info != 0)
        return false;
    lam.resize(p);
    w.assign(n * p, T(0));
    for (std::size_t jj = 0; jj < p; ++jj) {
        const std::size_t j = p - 1 - jj;
        lam[jj] = std::max(vals[j], R(0));
        for (std::size_t i = 0; i < n; ++i)
            w[i * p + jj] = conj_of(z[j * n + i]);
    }
    return true;
}

/// The truncation of a spectrum known by its top squared values `lam`
/// (descending) and its total weight: truncation_rank's rules, with tail sums
/// taken as total minus the kept prefix.
template <class R>
TruncationInfo rank_from_top(const std::vector<R>& lam, double total,
                             const TruncationSpec& spec) {
    const std::size_t p = lam.size();
    std::size_t keep = p;
    if (spec.cutoff > 0.0 && p > 0) {
        switch (spec.mode) {
        case CutoffMode::abs:
        case CutoffMode::rel: {
            const double thr = spec.mode == CutoffMode::abs
                                   ? spec.cutoff
                                   : spec.cutoff * std::sqrt(double(lam[0]));
            keep = 0;
            while (keep < p && std::sqrt(double(lam[keep])) > thr)
                ++keep;
            break;
        }
        case CutoffMode::sum2:
        case CutoffMode::rsum2: {
            const double target =
                spec.mode == CutoffMode::sum2 ? spec.cutoff : spec.cutoff * total;
            double prefix = 0.0;
            keep = 0;
            while (keep < p && total - prefix > target)
                prefix += double(lam[keep++]);
            break;
        }
        }
    }
    keep = std::max<std::size_t>(keep, 1);
    if (spec.max_bond)
        keep = std::min(keep, *spec.max_bond);
    keep = std::min(keep, p);
    double kept_w = 0.0;
    for (std::size_t i = 0; i < keep; ++i)
        kept_w += double(lam[i]);
    TruncationInfo info;
    info.kept = keep;
    info.total_weight = total;
    info.discarded_weight = std::max(0.0, total - kept_w);
    return info;
}

/// Gram eigenvalues resolve singular values only down to about sqrt(64 eps) of
/// the largest (~1e-7 in float64): a kept spectrum spanning more goes to the SVD.
template <class R> bool gram_resolves(const std::vector<R>& lam, std::size_t keep) {
    const double floor = 64.0 * double(std::numeric_limits<R>::epsilon());
    return keep == 0 || double(lam[keep - 1]) >= floor * double(lam[0]);
}

/// Columns [0, k) of the row-major (n, p) matrix w.
template <ComplexScalar T>
std::vector<T> leading_columns(const std::vector<T>& w, std::size_t n, std::size_t p,
                               std::size_t k) {
    std::vector<T> out(n * k);
    for (std::size_t i = 0; i < n; ++i)
        std::copy(w.begin() + long(i * p), w.begin() + long(i * p + k),
                  out.begin() + long(i * k));
    return out;
}

template <ComplexScalar T> void scale_to_total(SplitFactors<T>& f, bool renormalize) {
    const double kept = f.info.total_weight - f.info.discarded_weight;
    if (!renormalize || kept <= 0.0)
        return;
    const real_t<T> s = real_t<T>(std::sqrt(f.info.total_weight / kept));
    for (auto& v : f.right)
        v *= s;
}

/// One CholeskyQR pass, y <- y r^-1 with r^dag r = y^dag y: BLAS-3 only. False
/// when y^dag y is numerically singular (y is left unchanged then).
template <ComplexScalar T>
bool cholesky_qr_pass(std::vector<T>& y, std::size_t rows, std::size_t p) {
    using R = real_t<T>;
    std::vector<T> g(p * p);
    detail::blas_herk(CblasConjTrans, int(p), int(rows), R(1), y.data(), int(p), R(0),
                      g.data(), int(p));
    // Row-major upper = column-major lower of conj(G): its Cholesky factor L gives
    // G = R^dag R with R = L^T, the row-major upper triangle of the buffer.
    int info = 0;
    detail::lapack_potrf('L', int(p), g.data(), int(p), &info);
    if (info != 0)
        return false;
    // A pivot far below the largest means y is close to rank deficient: the next
    // pass could not repair the loss of orthogonality.
    R dmax = 0, dmin = std::numeric_limits<R>::max();
    for (std::size_t i = 0; i < p; ++i) {
        dmax = std::max(dmax, std::abs(g[i * p + i].real()));
        dmin = std::min(dmin, std::abs(g[i * p + i].real()));
    }
    if (!(dmin > dmax * std::sqrt(std::numeric_limits<R>::epsilon()) * R(16)))
        return false;
    detail::blas_trsm_right_upper(int(rows), int(p), g.data(), int(p), y.data(),
                                  int(p));
    return true;
}

/// Orthonormal basis of the columns of y (rows, p), in place: CholeskyQR2 (two
/// passes make it orthonormal to rounding), Householder QR where y is too close
/// to rank deficient for it.
template <ComplexScalar T>
void orthonormalize(std::vector<T>& y, std::size_t rows, std::size_t p, double& madds,
                    int passes = 2) {
    const std::vector<T> backup = y;
    bool ok = true;
    for (int i = 0; i < passes && ok; ++i)
        ok = cholesky_qr_pass(y, rows, p);
    if (ok) {
        madds += double(passes) * double(rows) * double(p * p);
        return;
    }
    y = backup;
    std::vector<T> r;
    qr(y, rows, p, r);
    madds += 2.0 * double(rows) * double(p * p);
}

template <ComplexScalar T>
SplitFactors<T> left_by_svd(std::vector<T>& x, std::size_t rows, std::size_t cols,
                            const TruncationSpec& spec) {
    SplitFactors<T> f;
    auto res = svd(x.data(), rows, cols, spec);
    f.k = res.info.kept;
    f.info = res.info;
    for (std::size_t a = 0; a < f.k; ++a)
        for (std::size_t c = 0; c < cols; ++c)
            res.vh[a * cols + c] *= res.s[a];
    f.left = std::move(res.u);
    f.right = std::move(res.vh);
    const double n = double(std::min(rows, cols)), m = double(std::max(rows, cols));
    f.madds = 2.0 * m * n * n - 2.0 / 3.0 * n * n * n; // the bidiagonalization
    f.used = SplitMethod::svd;
    return f;
}

/// Whether the truncation of a range of width p whose projection B = Q^dag X is
/// known keeps all of it: p within max_bond and the cutoff unable to cut (no
/// cutoff, or a summed one already exceeded by the weight outside the range).
/// Then the small eigenproblem on B would only rotate the factors.
template <ComplexScalar T>
bool keeps_whole_range(const std::vector<T>& b, std::size_t p, double total,
                       const TruncationSpec& spec) {
    if (spec.max_bond && p > *spec.max_bond)
        return false;
    if (spec.cutoff <= 0.0)
        return true;
    if (spec.mode != CutoffMode::sum2 && spec.mode != CutoffMode::rsum2)
        return false;
    const double target =
        spec.mode == CutoffMode::sum2 ? spec.cutoff : spec.cutoff * total;
    return total - squared_norm(b.data(), b.size()) > target;
}

/// Q (rows, p) orthonormal spans the kept range: finish with the small problem
/// B = Q^dag X (`projected`, when the caller has it), B B^dag = W L W^dag, left = Q
/// W_k, right = W_k^dag B.
template <ComplexScalar T>
SplitFactors<T> finish_on_range(std::vector<T>& q, std::size_t p,
                                const std::vector<T>& x, std::size_t rows,
                                std::size_t cols, double total,
                                const TruncationSpec& spec, SplitMethod used,
                                double madds, std::vector<T>* projected = nullptr) {
    using R = real_t<T>;
    SplitFactors<T> f;
    std::vector<T> b;
    if (projected) {
        b = std::move(*projected);
    } else {
        b.assign(p * cols, T(0));
        gemm(Op::conj_trans, Op::none, p, cols, rows, T(1), q.data(), p, x.data(), cols,
             T(0), b.data(), cols);
        madds += double(p) * double(rows) * double(cols);
    }
    if (keeps_whole_range(b, p, total, spec)) {
        // QR-based TEBD's saturated step: the range already fits max_bond and the
        // weight outside it exceeds the cutoff, so no rule would cut inside it.
        f.k = p;
        f.info.kept = p;
        f.info.total_weight = total;
        f.info.discarded_weight =
            std::max(0.0, total - squared_norm(b.data(), b.size()));
        f.left = std::move(q);
        f.right = std::move(b);
        f.used = used;
        f.madds = madds;
        return f;
    }
    std::vector<T> g(p * p);
    detail::blas_herk(CblasNoTrans, int(p), lapack_size(cols, "split columns"), R(1),
                      b.data(), int(cols), R(0), g.data(), int(p));
    madds += 0.5 * double(p * p) * double(cols);
    std::vector<R> lam;
    std::vector<T> w;
    const std::size_t want = spec.max_bond ? std::min(p, *spec.max_bond) : p;
    bool ok = top_eigenpairs(g, p, want, lam, w);
    if (ok) {
        f.info = rank_from_top(lam, total, spec);
        ok = gram_resolves(lam, f.info.kept);
    }
    if (!ok) {
        // The small problem by SVD: exact on the range, the weight outside it
        // still counted as discarded.
        TruncationSpec plain = spec; // renormalized once, by the caller
        plain.renormalize = false;
        SplitFactors<T> s = left_by_svd(b, p, cols, plain);
        f.k = s.k;
        f.left.assign(rows * f.k, T(0));
        gemm(Op::none, Op::none, rows, f.k, p, T(1), q.data(), p, s.left.data(), f.k,
             T(0), f.left.data(), f.k);
        f.right = std::move(s.right);
        f.info = s.info;
        f.info.total_weight = total;
        const double kept_w = squared_norm(f.right.data(), f.right.size());
        f.info.discarded_weight = std::max(0.0, total - kept_w);
        f.used = used;
        f.fell_back = true;
        f.madds = madds + s.madds + double(rows * p) * double(f.k);
        return f;
    }
    const std::size_t k = f.info.kept, pw = lam.size();
    std::vector<T> wk = leading_columns(w, p, pw, k);
    f.k = k;
    f.left.assign(rows * k, T(0));
    gemm(Op::none, Op::none, rows, k, p, T(1), q.data(), p, wk.data(), k, T(0),
         f.left.data(), k);
    f.right.assign(k * cols, T(0));
    gemm(Op::conj_trans, Op::none, k, cols, p, T(1), wk.data(), k, b.data(), cols, T(0),
         f.right.data(), cols);
    f.used = used;
    f.madds = madds + double(rows * p) * double(k) + double(k * p) * double(cols);
    return f;
}

template <ComplexScalar T>
SplitFactors<T> left_by_eig(std::vector<T>& x, std::size_t rows, std::size_t cols,
                            double total, const TruncationSpec& spec) {
    using R = real_t<T>;
    const bool rows_side = rows <= cols; // the Gram matrix of the smaller side
    const std::size_t n = rows_side ? rows : cols, other = rows_side ? cols : rows;
    std::vector<T> g(n * n);
    detail::blas_herk(rows_side ? CblasNoTrans : CblasConjTrans, int(n),
                      lapack_size(other, "split size"), R(1), x.data(), int(cols), R(0),
                      g.data(), int(n));
    const std::size_t want = spec.max_bond ? std::min(n, *spec.max_bond) : n;
    std::vector<R> lam;
    std::vector<T> w;
    SplitFactors<T> f;
    bool ok = top_eigenpairs(g, n, want, lam, w);
    if (ok) {
        f.info = rank_from_top(lam, total, spec);
        ok = gram_resolves(lam, f.info.kept);
    }
    if (!ok) {
        f = left_by_svd(x, rows, cols, spec);
        f.fell_back = true;
        return f;
    }
    const std::size_t k = f.info.kept;
    std::vector<T> vk = leading_columns(w, n, lam.size(), k);
    f.k = k;
    f.madds = 0.5 * double(n * n) * double(other);
    if (rows_side) {
        f.left = std::move(vk);
    } else {
        // X V_k = U_k S_k: its QR gives an exactly orthonormal left factor without
        // dividing by the singular values.
        f.left.assign(rows * k, T(0));
        gemm(Op::none, Op::none, rows, k, cols, T(1), x.data(), cols, vk.data(), k,
             T(0), f.left.data(), k);
        f.madds += double(rows * cols) * double(k);
        orthonormalize(f.left, rows, k, f.madds);
    }
    f.right.assign(k * cols, T(0));
    gemm(Op::conj_trans, Op::none, k, cols, rows, T(1), f.left.data(), k, x.data(),
         cols, T(0), f.right.data(), cols);
    f.madds += double(rows * cols) * double(k);
    f.used = SplitMethod::eig;
    if (!rows_side) {
        // The projection's weight, now that the left factor is re-orthonormalized.
        f.info.discarded_weight =
            std::max(0.0, total - squared_norm(f.right.data(), f.right.size()));
    }
    return f;
}

template <ComplexScalar T>
std::vector<T> gaussian(std::size_t rows, std::size_t cols, std::uint64_t salt) {
    // A fixed seed per shape: the same circuit gives the same state every run.
    std::mt19937_64 rng(0x9e3779b97f4a7c15ULL ^ (salt * 0xbf58476d1ce4e5b9ULL));
    std::normal_distribution<real_t<T>> nd(0, 1);
    std::vector<T> out(rows * cols);
    for (auto& v : out)
        v = T(nd(rng), nd(rng));
    return out;
}

/// Range of X from the sketch Y = X Omega (rows, p), refined by power iterations.
template <ComplexScalar T>
void refine_range(std::vector<T>& y, const std::vector<T>& x, std::size_t rows,
                  std::size_t cols, std::size_t p, std::size_t iterations,
                  double& madds) {
    for (std::size_t it = 0; it < iterations; ++it) {
        orthonormalize(y, rows, p, madds);
        std::vector<T> z(cols * p);
        gemm(Op::conj_trans, Op::none, cols, p, rows, T(1), x.data(), cols, y.data(), p,
             T(0), z.data(), p);
        orthonormalize(z, cols, p, madds);
        y.assign(rows * p, T(0));
        gemm(Op::none, Op::none, rows, p, cols, T(1), x.data(), cols, z.data(), p, T(0),
             y.data(), p);
        madds += 2.0 * double(rows * cols) * double(p);
    }
    orthonormalize(y, rows, p, madds);
}

std::size_t sketch_size(std::size_t target, std::size_t kmax) {
    return std::min(kmax, target + std::max<std::size_t>(8, target / 8));
}

template <ComplexScalar T>
SplitFactors<T> left_by_rand(std::vector<T>& x, std::size_t rows, std::size_t cols,
                             double total, const TruncationSpec& spec) {
    const std::size_t p = sketch_size(*spec.max_bond, std::min(rows, cols));
    const std::vector<T> omega = gaussian<T>(cols, p, rows * 131 + cols);
    std::vector<T> y(rows * p);
    gemm(Op::none, Op::none, rows, p, cols, T(1), x.data(), cols, omega.data(), p, T(0),
         y.data(), p);
    double madds = double(rows * cols) * double(p);
    refine_range(y, x, rows, cols, p, power_iterations, madds);
    return finish_on_range(y, p, x, rows, cols, total, spec, SplitMethod::rand, madds);
}

template <ComplexScalar T>
SplitFactors<T> left_by_qr(std::vector<T>& x, std::size_t rows, std::size_t cols,
                           double total, const TruncationSpec& spec, const T* basis,
                           std::size_t nb) {
    // Y = X basis^dag spans X's range exactly (the basis spans its row space).
    std::vector<T> y(rows * nb);
    gemm(Op::none, Op::conj_trans, rows, nb, cols, T(1), x.data(), cols, basis, cols,
         T(0), y.data(), nb);
    double madds = double(rows * cols) * double(nb);
    std::size_t p = nb;
    std::size_t iterations = 0;
    if (spec.max_bond && sketch_size(*spec.max_bond, nb) < nb) {
        // More candidates than max_bond needs: mix them down inside the exact
        // range and refine, as the randomized route does in the full space.
        p = sketch_size(*spec.max_bond, nb);
        const std::vector<T> mix = gaussian<T>(nb, p, rows * 137 + cols);
        std::vector<T> ym(rows * p);
        gemm(Op::none, Op::none, rows, p, nb, T(1), y.data(), nb, mix.data(), p, T(0),
             ym.data(), p);
        madds += double(rows * nb) * double(p);
        y = std::move(ym);
        iterations = power_iterations;
    }
    if (iterations > 0 || p > nb) {
        refine_range(y, x, rows, cols, p, iterations, madds);
        return finish_on_range(y, p, x, rows, cols, total, spec, SplitMethod::qr,
                               madds);
    }
    // The basis fits max_bond. Exact (the gate-expanded range), B = Q^dag X keeps
    // all of X; a guess (QR-based TEBD's old bond at saturation), the projection
    // may miss more than the best subspace would: its weight outside is known
    // exactly, and while that is above qr_accept power iterations refine it.
    orthonormalize(y, rows, p, madds);
    std::vector<T> b(p * cols);
    for (std::size_t it = 0;; ++it) {
        gemm(Op::conj_trans, Op::none, p, cols, rows, T(1), y.data(), p, x.data(), cols,
             T(0), b.data(), cols);
        madds += double(p) * double(rows) * double(cols);
        const double outside = total - squared_norm(b.data(), b.size());
        if (outside <= qr_accept * total || it == qr_max_refinements)
            break;
        // X^dag Q = B^dag spans the next row-space iterate, X B^dag the range.
        std::vector<T> z = adjoint(b.data(), p, cols);
        orthonormalize(z, cols, p, madds);
        gemm(Op::none, Op::none, rows, p, cols, T(1), x.data(), cols, z.data(), p, T(0),
             y.data(), p);
        madds += double(rows * cols) * double(p);
        orthonormalize(y, rows, p, madds);
    }
    return finish_on_range(y, p, x, rows, cols, total, spec, SplitMethod::qr, madds,
                           &b);
}

/// The route a split of X (rows, cols; isometry on the left) takes: `auto`
/// resolved, and qr/rand without a gain handed to eig.
SplitMethod resolve_route(std::size_t rows, std::size_t cols,
                          const TruncationSpec& spec, bool has_basis, std::size_t nb) {
    SplitMethod m = spec.split;
    if (m == SplitMethod::automatic)
        m = choose_split(rows, cols, spec, has_basis ? nb : 0);
    const std::size_t kmax = std::min(rows, cols);
    if (m == SplitMethod::qr && (!has_basis || nb == 0 || nb >= kmax))
        m = SplitMethod::eig; // no smaller basis than the matrix itself
    if (m == SplitMethod::rand &&
        (!spec.max_bond || sketch_size(*spec.max_bond, kmax) >= kmax))
        m = SplitMethod::eig; // a sketch as wide as the matrix saves nothing
    return m;
}

template <ComplexScalar T>
SplitFactors<T> split_left(std::vector<T>& x, std::size_t rows, std::size_t cols,
                           const TruncationSpec& spec, const T* basis, std::size_t nb) {
    const SplitMethod m = resolve_route(rows, cols, spec, basis != nullptr, nb);
    if (m == SplitMethod::svd)
        return left_by_svd(x, rows, cols, spec);
    require_finite(x.data(), x.size(), "matrix to decompose");
    const double total = squared_norm(x.data(), x.size());
    if (total == 0.0) // the SVD's conventions for a zero matrix
        return left_by_svd(x, rows, cols, spec);
    SplitFactors<T> f;
    switch (m) {
    case SplitMethod::rand:
        f = left_by_rand(x, rows, cols, total, spec);
        break;
    case SplitMethod::qr:
        f = left_by_qr(x, rows, cols, total, spec, basis, nb);
        break;
    default:
        f = left_by_eig(x, rows, cols, total, spec);
        break;
    }
    scale_to_total(f, spec.renormalize && f.used != SplitMethod::svd);
    return f;
}

double qr_cost(double m, double n) { return cost_qr * n * n * (3.0 * m - n) / 2.0; }

} // namespace

double split_cost(SplitMethod method, std::size_t rows, std::size_t cols,
                  const TruncationSpec& spec, std::size_t basis_dim) {
    const double n = double(std::min(rows, cols)), m = double(std::max(rows, cols));
    const double r = double(rows), c = double(cols);
    const std::size_t kmax = std::min(rows, cols);
    const double k = spec.max_bond ? std::min(n, double(*spec.max_bond)) : n;
    // The small problem on a range of width p: B = Q^dag X, its Gram, eig, factors.
    auto on_range = [&](double p) {
        return p * r * c + cost_herk * p * p * c + cost_heev * p * p * p + r * p * k +
               k * p * c;
    };
    switch (method) {
    case SplitMethod::svd:
        return cost_gesdd * n * n * (m + 2.0 * n) / 3.0;
    case SplitMethod::eig: {
        double t = cost_herk * n * n * m + cost_heev * n * n * n + k * r * c;
        if (rows > cols)
            t += r * c * k + qr_cost(r, k);
        return t;
    }
    case SplitMethod::rand: {
        if (!spec.max_bond)
            return std::numeric_limits<double>::infinity();
        const double p = double(sketch_size(*spec.max_bond, kmax));
        const double it = double(power_iterations);
        return sketch_overhead *
               ((1.0 + 2.0 * it) * r * c * p + (it + 1.0) * qr_cost(r, p) +
                it * qr_cost(c, p) + on_range(p));
    }
    case SplitMethod::qr: {
        if (basis_dim == 0 || basis_dim >= kmax)
            return std::numeric_limits<double>::infinity();
        double p = double(basis_dim);
        double t = r * c * p;
        if (spec.max_bond && sketch_size(*spec.max_bond, basis_dim) < basis_dim) {
            const double q = double(sketch_size(*spec.max_bond, basis_dim));
            const double it = double(power_iterations);
            t +=
                r * p * q + 2.0 * it * r * c * q + it * (qr_cost(r, q) + qr_cost(c, q));
            p = q;
        }
        return sketch_overhead * (t + qr_cost(r, p) + on_range(p));
    }
    case SplitMethod::automatic:
        break;
    }
    return std::numeric_limits<double>::infinity();
}

SplitMethod choose_split(std::size_t rows, std::size_t cols, const TruncationSpec& spec,
                         std::size_t basis_dim) {
    if (std::min(rows, cols) < small_split)
        return SplitMethod::svd;
    SplitMethod best = SplitMethod::svd;
    // The Gram routes must win clearly: the SVD is the more accurate at a tie.
    double best_cost = 0.9 * split_cost(SplitMethod::svd, rows, cols, spec, basis_dim);
    for (SplitMethod m : {SplitMethod::eig, SplitMethod::rand, SplitMethod::qr}) {
        const double c = split_cost(m, rows, cols, spec, basis_dim);
        if (c < best_cost) {
            best = m;
            best_cost = c;
        }
    }
    return best;
}

template <ComplexScalar T>
SplitFactors<T> split(std::vector<T>& a, std::size_t rows, std::size_t cols,
                      const TruncationSpec& spec, bool absorb_right, const T* basis,
                      std::size_t basis_dim) {
    if (absorb_right)
        return split_left(a, rows, cols, spec, basis, basis_dim);
    if (resolve_route(cols, rows, spec, basis != nullptr, basis_dim) ==
        SplitMethod::svd) {
        // The SVD needs no transposes: a = (U S) V^dag with V^dag's rows orthonormal
        // (the hot path of small splits).
        SplitFactors<T> f;
        auto res = svd(a.data(), rows, cols, spec);
        f.k = res.info.kept;
        f.info = res.info;
        for (std::size_t row = 0; row < rows; ++row)
            for (std::size_t x = 0; x < f.k; ++x)
                res.u[row * f.k + x] *= res.s[x];
        f.left = std::move(res.u);
        f.right = std::move(res.vh);
        const double n = double(std::min(rows, cols)),
                     mx = double(std::max(rows, cols));
        f.madds = 2.0 * mx * n * n - 2.0 / 3.0 * n * n * n; // the bidiagonalization
        return f;
    }
    // Centre to the left: split a^dag = L R with L orthonormal, so a = R^dag L^dag.
    std::vector<T> x = adjoint(a.data(), rows, cols);
    SplitFactors<T> f = split_left(x, cols, rows, spec, basis, basis_dim);
    std::vector<T> left = adjoint(f.right.data(), f.k, rows);
    f.right = adjoint(f.left.data(), cols, f.k);
    f.left = std::move(left);
    return f;
}

#define TENSORBOND_SPLIT_INSTANTIATE(T)                                                \
    template SplitFactors<T> split<T>(std::vector<T>&, std::size_t, std::size_t,       \
                                      const TruncationSpec&, bool, const T*,           \
                                      std::size_t);
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_SPLIT_INSTANTIATE)

} // namespace tensorbond
