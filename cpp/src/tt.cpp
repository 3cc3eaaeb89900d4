// TT-matrix: TT-SVD, rounding, dense reconstruction and the fused forward pass.
#include "tensorbond/tt.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <utility>

#include "support.hpp"
#include "tensorbond/contract.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"

namespace tensorbond {
namespace {

using detail::join;

/// a * b, throwing ShapeError naming `what` on size_t overflow.
std::size_t mul_checked(std::size_t a, std::size_t b, const char* what) {
    std::size_t p = 0;
    if (__builtin_mul_overflow(a, b, &p))
        throw ShapeError(std::string(what) + " overflows the address space");
    return p;
}

std::size_t prod(const std::vector<std::size_t>& v, std::size_t lo, std::size_t hi) {
    std::size_t p = 1;
    for (std::size_t i = lo; i < hi; ++i)
        p *= v[i];
    return p;
}

/// Uninitialised, reusable working memory (one set per thread and scalar type):
/// fresh multi-megabyte buffers per call would cost page faults and zeroing
/// comparable to the arithmetic of a forward pass (see detail::scratch_alloc).
template <class T> class Workspace {
  public:
    static constexpr std::size_t slots = 7;
    Workspace() = default;
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
    ~Workspace() {
        for (auto* p : data_)
            std::free(p);
    }
    T* get(std::size_t slot, std::size_t n) {
        if (n > cap_[slot]) {
            std::free(data_[slot]);
            data_[slot] = nullptr;
            cap_[slot] = 0;
            data_[slot] = detail::scratch_alloc<T>(n, &cap_[slot]);
        }
        return data_[slot];
    }

  private:
    T* data_[slots] = {};
    std::size_t cap_[slots] = {};
};

template <class T> Workspace<T>& workspace() {
    thread_local Workspace<T> ws;
    return ws;
}

/// Modelled cost of one GEMM call in multiply-add equivalents (call, packing and
/// edge overheads of small products); used only to choose a plan.
constexpr double gemm_call_cost = 3000.0;
/// Modelled cost of writing one element of a merged core (GEMM output plus the
/// permute into the sweep's layout; memory bound) ...
constexpr double merge_elem_cost = 32.0;
/// ... and of one element of a sweep step's output (mostly in cache).
constexpr double sweep_elem_cost = 2.0;
/// Working-set target of one batch block of a forward pass (bytes): intermediates
/// of a TT sweep can be rank times larger than x and y, and stay in cache when
/// the batch is processed in blocks of rows.
constexpr std::size_t block_bytes = std::size_t{4096} << 10;

/// Dimensions of one sweep step: out[p, e, q] = sum_c G[e, c] z[p, c, q]. `N` is
/// std::size_t for execution and double for the cost model (no overflow there:
/// the plan search looks at every grouping, merging everything included).
template <class N> struct StepOf {
    N p, c, e, q; // per batch row: p or q gets the batch factor
};
using Step = StepOf<std::size_t>;

template <class N>
N prod_as(const std::vector<std::size_t>& v, std::size_t lo, std::size_t hi) {
    N p = 1;
    for (std::size_t i = lo; i < hi; ++i)
        p *= N(v[i]);
    return p;
}

/// Step of group [a, b) of a sweep (per batch row, batch not included).
template <class N>
StepOf<N> step_dims(TtSweep sweep, const std::vector<std::size_t>& m,
                    const std::vector<std::size_t>& n,
                    const std::vector<std::size_t>& r, std::size_t a, std::size_t b) {
    const std::size_t d = m.size();
    const N mg = prod_as<N>(m, a, b), ng = prod_as<N>(n, a, b);
    if (sweep == TtSweep::right_to_left)
        return {prod_as<N>(n, 0, a), ng * N(r[b]), N(r[a]) * mg, prod_as<N>(m, b, d)};
    return {prod_as<N>(m, 0, a), N(r[a]) * ng, mg * N(r[b]), prod_as<N>(n, b, d)};
}

/// Multiply-adds of merging cores [a, b) left to right into one, and the
/// elements those merges write (every partial and the result).
template <class N>
std::pair<N, N>
merge_cost(const std::vector<std::size_t>& m, const std::vector<std::size_t>& n,
           const std::vector<std::size_t>& r, std::size_t a, std::size_t b) {
    N macs = 0, elems = 0, mn = N(m[a]) * N(n[a]);
    for (std::size_t t = a + 1; t < b; ++t) {
        macs += N(r[a]) * mn * N(r[t]) * N(m[t]) * N(n[t]) * N(r[t + 1]);
        mn *= N(m[t]) * N(n[t]);
        elems += N(r[a]) * mn * N(r[t + 1]);
    }
    return {macs, elems};
}

/// out[p, e, q] = sum_c g[e, c] z[p, c, q]: one GEMM when p or q is 1, else one
/// per p.
template <Scalar T>
void mode_product(const T* z, std::size_t p, std::size_t c, std::size_t q, const T* g,
                  std::size_t e, T* out) {
    if (q == 1) {
        gemm<T>(Op::none, Op::trans, p, e, c, T(1), z, c, g, c, T(0), out, e);
    } else if (p == 1) {
        gemm<T>(Op::none, Op::none, e, q, c, T(1), g, c, z, q, T(0), out, q);
    } else {
        for (std::size_t i = 0; i < p; ++i)
            gemm<T>(Op::none, Op::none, e, q, c, T(1), g, c, z + i * c * q, q, T(0),
                    out + i * e * q, q);
    }
}

} // namespace

std::string to_string(TtSweep sweep) {
    return sweep == TtSweep::left_to_right ? "left_to_right" : "right_to_left";
}

template <Scalar T>
TtMatrix<T>::TtMatrix(std::vector<std::size_t> out_modes,
                      std::vector<std::size_t> in_modes, std::vector<std::size_t> ranks,
                      std::vector<std::vector<T>> cores, double norm_squared,
                      double discarded, double error_bound)
    : out_modes_(std::move(out_modes)), in_modes_(std::move(in_modes)),
      ranks_(std::move(ranks)), cores_(std::move(cores)), discarded_(discarded),
      error_bound_(error_bound) {
    validate_and_prepare();
    for (std::size_t k = 0; k < cores_.size(); ++k)
        require_finite(cores_[k].data(), cores_[k].size(),
                       ("core " + std::to_string(k)).c_str());
    if (norm_squared >= 0.0) {
        norm2_ = norm_squared;
    } else {
        // ||TT||^2 by a left-to-right environment: E' = sum conj(G) E G.
        std::vector<T> env(1, T(1)), t1, next;
        for (std::size_t k = 0; k < cores_.size(); ++k) {
            const std::size_t rl = ranks_[k], rr = ranks_[k + 1];
            const std::size_t mid = out_modes_[k] * in_modes_[k];
            t1.assign(rl * mid * rr, T(0));
            gemm<T>(Op::none, Op::none, rl, mid * rr, rl, T(1), env.data(), rl,
                    cores_[k].data(), mid * rr, T(0), t1.data(), mid * rr);
            next.assign(rr * rr, T(0));
            gemm<T>(Op::conj_trans, Op::none, rr, rr, rl * mid, T(1), cores_[k].data(),
                    rr, t1.data(), rr, T(0), next.data(), rr);
            env.swap(next);
        }
        norm2_ = double(std::real(env[0]));
    }
}

template <Scalar T> void TtMatrix<T>::validate_and_prepare() {
    const std::size_t d = cores_.size();
    if (d == 0)
        throw ShapeError("a TT-matrix needs at least one core");
    if (out_modes_.size() != d || in_modes_.size() != d || ranks_.size() != d + 1)
        throw ShapeError("TT-matrix with " + std::to_string(d) + " cores got " +
                         std::to_string(out_modes_.size()) + " out_modes, " +
                         std::to_string(in_modes_.size()) + " in_modes and " +
                         std::to_string(ranks_.size()) +
                         " ranks (expected d, d, d + 1)");
    if (ranks_[0] != 1 || ranks_[d] != 1)
        throw ShapeError("boundary ranks must be 1, got " + std::to_string(ranks_[0]) +
                         " and " + std::to_string(ranks_[d]));
    for (std::size_t k = 0; k < d; ++k) {
        if (out_modes_[k] == 0 || in_modes_[k] == 0 || ranks_[k + 1] == 0)
            throw ShapeError(
                "core " + std::to_string(k) + " has shape " +
                join(std::vector<std::size_t>{ranks_[k], out_modes_[k], in_modes_[k],
                                              ranks_[k + 1]}) +
                ": modes and ranks must be >= 1");
        std::size_t size = mul_checked(ranks_[k], out_modes_[k], "core size");
        size = mul_checked(size, in_modes_[k], "core size");
        size = mul_checked(size, ranks_[k + 1], "core size");
        if (cores_[k].size() != size)
            throw ShapeError("core " + std::to_string(k) + " holds " +
                             std::to_string(cores_[k].size()) + " values, expected " +
                             std::to_string(size));
    }
    std::size_t mm = 1, nn = 1;
    for (std::size_t k = 0; k < d; ++k) {
        mm = mul_checked(mm, out_modes_[k], "prod(out_modes)");
        nn = mul_checked(nn, in_modes_[k], "prod(in_modes)");
    }
    (void)mm;
    (void)nn;
    cores_lr_.resize(d);
    for (std::size_t k = 0; k < d; ++k) {
        const std::size_t shape[4] = {ranks_[k], out_modes_[k], in_modes_[k],
                                      ranks_[k + 1]};
        const std::size_t perm[4] = {1, 3, 0, 2};
        cores_lr_[k].resize(cores_[k].size());
        permute<T>(cores_[k].data(), shape, perm, cores_lr_[k].data());
    }
}

template <Scalar T> std::size_t TtMatrix<T>::out_size() const {
    return prod(out_modes_, 0, out_modes_.size());
}
template <Scalar T> std::size_t TtMatrix<T>::in_size() const {
    return prod(in_modes_, 0, in_modes_.size());
}

template <Scalar T> std::size_t TtMatrix<T>::num_params() const {
    std::size_t s = 0;
    for (const auto& c : cores_)
        s += c.size();
    return s;
}

template <Scalar T>
TtMatrix<T> TtMatrix<T>::from_dense(const T* w, std::vector<std::size_t> out_modes,
                                    std::vector<std::size_t> in_modes,
                                    const TruncationSpec& spec) {
    const std::size_t d = out_modes.size();
    if (d == 0 || in_modes.size() != d)
        throw ShapeError("TT-SVD needs as many in_modes as out_modes (>= 1), got " +
                         std::to_string(out_modes.size()) + " and " +
                         std::to_string(in_modes.size()));
    std::size_t mm = 1, nn = 1;
    for (std::size_t k = 0; k < d; ++k) {
        if (out_modes[k] == 0 || in_modes[k] == 0)
            throw ShapeError("modes must be >= 1, got out_modes " + join(out_modes) +
                             ", in_modes " + join(in_modes));
        mm = mul_checked(mm, out_modes[k], "prod(out_modes)");
        nn = mul_checked(nn, in_modes[k], "prod(in_modes)");
    }
    const std::size_t size = mul_checked(mm, nn, "matrix size");
    require_finite(w, size, "matrix to decompose");

    // Interleave the digits: W[i_0..i_{d-1}, j_0..j_{d-1}] -> A[(i_0 j_0), (i_1 j_1),
    // ...].
    std::vector<T> a(size);
    {
        std::vector<std::size_t> shape(out_modes), perm(2 * d);
        shape.insert(shape.end(), in_modes.begin(), in_modes.end());
        for (std::size_t k = 0; k < d; ++k) {
            perm[2 * k] = k;
            perm[2 * k + 1] = d + k;
        }
        permute<T>(w, shape, perm, a.data());
    }
    TtMatrix tt;
    tt.out_modes_ = std::move(out_modes);
    tt.in_modes_ = std::move(in_modes);
    tt.ranks_.assign(d + 1, 1);
    tt.cores_.resize(d);
    double norm2 = -1.0, discarded = 0.0;
    std::size_t r = 1, cols = size;
    for (std::size_t k = 0; k + 1 < d; ++k) {
        const std::size_t rows = r * tt.out_modes_[k] * tt.in_modes_[k];
        cols /= tt.out_modes_[k] * tt.in_modes_[k];
        SvdResult<T> f = svd<T>(a.data(), rows, cols, spec);
        if (k == 0)
            norm2 = f.info.total_weight;
        discarded += f.info.discarded_weight;
        const std::size_t kept = f.s.size();
        tt.cores_[k] = std::move(f.u);
        // The rest: diag(s) vh, reused as the next unfolding (kept * m n, cols / (m
        // n)).
        a = std::move(f.vh);
        for (std::size_t i = 0; i < kept; ++i) {
            const T si = T(f.s[i]);
            T* row = a.data() + i * cols;
            for (std::size_t j = 0; j < cols; ++j)
                row[j] *= si;
        }
        r = kept;
        tt.ranks_[k + 1] = r;
    }
    if (norm2 < 0.0) { // one core: nothing decomposed
        double acc = 0.0;
        for (const T& v : a)
            acc += double(abs2(v));
        norm2 = acc;
    }
    tt.cores_[d - 1] = std::move(a);
    tt.norm2_ = norm2;
    tt.discarded_ = discarded;
    tt.error_bound_ = std::sqrt(discarded);
    tt.validate_and_prepare();
    return tt;
}

template <Scalar T> std::vector<T> TtMatrix<T>::to_dense() const {
    const std::size_t d = num_cores();
    const std::size_t mm = out_size(), nn = in_size();
    mul_checked(mm, nn, "dense matrix size");
    // acc[(i_0 j_0 ... i_k j_k), a_k], one GEMM per core, then one permute.
    std::vector<T> acc = cores_[0], next;
    std::size_t rows = out_modes_[0] * in_modes_[0];
    for (std::size_t k = 1; k < d; ++k) {
        const std::size_t rl = ranks_[k],
                          cols = out_modes_[k] * in_modes_[k] * ranks_[k + 1];
        next.resize(rows * cols);
        gemm<T>(Op::none, Op::none, rows, cols, rl, T(1), acc.data(), rl,
                cores_[k].data(), cols, T(0), next.data(), cols);
        acc.swap(next);
        rows *= out_modes_[k] * in_modes_[k];
    }
    if (d == 1)
        return acc;
    std::vector<std::size_t> shape(2 * d), perm(2 * d);
    for (std::size_t k = 0; k < d; ++k) {
        shape[2 * k] = out_modes_[k];
        shape[2 * k + 1] = in_modes_[k];
        perm[k] = 2 * k;
        perm[d + k] = 2 * k + 1;
    }
    std::vector<T> out(mm * nn);
    permute<T>(acc.data(), shape, perm, out.data());
    return out;
}

template <Scalar T>
TtMatrix<T> TtMatrix<T>::rounded(const TruncationSpec& spec,
                                 std::vector<std::vector<R>>* cut_values) const {
    const std::size_t d = num_cores();
    TtMatrix tt;
    tt.out_modes_ = out_modes_;
    tt.in_modes_ = in_modes_;
    tt.ranks_ = ranks_;
    tt.cores_ = cores_;
    auto& c = tt.cores_;
    auto& r = tt.ranks_;
    // Right-orthonormalize cores d-1 .. 1: G_k = L Q, L absorbed into G_{k-1}.
    std::vector<T> l, next;
    for (std::size_t k = d - 1; k >= 1; --k) {
        const std::size_t mnr = out_modes_[k] * in_modes_[k] * r[k + 1];
        lq<T>(c[k], r[k], mnr, l);
        const std::size_t kk = std::min(r[k], mnr);
        const std::size_t rows = r[k - 1] * out_modes_[k - 1] * in_modes_[k - 1];
        next.resize(rows * kk);
        gemm<T>(Op::none, Op::none, rows, kk, r[k], T(1), c[k - 1].data(), r[k],
                l.data(), kk, T(0), next.data(), kk);
        c[k - 1].swap(next);
        r[k] = kk;
    }
    // Truncated SVDs left to right at the orthogonality centre.
    double discarded = 0.0;
    if (cut_values)
        cut_values->clear();
    for (std::size_t k = 0; k + 1 < d; ++k) {
        const std::size_t rows = r[k] * out_modes_[k] * in_modes_[k];
        SvdResult<T> f = svd<T>(c[k].data(), rows, r[k + 1], spec);
        discarded += f.info.discarded_weight;
        const std::size_t kept = f.s.size();
        for (std::size_t i = 0; i < kept; ++i) {
            const T si = T(f.s[i]);
            for (std::size_t j = 0; j < r[k + 1]; ++j)
                f.vh[i * r[k + 1] + j] *= si;
        }
        const std::size_t cols = out_modes_[k + 1] * in_modes_[k + 1] * r[k + 2];
        next.resize(kept * cols);
        gemm<T>(Op::none, Op::none, kept, cols, r[k + 1], T(1), f.vh.data(), r[k + 1],
                c[k + 1].data(), cols, T(0), next.data(), cols);
        c[k + 1].swap(next);
        c[k] = std::move(f.u);
        r[k + 1] = kept;
        if (cut_values)
            cut_values->push_back(std::move(f.s));
    }
    tt.norm2_ = norm2_;
    tt.discarded_ = discarded_ + discarded;
    tt.error_bound_ = error_bound_ + std::sqrt(discarded);
    tt.validate_and_prepare();
    return tt;
}

template <Scalar T>
TtPlan TtMatrix<T>::make_plan(TtSweep sweep, std::vector<std::size_t> bounds) const {
    const std::size_t d = num_cores();
    bool ok = bounds.size() >= 2 && bounds.front() == 0 && bounds.back() == d;
    for (std::size_t g = 0; ok && g + 1 < bounds.size(); ++g)
        ok = bounds[g] < bounds[g + 1];
    if (!ok)
        throw ShapeError("plan bounds " + join(bounds) +
                         " must increase strictly from 0 to the number of cores " +
                         std::to_string(d));
    // Sizes in double first: a plan whose counts do not fit in 64 bits is refused.
    double total = 0.0;
    for (std::size_t g = 0; g + 1 < bounds.size(); ++g) {
        const auto s = step_dims<double>(sweep, out_modes_, in_modes_, ranks_,
                                         bounds[g], bounds[g + 1]);
        const auto mc =
            merge_cost<double>(out_modes_, in_modes_, ranks_, bounds[g], bounds[g + 1]);
        total += mc.first + mc.second + s.p * s.c * s.e * s.q + s.p * s.e * s.q;
    }
    if (!(total < 1e18))
        throw ShapeError("plan " + join(bounds) + " would need about " +
                         std::to_string(total) +
                         " multiply-adds per row, more than fits "
                         "in 64 bits");
    TtPlan plan;
    plan.sweep = sweep;
    for (std::size_t g = 0; g + 1 < bounds.size(); ++g) {
        const std::size_t a = bounds[g], b = bounds[g + 1];
        plan.merge_macs +=
            merge_cost<std::size_t>(out_modes_, in_modes_, ranks_, a, b).first;
        const Step s =
            step_dims<std::size_t>(sweep, out_modes_, in_modes_, ranks_, a, b);
        plan.sweep_macs += s.p * s.c * s.e * s.q;
    }
    plan.bounds = std::move(bounds);
    return plan;
}

template <Scalar T>
TtPlan TtMatrix<T>::best_plan(std::size_t batch, bool batch_last) const {
    const std::size_t d = num_cores();
    const double nb = double(std::max<std::size_t>(batch, 1));
    TtPlan best;
    double best_cost = std::numeric_limits<double>::infinity();
    for (TtSweep sweep : {TtSweep::right_to_left, TtSweep::left_to_right}) {
        // cost[b]: cheapest handling of cores [0, b) split into groups; from[b] the
        // start of its last group. A sweep's steps are independent given the groups.
        std::vector<double> cost(d + 1, std::numeric_limits<double>::infinity());
        std::vector<std::size_t> from(d + 1, 0);
        cost[0] = 0.0;
        for (std::size_t b = 1; b <= d; ++b) {
            for (std::size_t a = 0; a < b; ++a) {
                const auto s =
                    step_dims<double>(sweep, out_modes_, in_modes_, ranks_, a, b);
                const auto mc = merge_cost<double>(out_modes_, in_modes_, ranks_, a, b);
                const double p = s.p * (batch_last ? 1.0 : nb);
                const double q = s.q * (batch_last ? nb : 1.0);
                const double calls =
                    (p == 1.0 || q == 1.0) ? 1.0 : p; // as mode_product
                double c = mc.first + gemm_call_cost * double(b - a - 1) +
                           merge_elem_cost * mc.second;
                c += p * q * s.e * (s.c + sweep_elem_cost) + gemm_call_cost * calls;
                if (cost[a] + c < cost[b]) {
                    cost[b] = cost[a] + c;
                    from[b] = a;
                }
            }
        }
        if (cost[d] < best_cost) {
            best_cost = cost[d];
            std::vector<std::size_t> bounds{d};
            for (std::size_t b = d; b > 0;)
                bounds.push_back(b = from[b]);
            std::reverse(bounds.begin(), bounds.end());
            best = make_plan(sweep, std::move(bounds));
        }
    }
    return best;
}

template <Scalar T>
void TtMatrix<T>::forward(const T* x, std::size_t batch, bool batch_last, T* y,
                          const TtPlan& plan) const {
    (void)make_plan(plan.sweep, plan.bounds); // validates bounds and sizes
    const std::size_t ng = plan.bounds.size() - 1;
    const std::size_t mm = out_size(), nn = in_size();
    if (batch == 0)
        return;
    const bool rtl = plan.sweep == TtSweep::right_to_left;

    // The matrix G[e, c] of each group: stored cores, or merged ones for this call
    // (written into one workspace arena; slots 3 and 4 hold partial merges).
    Workspace<T>& ws = workspace<T>();
    std::vector<const T*> mats(ng);
    std::vector<Step> steps(ng);
    std::vector<std::size_t> offset(ng, 0);
    std::size_t arena = 0, partial = 0;
    for (std::size_t g = 0; g < ng; ++g) {
        const std::size_t a = plan.bounds[g], b = plan.bounds[g + 1];
        steps[g] =
            step_dims<std::size_t>(plan.sweep, out_modes_, in_modes_, ranks_, a, b);
        if (b - a == 1)
            continue;
        offset[g] = arena;
        arena += steps[g].c * steps[g].e;
        for (std::size_t t = a + 2; t < b; ++t)
            partial = std::max(partial, ranks_[a] * prod(out_modes_, a, t) *
                                            prod(in_modes_, a, t) * ranks_[t]);
    }
    T* merged = arena ? ws.get(2, arena) : nullptr;
    T* part[2] = {partial ? ws.get(3, partial) : nullptr,
                  partial ? ws.get(4, partial) : nullptr};
    for (std::size_t g = 0; g < ng; ++g) {
        const std::size_t a = plan.bounds[g], b = plan.bounds[g + 1];
        if (b - a == 1) {
            mats[g] = rtl ? cores_[a].data() : cores_lr_[a].data();
            continue;
        }
        // Labels: bond t is 100 + t, out digit 200 + t, in digit 300 + t; merged
        // cores are (l, i..., j..., r), the last merge writes the sweep's layout.
        auto labels_of = [a, rtl](std::size_t hi, bool fin) {
            std::vector<int> lab;
            const int l = 100 + int(a), r = 100 + int(hi);
            auto digits = [&](int base) {
                for (std::size_t t = a; t < hi; ++t)
                    lab.push_back(base + int(t));
            };
            if (!fin || rtl) {
                lab.push_back(l);
                digits(200);
                digits(300);
                lab.push_back(r);
            } else { // left-to-right layout (i..., r, l, j...)
                digits(200);
                lab.push_back(r);
                lab.push_back(l);
                digits(300);
            }
            return lab;
        };
        const T* acc = cores_[a].data();
        std::vector<std::size_t> acc_shape{ranks_[a], out_modes_[a], in_modes_[a],
                                           ranks_[a + 1]};
        for (std::size_t t = a + 1; t < b; ++t) {
            const bool fin = t + 1 == b;
            const auto la = labels_of(t, false);
            const std::vector<int> lb{100 + int(t), 200 + int(t), 300 + int(t),
                                      100 + int(t + 1)};
            const std::size_t shape_b[4] = {ranks_[t], out_modes_[t], in_modes_[t],
                                            ranks_[t + 1]};
            T* dst = fin ? merged + offset[g] : part[t % 2];
            contract_pair_into<T>(acc, acc_shape, la, cores_[t].data(), shape_b, lb,
                                  labels_of(t + 1, fin), dst);
            acc = dst;
            acc_shape.clear();
            acc_shape.push_back(ranks_[a]);
            for (std::size_t u = a; u <= t; ++u)
                acc_shape.push_back(out_modes_[u]);
            for (std::size_t u = a; u <= t; ++u)
                acc_shape.push_back(in_modes_[u]);
            acc_shape.push_back(ranks_[t + 1]);
        }
        mats[g] = merged + offset[g];
    }

    // Batch blocks (rows of x) for batch-first calls, so intermediates stay in cache.
    std::size_t state_row = 0; // largest intermediate per batch row
    for (std::size_t s = 0; s + 1 < ng; ++s) {
        const Step& st = steps[rtl ? ng - 1 - s : s];
        state_row = std::max(state_row, st.p * st.e * st.q);
    }
    if (batch_last && batch > 1 && state_row * batch * sizeof(T) > 2 * block_bytes) {
        // Columns cannot be blocked without strided GEMM operands: transposing x
        // and y (two passes over each) costs less than uncached intermediates.
        T* xt = ws.get(5, nn * batch);
        T* yt = ws.get(6, mm * batch);
        const std::size_t shape_x[2] = {nn, batch}, shape_y[2] = {batch, mm};
        const std::size_t swap[2] = {1, 0};
        permute<T>(x, shape_x, swap, xt);
        forward(xt, batch, false, yt, plan); // uses slots 0..4 only
        permute<T>(yt, shape_y, swap, y);
        return;
    }
    std::size_t block = batch;
    if (!batch_last && state_row > 0)
        block =
            std::clamp<std::size_t>(block_bytes / (state_row * sizeof(T)), 1, batch);
    const std::size_t cap = state_row * (batch_last ? batch : block);
    T* buf[2] = {nullptr, nullptr};
    if (ng > 1)
        buf[0] = ws.get(0, cap);
    if (ng > 2)
        buf[1] = ws.get(1, cap);

    for (std::size_t b0 = 0; b0 < batch; b0 += block) {
        const std::size_t nb = std::min(block, batch - b0);
        const T* in = batch_last ? x : x + b0 * nn;
        T* out_final = batch_last ? y : y + b0 * mm;
        for (std::size_t s = 0; s < ng; ++s) {
            const std::size_t g = rtl ? ng - 1 - s : s;
            const Step& st = steps[g];
            const std::size_t p = batch_last ? st.p : st.p * nb;
            const std::size_t q = batch_last ? st.q * batch : st.q;
            T* out = s + 1 == ng ? out_final : buf[s % 2];
            mode_product<T>(in, p, st.c, q, mats[g], st.e, out);
            in = out;
        }
    }
}

#define TENSORBOND_TT_INSTANTIATE(T) template class TtMatrix<T>;
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_TT_INSTANTIATE)

} // namespace tensorbond
