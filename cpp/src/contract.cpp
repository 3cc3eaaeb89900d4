// Pairwise contraction of dense row-major tensors (permute + batched GEMM + permute).
#include "tensorbond/contract.hpp"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>

#include "support.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"

namespace tensorbond {
namespace {

using detail::join;
using detail::product;

/// Uninitialised scratch memory for intermediates (see detail::scratch_alloc).
template <class T> class Scratch {
  public:
    Scratch() = default;
    explicit Scratch(std::size_t n) {
        if (n > 0)
            data_ = detail::scratch_alloc<T>(n);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    Scratch(Scratch&& o) noexcept : data_(std::exchange(o.data_, nullptr)) {}
    Scratch& operator=(Scratch&& o) noexcept {
        std::swap(data_, o.data_);
        return *this;
    }
    ~Scratch() { std::free(data_); }
    T* data() const { return data_; }

  private:
    T* data_ = nullptr;
};

// ---------------------------------------------------------------- contraction

enum class Source { a, b, out };

struct LabelUse {
    int label;
    std::size_t size;
    std::ptrdiff_t pos_a = -1, pos_b = -1, pos_out = -1;
    std::ptrdiff_t pos(Source s) const {
        return s == Source::a ? pos_a : s == Source::b ? pos_b : pos_out;
    }
};

/// The validated labels of one pairwise contraction, grouped by role.
struct PairLabels {
    std::vector<LabelUse> uses;
    std::vector<std::size_t> batch, contracted, free_a, free_b; // indices into uses
    std::vector<std::size_t> out_shape;
};

PairLabels classify(std::span<const std::size_t> shape_a, std::span<const int> labels_a,
                    std::span<const std::size_t> shape_b, std::span<const int> labels_b,
                    std::span<const int> labels_out) {
    if (labels_a.size() != shape_a.size()) {
        throw ShapeError("labels_a has " + std::to_string(labels_a.size()) +
                         " labels but a has " + std::to_string(shape_a.size()) +
                         " axes, shape " + join(shape_a));
    }
    if (labels_b.size() != shape_b.size()) {
        throw ShapeError("labels_b has " + std::to_string(labels_b.size()) +
                         " labels but b has " + std::to_string(shape_b.size()) +
                         " axes, shape " + join(shape_b));
    }
    PairLabels pl;
    auto find = [&](int label) -> LabelUse* {
        for (auto& u : pl.uses)
            if (u.label == label)
                return &u;
        return nullptr;
    };
    for (std::size_t i = 0; i < labels_a.size(); ++i) {
        if (find(labels_a[i])) {
            throw ShapeError("label " + std::to_string(labels_a[i]) +
                             " appears more than once in labels_a " + join(labels_a) +
                             "; take the diagonal first");
        }
        pl.uses.push_back({labels_a[i], shape_a[i], std::ptrdiff_t(i)});
    }
    for (std::size_t i = 0; i < labels_b.size(); ++i) {
        LabelUse* u = find(labels_b[i]);
        if (u && u->pos_b >= 0) {
            throw ShapeError("label " + std::to_string(labels_b[i]) +
                             " appears more than once in labels_b " + join(labels_b) +
                             "; take the diagonal first");
        }
        if (u) {
            if (u->size != shape_b[i]) {
                throw ShapeError("label " + std::to_string(labels_b[i]) + " has size " +
                                 std::to_string(u->size) + " in a (axis " +
                                 std::to_string(u->pos_a) + ") but " +
                                 std::to_string(shape_b[i]) + " in b (axis " +
                                 std::to_string(i) + ")");
            }
            u->pos_b = std::ptrdiff_t(i);
        } else {
            pl.uses.push_back({labels_b[i], shape_b[i], -1, std::ptrdiff_t(i)});
        }
    }
    pl.out_shape.reserve(labels_out.size());
    for (std::size_t i = 0; i < labels_out.size(); ++i) {
        LabelUse* u = find(labels_out[i]);
        if (!u) {
            throw ShapeError("output label " + std::to_string(labels_out[i]) +
                             " is in neither labels_a " + join(labels_a) +
                             " nor labels_b " + join(labels_b));
        }
        if (u->pos_out >= 0) {
            throw ShapeError("label " + std::to_string(labels_out[i]) +
                             " appears more than once in labels_out " +
                             join(labels_out));
        }
        u->pos_out = std::ptrdiff_t(i);
        pl.out_shape.push_back(u->size);
    }
    for (std::size_t i = 0; i < pl.uses.size(); ++i) {
        const LabelUse& u = pl.uses[i];
        const bool in_a = u.pos_a >= 0, in_b = u.pos_b >= 0, in_out = u.pos_out >= 0;
        if (in_a && in_b) {
            (in_out ? pl.batch : pl.contracted).push_back(i);
        } else if (in_out) {
            (in_a ? pl.free_a : pl.free_b).push_back(i);
        } else {
            throw ShapeError(
                "label " + std::to_string(u.label) + " appears only in " +
                (in_a ? "labels_a " + join(labels_a) : "labels_b " + join(labels_b)) +
                " and not in labels_out " + join(labels_out) +
                "; sum it out before the pairwise contraction");
        }
    }
    return pl;
}

/// One way to run the contraction: the order of each label group, which operand
/// layouts the GEMM reads, and whether it writes (free_a, free_b) or the transpose.
struct Plan {
    std::vector<std::size_t> batch, contracted, free_a, free_b;
    bool permute_a = false, permute_b = false, permute_out = false;
    bool a_trans = false; // a read as (batch, contracted, free_a)
    bool b_trans = false; // b read as (batch, free_b, contracted)
    bool swap = false;    // GEMM writes (batch, free_b, free_a)
    std::size_t cost = 0; // elements moved by permutes
};

std::vector<std::size_t> ordered(const std::vector<LabelUse>& uses,
                                 std::vector<std::size_t> group, Source s) {
    std::stable_sort(group.begin(), group.end(), [&](std::size_t x, std::size_t y) {
        return uses[x].pos(s) < uses[y].pos(s);
    });
    return group;
}

/// True when the operand's labels, in order, are the concatenation of the groups.
bool laid_out_as(const std::vector<LabelUse>& uses, Source s, std::size_t rank,
                 std::initializer_list<const std::vector<std::size_t>*> groups) {
    std::size_t p = 0;
    for (const auto* g : groups)
        for (std::size_t i : *g)
            if (uses[i].pos(s) != std::ptrdiff_t(p++))
                return false;
    return p == rank;
}

/// Enumerates the few orders worth trying and keeps the one moving fewest elements.
Plan choose_plan(const PairLabels& pl, std::size_t rank_a, std::size_t rank_b,
                 std::size_t rank_out, std::size_t size_a, std::size_t size_b,
                 std::size_t size_out) {
    const auto& u = pl.uses;
    Plan best;
    bool have = false;
    for (Source bs : {Source::out, Source::a, Source::b}) {
        const auto batch = ordered(u, pl.batch, bs);
        for (Source fas : {Source::a, Source::out}) {
            const auto fa = ordered(u, pl.free_a, fas);
            for (Source fbs : {Source::b, Source::out}) {
                const auto fb = ordered(u, pl.free_b, fbs);
                for (Source cs : {Source::a, Source::b}) {
                    const auto con = ordered(u, pl.contracted, cs);
                    for (bool swap : {false, true}) {
                        Plan p;
                        if (laid_out_as(u, Source::a, rank_a, {&batch, &fa, &con})) {
                        } else if (laid_out_as(u, Source::a, rank_a,
                                               {&batch, &con, &fa})) {
                            p.a_trans = true;
                        } else {
                            p.permute_a = true;
                            p.cost += size_a;
                        }
                        if (laid_out_as(u, Source::b, rank_b, {&batch, &con, &fb})) {
                        } else if (laid_out_as(u, Source::b, rank_b,
                                               {&batch, &fb, &con})) {
                            p.b_trans = true;
                        } else {
                            p.permute_b = true;
                            p.cost += size_b;
                        }
                        const bool out_ok = swap ? laid_out_as(u, Source::out, rank_out,
                                                               {&batch, &fb, &fa})
                                                 : laid_out_as(u, Source::out, rank_out,
                                                               {&batch, &fa, &fb});
                        if (!out_ok) {
                            p.permute_out = true;
                            p.cost += size_out;
                        }
                        if (!have || p.cost < best.cost) {
                            p.batch = batch;
                            p.contracted = con;
                            p.free_a = fa;
                            p.free_b = fb;
                            p.swap = swap;
                            best = std::move(p);
                            have = true;
                            if (best.cost == 0)
                                return best;
                        }
                    }
                }
            }
        }
    }
    return best;
}

std::size_t group_size(const std::vector<LabelUse>& uses,
                       const std::vector<std::size_t>& g) {
    std::size_t p = 1;
    for (std::size_t i : g)
        p *= uses[i].size;
    return p;
}

/// Permutes `src` (axes named by the source's labels) so its axes follow `groups`.
template <Scalar T>
void permute_to(const T* src, std::span<const std::size_t> shape,
                const std::vector<LabelUse>& uses, Source s,
                std::initializer_list<const std::vector<std::size_t>*> groups, T* dst) {
    std::vector<std::size_t> perm;
    perm.reserve(shape.size());
    for (const auto* g : groups)
        for (std::size_t i : *g)
            perm.push_back(std::size_t(uses[i].pos(s)));
    permute(src, shape, std::span<const std::size_t>(perm), dst);
}

/// Largest m*n*k done without BLAS (measured crossover, complex128 batched GEMM).
constexpr std::size_t small_gemm_max = 128;

/// c[m,n] = op(a)[m,k] op(b)[k,n] for small sizes, where a BLAS call costs more
/// than the arithmetic. Complex products are spelled out in real arithmetic:
/// std::complex's operator* calls the C99 inf/NaN-recovering helper otherwise.
template <Scalar T>
void small_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k,
                const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c,
                std::size_t ldc) {
    const std::size_t a_i = ta ? 1 : lda, a_k = ta ? lda : 1;
    const std::size_t b_k = tb ? 1 : ldb, b_j = tb ? ldb : 1;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            const T* ap = a + i * a_i;
            const T* bp = b + j * b_j;
            if constexpr (scalar_traits<T>::is_complex) {
                real_t<T> re = 0, im = 0;
                for (std::size_t q = 0; q < k; ++q) {
                    const T x = ap[q * a_k], y = bp[q * b_k];
                    re += x.real() * y.real() - x.imag() * y.imag();
                    im += x.real() * y.imag() + x.imag() * y.real();
                }
                c[i * ldc + j] = T(re, im);
            } else {
                T acc = 0;
                for (std::size_t q = 0; q < k; ++q)
                    acc += ap[q * a_k] * bp[q * b_k];
                c[i * ldc + j] = acc;
            }
        }
    }
}

} // namespace

