// TEBD blocks of Mps::run: runs of 1-qubit and adjacent 2-qubit unitaries applied
// in the Lambda-B form (Hastings, J. Math. Phys. 50, 095207 (2009)). Every site is
// right-orthonormal and bond b carries the Schmidt values Lambda_b; a gate on
// (i, i+1) forms C = g B_i B_{i+1}, splits theta = Lambda_i C = U S V^dag and sets
// B_{i+1} = V^dag, Lambda_{i+1} = S and B_i = C V (a GEMM: nothing is divided by
// Lambda). No orthogonality centre has to travel between gates, so the disjoint
// gates of a layer are independent and run on the threads set, each with a serial
// BLAS; their results are committed in gate order, so the state and its truncation
// record do not depend on the thread count. The block ends with one exact QR/LQ
// sweep back to the canonical form the rest of the engine keeps.
#include <atomic>
#include <cmath>
#include <exception>
#include <numeric>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif

#include "mps_kernels.hpp"
#include "tensorbond/mps.hpp"
#include "tensorbond/split.hpp"

namespace tensorbond {
namespace {

// Below this much factorization work (complex multiply-adds) a batch runs on the
// calling thread: starting threads costs tens of microseconds.
constexpr double parallel_work = 4.0e6;

std::size_t usable_cpus() {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return std::max(1, CPU_COUNT(&set));
#endif
    return std::max(1u, std::thread::hardware_concurrency());
}

bool is_unitary(const std::complex<double>* m, std::size_t d) {
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            std::complex<double> acc = 0.0;
            for (std::size_t k = 0; k < d; ++k)
                acc += std::conj(m[k * d + i]) * m[k * d + j];
            if (std::abs(acc - (i == j ? 1.0 : 0.0)) > 1e-10)
                return false;
        }
    return true;
}

/// One 2-qubit gate of a batch: its sites (i, i+1) and matrix in site order.
template <class T> struct TebdGate {
    std::size_t site = 0;
    std::vector<T> g;
};

/// What a gate's worker hands back to be committed.
template <ComplexScalar T> struct TebdResult {
    std::vector<T> left, right;    // the new B_i (l, 2, k) and B_{i+1} (k, 2, r)
    std::vector<real_t<T>> lambda; // Lambda_{i+1}, k values
    SplitFactors<T> meta;          // the split's record (factors moved out)
    std::size_t rows = 0, cols = 0;
    std::exception_ptr error;
};

template <ComplexScalar T>
void tebd_gate(const std::vector<T>& a, const std::vector<T>& b,
               const std::vector<real_t<T>>& lambda_left, std::size_t l, std::size_t m,
               std::size_t r, const T* g, const TruncationSpec& spec,
               TebdResult<T>& out) {
    using R = real_t<T>;
    const std::size_t rows = 2 * l, cols = 2 * r;
    std::vector<T> pair(rows * cols);
    gemm(Op::none, Op::none, rows, cols, m, T(1), a.data(), m, b.data(), cols, T(0),
         pair.data(), cols);
    std::vector<T> c(rows * cols);
    mps_kernels::apply_middle(g, 4, pair.data(), c.data(), l, r);
    for (std::size_t x = 0; x < l; ++x) {
        const R w = lambda_left[x];
        for (std::size_t e = 2 * x * cols; e < 2 * (x + 1) * cols; ++e)
            pair[e] = c[e] * w;
    }
    SplitFactors<T> f = split(pair, rows, cols, spec, false);
    const std::size_t k = f.k;
    // U S = theta V: its column norms are the new Schmidt values.
    out.lambda.assign(k, R(0));
    for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t x = 0; x < k; ++x)
            out.lambda[x] += abs2(f.left[row * k + x]);
    for (R& v : out.lambda)
        v = std::sqrt(v);
    out.left.assign(rows * k, T(0));
    gemm(Op::none, Op::conj_trans, rows, k, cols, T(1), c.data(), cols, f.right.data(),
         cols, T(0), out.left.data(), k);
    out.right = std::move(f.right);
    f.left.clear();
    out.meta = std::move(f);
    out.rows = rows;
    out.cols = cols;
}

} // namespace