std::vector<std::size_t> contract_pair_shape(std::span<const std::size_t> shape_a,
                                             std::span<const int> labels_a,
                                             std::span<const std::size_t> shape_b,
                                             std::span<const int> labels_b,
                                             std::span<const int> labels_out) {
    return classify(shape_a, labels_a, shape_b, labels_b, labels_out).out_shape;
}

/// out[batch, free_a, free_b] = sum_contracted a[batch, free_a, contracted]
///                                            * b[batch, contracted, free_b]
template <Scalar T>
void contract_pair_into(const T* a, std::span<const std::size_t> shape_a,
                        std::span<const int> labels_a, const T* b,
                        std::span<const std::size_t> shape_b,
                        std::span<const int> labels_b, std::span<const int> labels_out,
                        T* out) {
    const PairLabels pl = classify(shape_a, labels_a, shape_b, labels_b, labels_out);
    const std::size_t size_a = product(shape_a), size_b = product(shape_b);
    const std::size_t size_out = product(pl.out_shape);
    if (size_out == 0)
        return;
    const auto& u = pl.uses;
    const std::size_t nb = group_size(u, pl.batch), m = group_size(u, pl.free_a),
                      n = group_size(u, pl.free_b), k = group_size(u, pl.contracted);
    if (k == 0) { // an empty sum
        std::fill_n(out, size_out, T(0));
        return;
    }
    const Plan plan = choose_plan(pl, shape_a.size(), shape_b.size(), labels_out.size(),
                                  size_a, size_b, size_out);
    Scratch<T> buf_a, buf_b, buf_c;
    if (plan.permute_a) {
        buf_a = Scratch<T>(size_a);
        permute_to(a, shape_a, u, Source::a,
                   {&plan.batch, &plan.free_a, &plan.contracted}, buf_a.data());
        a = buf_a.data();
    }
    if (plan.permute_b) {
        buf_b = Scratch<T>(size_b);
        permute_to(b, shape_b, u, Source::b,
                   {&plan.batch, &plan.contracted, &plan.free_b}, buf_b.data());
        b = buf_b.data();
    }
    T* c = out;
    if (plan.permute_out) {
        buf_c = Scratch<T>(size_out);
        c = buf_c.data();
    }
    // Row-major operand matrices: a is (m, k) or, transposed, (k, m); b is (k, n)
    // or (n, k). Swapped, the GEMM computes c^T = op(b)^T op(a)^T as (n, m).
    const std::size_t lda = plan.a_trans ? m : k, ldb = plan.b_trans ? k : n;
    const std::size_t step_a = m * k, step_b = k * n, step_c = m * n;
    const bool small = m * n * k <= small_gemm_max;
    for (std::size_t t = 0; t < nb; ++t) {
        const T* at = a + t * step_a;
        const T* bt = b + t * step_b;
        T* ct = c + t * step_c;
        if (!plan.swap) {
            if (small) {
                small_gemm(plan.a_trans, plan.b_trans, m, n, k, at, lda, bt, ldb, ct,
                           n);
            } else {
                gemm(plan.a_trans ? Op::trans : Op::none,
                     plan.b_trans ? Op::trans : Op::none, m, n, k, T(1), at, lda, bt,
                     ldb, T(0), ct, n);
            }
        } else {
            if (small) {
                small_gemm(!plan.b_trans, !plan.a_trans, n, m, k, bt, ldb, at, lda, ct,
                           m);
            } else {
                gemm(plan.b_trans ? Op::none : Op::trans,
                     plan.a_trans ? Op::none : Op::trans, n, m, k, T(1), bt, ldb, at,
                     lda, T(0), ct, m);
            }
        }
    }
    if (plan.permute_out) {
        // c's axes are (batch, free_a, free_b) or (batch, free_b, free_a).
        std::vector<const std::vector<std::size_t>*> groups = {
            &plan.batch, &plan.free_a, &plan.free_b};
        if (plan.swap)
            std::swap(groups[1], groups[2]);
        std::vector<std::size_t> c_shape, perm(labels_out.size());
        std::vector<std::ptrdiff_t> c_pos(u.size(), -1);
        for (const auto* g : groups) {
            for (std::size_t i : *g) {
                c_pos[i] = std::ptrdiff_t(c_shape.size());
                c_shape.push_back(u[i].size);
            }
        }
        for (std::size_t i = 0; i < u.size(); ++i)
            if (u[i].pos_out >= 0)
                perm[std::size_t(u[i].pos_out)] = std::size_t(c_pos[i]);
        permute(static_cast<const T*>(c), std::span<const std::size_t>(c_shape),
                std::span<const std::size_t>(perm), out);
    }
}

template <Scalar T>
ContractResult<T> contract_pair(const T* a, std::span<const std::size_t> shape_a,
                                std::span<const int> labels_a, const T* b,
                                std::span<const std::size_t> shape_b,
                                std::span<const int> labels_b,
                                std::span<const int> labels_out) {
    ContractResult<T> res;
    res.shape = contract_pair_shape(shape_a, labels_a, shape_b, labels_b, labels_out);
    res.data.resize(product(res.shape));
    contract_pair_into(a, shape_a, labels_a, b, shape_b, labels_b, labels_out,
                       res.data.data());
    return res;
}

#define TENSORBOND_CONTRACT_INSTANTIATE(T)                                             \
    template void contract_pair_into<T>(                                               \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>, T*); \
    template ContractResult<T> contract_pair<T>(                                       \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_CONTRACT_INSTANTIATE)

} // namespace tensorbond