template <ComplexScalar T>
std::size_t Mps<T>::tebd_extent(const GateRef* gates, std::size_t begin,
                                std::size_t count, std::size_t& two_qubit) const {
    const std::size_t n = cores_.size();
    two_qubit = 0;
    std::size_t k = begin;
    for (; k < count; ++k) {
        const GateRef& gate = gates[k];
        if (gate.arity == 1) {
            if (gate.qubits[0] >= n || !is_unitary(gate.matrix, 2))
                break;
            continue;
        }
        if (gate.arity != 2 || gate.qubits[0] >= n || gate.qubits[1] >= n)
            break;
        const std::size_t a = site_of_[gate.qubits[0]], b = site_of_[gate.qubits[1]];
        if ((a + 1 != b && b + 1 != a) || mps_kernels::is_swap(gate.matrix) ||
            !is_unitary(gate.matrix, 4))
            break;
        ++two_qubit;
    }
    return k;
}

template <ComplexScalar T>
void Mps<T>::run_tebd(const GateRef* gates, std::size_t begin, std::size_t end,
                      const TruncationSpec& spec, std::size_t toward,
                      const std::function<void()>& poll) {
    using R = real_t<T>;
    const std::size_t n = cores_.size();
    // The threads set run this block's gates, each BLAS call serial: OpenBLAS's
    // own threads would spin against them, and no more workers than the CPUs
    // this process may use (oversubscribed, spinning BLAS threads cost 100x).
    const std::size_t workers =
        std::min(std::size_t(std::max(1, get_blas_threads())), usable_cpus());
    SerialBlas serial;
    std::vector<std::vector<R>> lambda(n + 1, std::vector<R>{R(1)});
    const bool product =
        std::all_of(bonds_.begin(), bonds_.end(), [](std::size_t b) { return b == 1; });
    if (product) {
        // Unit sites, the norm on site 0 (Lambda_0 = 1: B_0 carries it).
        double norm = 1.0;
        for (auto& core : cores_) {
            double w = 0.0;
            for (const T& v : core)
                w += double(abs2(v));
            if (w > 0.0) {
                const R inv = R(1.0 / std::sqrt(w));
                for (T& v : core)
                    v *= inv;
                norm *= std::sqrt(w);
            }
        }
        for (T& v : cores_[0])
            v *= R(norm);
    } else {
        // Exact Schmidt values: centre to the right end, then SVDs leftwards.
        move_center(n - 1);
        const TruncationSpec exact;
        for (std::size_t s = n - 1; s > 0; --s) {
            const std::size_t l = bonds_[s], r = bonds_[s + 1], l2 = bonds_[s - 1];
            auto res = svd(cores_[s].data(), l, 2 * r, exact);
            const std::size_t k = res.info.kept;
            for (std::size_t x = 0; x < l; ++x)
                for (std::size_t y = 0; y < k; ++y)
                    res.u[x * k + y] *= res.s[y];
            std::vector<T> prev(l2 * 2 * k);
            gemm(Op::none, Op::none, l2 * 2, k, l, T(1), cores_[s - 1].data(), l,
                 res.u.data(), k, T(0), prev.data(), k);
            cores_[s - 1].swap(prev);
            cores_[s] = std::move(res.vh);
            lambda[s] = std::move(res.s);
            bonds_[s] = k;
        }
    }
    center_ = 0;

    std::vector<TebdGate<T>> batch;
    std::vector<char> busy(n, 0);
    bool truncated = false;
    TruncationSpec per_gate = spec; // renormalized once, at the block's end
    per_gate.renormalize = false;
    auto commit = [&](const TebdGate<T>& gate, TebdResult<T>& res) {
        const std::size_t i = gate.site;
        cores_[i] = std::move(res.left);
        cores_[i + 1] = std::move(res.right);
        bonds_[i + 1] = res.meta.k;
        lambda[i + 1] = std::move(res.lambda);
        note_truncation(res.meta.info, res.rows, res.cols);
        ++split_stats_.count[std::size_t(res.meta.used)];
        split_stats_.fallbacks += res.meta.fell_back ? 1 : 0;
        split_stats_.madds += res.meta.madds;
        truncated = truncated || res.meta.info.discarded_weight > 0.0;
    };
    auto flush = [&] {
        const std::size_t m = batch.size();
        if (m == 0)
            return;
        std::vector<TebdResult<T>> results(m);
        std::vector<double> work(m);
        double total = 0.0;
        for (std::size_t j = 0; j < m; ++j) {
            const std::size_t i = batch[j].site;
            const double rows = 2.0 * double(bonds_[i]),
                         cols = 2.0 * double(bonds_[i + 2]);
            work[j] = rows * cols * std::min(rows, cols);
            total += work[j];
        }
        auto one = [&](std::size_t j) {
            const std::size_t i = batch[j].site;
            try {
                tebd_gate(cores_[i], cores_[i + 1], lambda[i], bonds_[i], bonds_[i + 1],
                          bonds_[i + 2], batch[j].g.data(), per_gate, results[j]);
            } catch (...) {
                results[j].error = std::current_exception();
            }
        };
        const std::size_t threads = std::min(workers, m);
        if (threads > 1 && total >= parallel_work) {
            // Largest first, taken from a shared counter: the layer's middle gates
            // dominate. Workers read disjoint sites; all writes wait for the commit.
            std::vector<std::size_t> order(m);
            std::iota(order.begin(), order.end(), std::size_t(0));
            std::stable_sort(
                order.begin(), order.end(),
                [&](std::size_t x, std::size_t y) { return work[x] > work[y]; });
            std::atomic<std::size_t> next{0};
            auto worker = [&] {
                for (std::size_t t = next++; t < m; t = next++)
                    one(order[t]);
            };
            std::vector<std::thread> pool;
            pool.reserve(threads - 1);
            for (std::size_t t = 1; t < threads; ++t)
                pool.emplace_back(worker);
            worker();
            for (auto& th : pool)
                th.join();
        } else {
            for (std::size_t j = 0; j < m; ++j) {
                one(j);
                if (results[j].error)
                    break;
            }
        }
        for (std::size_t j = 0; j < m; ++j) {
            if (results[j].error) {
                // Gates before it are committed: the state is the circuit up to here.
                batch.clear();
                std::fill(busy.begin(), busy.end(), 0);
                std::rethrow_exception(results[j].error);
            }
            commit(batch[j], results[j]);
        }
        batch.clear();
        std::fill(busy.begin(), busy.end(), 0);
    };
    auto leave = [&] {
        // Exact gauge sweeps from both ends to the centre: the sites become exactly
        // left- and right-orthonormal about it, whatever truncation did to the B's.
        const std::size_t t = std::min(toward, n - 1);
        std::size_t c = 0;
        mps_kernels::sweep_center(cores_, bonds_, c, t);
        c = n - 1;
        mps_kernels::sweep_center(cores_, bonds_, c, t);
        center_ = t;
        // Renormalize once, on the exact centre: theta's norm in the Lambda-B form
        // is not the state's, so a per-gate total/kept rescaling over-corrects.
        const double norm2 = norm_squared();
        if (spec.renormalize && truncated && norm2 > 0.0) {
            const R scale = R(1.0 / std::sqrt(norm2));
            for (T& v : cores_[t])
                v *= scale;
        }
    };
    try {
        for (std::size_t k = begin; k < end; ++k) {
            const GateRef& gate = gates[k];
            if (gate.arity == 1) {
                const std::size_t s = site_of_[gate.qubits[0]];
                if (busy[s]) {
                    flush();
                    if (poll)
                        poll();
                }
                apply_site_matrix(s,
                                  gate.matrix); // a unitary keeps B_s and the Lambdas
            } else {
                GateRef on_sites = gate;
                for (std::size_t j = 0; j < 2; ++j)
                    on_sites.qubits[j] = site_of_[gate.qubits[j]];
                std::array<std::uint32_t, 3> s{};
                std::vector<T> g = mps_kernels::sorted_gate<T>(on_sites, s);
                if (busy[s[0]] || busy[s[1]]) {
                    flush();
                    if (poll)
                        poll();
                }
                busy[s[0]] = busy[s[1]] = 1;
                batch.push_back({s[0], std::move(g)});
            }
        }
        flush();
        if (poll)
            poll();
    } catch (...) {
        leave();
        throw;
    }
    leave();
}

#define TENSORBOND_MPS_TEBD_INSTANTIATE(T)                                             \
    template std::size_t Mps<T>::tebd_extent(const GateRef*, std::size_t, std::size_t, \
                                             std::size_t&) const;                      \
    template void Mps<T>::run_tebd(const GateRef*, std::size_t, std::size_t,           \
                                   const TruncationSpec&, std::size_t,                 \
                                   const std::function<void()>&);
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_MPS_TEBD_INSTANTIATE)

} // namespace tensorbond
