// Permutation and pairwise contraction of dense row-major tensors.
#include "tensorbond/contract.hpp"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"
#include "support.hpp"

namespace tensorbond {
namespace {

using detail::join;

/// Uninitialised scratch memory for intermediates (see detail::scratch_alloc).
template <class T> class Scratch {
  public:
    Scratch() = default;
    explicit Scratch(std::size_t n) {
        if (n > 0) data_ = detail::scratch_alloc<T>(n);
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

std::size_t product(std::span<const std::size_t> dims) {
    std::size_t p = 1;
    for (auto d : dims) p *= d;
    return p;
}

/// Edge of a square tile of the blocked transpose: one cache line of elements, so
/// each line of the input and of the output is read or written whole per tile.
template <class T>
constexpr std::size_t tile_edge = std::max<std::size_t>(4, 64 / sizeof(T));
/// A side of a transpose block spans at least this many bytes where small axes
/// allow, so that tiles move whole lines and the prefetchers see runs.
constexpr std::size_t group_bytes = 512;
/// Side of a tile of chunks (elements that move together): runs of this many
/// bytes keep the prefetchers busy on both sides.
constexpr std::size_t chunk_tile_bytes = 1024;
/// Largest tile of the small-axes kernel (elements); it stays in L1.
constexpr std::size_t small_tile_cap = 2048;

/// Offsets along one side of a transpose block: one axis (a stride) ...
struct StrideOffsets {
    std::size_t stride;
    std::size_t operator[](std::size_t i) const { return i * stride; }
};
/// ... or several small axes read as one index (a table).
struct TableOffsets {
    const std::size_t* table;
    std::size_t operator[](std::size_t i) const { return table[i]; }
};

/// Copies a chunk of `L` elements (compile-time, unrolled) or of `len` (L == 0).
template <std::size_t L, class T>
inline void move_chunk(const T* src, T* dst, std::size_t len) {
    if constexpr (L == 0) {
        std::copy_n(src, len, dst);
    } else {
        for (std::size_t c = 0; c < L; ++c) dst[c] = src[c];
    }
}

/// buf[x][y] = in[in_y[y0 + y] + x0 + x] for one E-by-E tile: rows are read whole
/// and transposed in SSE registers where the element size allows (moves only, so
/// complex<float> goes through the double lanes bit for bit).
template <class T, std::size_t E, class InY>
inline void load_tile(const T* in, InY in_y, std::size_t x0, std::size_t y0,
                      T (&buf)[E][E]) {
#if defined(__SSE2__)
    if constexpr (sizeof(T) == 8 && E % 2 == 0) {
        for (std::size_t y = 0; y < E; y += 2) {
            const auto* r0 = reinterpret_cast<const double*>(in + in_y[y0 + y] + x0);
            const auto* r1 =
                reinterpret_cast<const double*>(in + in_y[y0 + y + 1] + x0);
            for (std::size_t x = 0; x < E; x += 2) {
                const __m128d a = _mm_loadu_pd(r0 + x), b = _mm_loadu_pd(r1 + x);
                _mm_store_pd(reinterpret_cast<double*>(&buf[x][y]),
                             _mm_unpacklo_pd(a, b));
                _mm_store_pd(reinterpret_cast<double*>(&buf[x + 1][y]),
                             _mm_unpackhi_pd(a, b));
            }
        }
        return;
    } else if constexpr (sizeof(T) == 4 && E % 4 == 0) {
        for (std::size_t y = 0; y < E; y += 4) {
            const auto* r0 = reinterpret_cast<const float*>(in + in_y[y0 + y] + x0);
            const auto* r1 = reinterpret_cast<const float*>(in + in_y[y0 + y + 1] + x0);
            const auto* r2 = reinterpret_cast<const float*>(in + in_y[y0 + y + 2] + x0);
            const auto* r3 = reinterpret_cast<const float*>(in + in_y[y0 + y + 3] + x0);
            for (std::size_t x = 0; x < E; x += 4) {
                __m128 a = _mm_loadu_ps(r0 + x), b = _mm_loadu_ps(r1 + x);
                __m128 c = _mm_loadu_ps(r2 + x), d = _mm_loadu_ps(r3 + x);
                _MM_TRANSPOSE4_PS(a, b, c, d);
                _mm_store_ps(reinterpret_cast<float*>(&buf[x][y]), a);
                _mm_store_ps(reinterpret_cast<float*>(&buf[x + 1][y]), b);
                _mm_store_ps(reinterpret_cast<float*>(&buf[x + 2][y]), c);
                _mm_store_ps(reinterpret_cast<float*>(&buf[x + 3][y]), d);
            }
        }
        return;
    }
#endif
    for (std::size_t y = 0; y < E; ++y) {
        const T* src = in + in_y[y0 + y] + x0;
        for (std::size_t x = 0; x < E; ++x) buf[x][y] = src[x];
    }
}

/// out[out_x[x] + y*len + c] = in[in_y[y] + x*len + c] for x < nx, y < ny, c < len
/// (len = L unless L == 0): x indexes input-contiguous chunks, y output-contiguous
/// ones. For single elements, E-by-E tiles go through a buffer in L1, so every
/// line on either side is touched whole, once, whatever the strides (power-of-two
/// strides would otherwise make a tile's rows collide in one cache set).
template <std::size_t L, class T, class OutX, class InY>
void transpose_block(const T* in, T* out, std::size_t nx, std::size_t ny, OutX out_x,
                     InY in_y, std::size_t len) {
    constexpr std::size_t E = tile_edge<T>;
    if constexpr (L != 1) {
        const std::size_t edge =
            std::max<std::size_t>(1, chunk_tile_bytes / (len * sizeof(T)));
        for (std::size_t x0 = 0; x0 < nx; x0 += edge) {
            const std::size_t x1 = std::min(nx, x0 + edge);
            for (std::size_t y0 = 0; y0 < ny; y0 += edge) {
                const std::size_t y1 = std::min(ny, y0 + edge);
                for (std::size_t x = x0; x < x1; ++x)
                    for (std::size_t y = y0; y < y1; ++y)
                        move_chunk<L>(in + in_y[y] + x * len, out + out_x[x] + y * len,
                                      len);
            }
        }
    } else {
        for (std::size_t x0 = 0; x0 < nx; x0 += E) {
            const std::size_t x1 = std::min(nx, x0 + E);
            for (std::size_t y0 = 0; y0 < ny; y0 += E) {
                const std::size_t y1 = std::min(ny, y0 + E);
                if (x1 - x0 == E && y1 - y0 == E) {
                    alignas(64) T buf[E][E];
                    load_tile<T, E>(in, in_y, x0, y0, buf);
                    for (std::size_t x = 0; x < E; ++x) {
                        T* dst = out + out_x[x0 + x] + y0;
                        for (std::size_t y = 0; y < E; ++y) dst[y] = buf[x][y];
                    }
                } else {
                    for (std::size_t x = x0; x < x1; ++x)
                        for (std::size_t y = y0; y < y1; ++y)
                            out[out_x[x] + y] = in[in_y[y] + x];
                }
            }
        }
    }
}

/// The small-axes kernel: out[o_rest[i] + j*len + c] = in[i_rest[i] + i_run[j] + c]
/// over a tile that holds whole input lines and whole output runs (j indexes
/// the innermost output axes, i the tile's other axes in output order).
template <std::size_t L, class T>
void gather_block(const T* in, T* out, const std::vector<std::size_t>& i_rest,
                  const std::vector<std::size_t>& o_rest,
                  const std::vector<std::size_t>& i_run, std::size_t len) {
    const std::size_t nj = i_run.size();
    const std::size_t* ir = i_run.data();
    for (std::size_t i = 0; i < i_rest.size(); ++i) {
        const T* src = in + i_rest[i];
        T* dst = out + o_rest[i];
        for (std::size_t j = 0; j < nj; ++j)
            move_chunk<L>(src + ir[j], dst + j * len, len);
    }
}

/// Calls f(std::integral_constant<std::size_t, L>) with L = len for the short
/// chunk lengths worth unrolling, else L = 0 (runtime length).
template <class F> void with_chunk(std::size_t len, F&& f) {
    switch (len) {
        case 1:
            return f(std::integral_constant<std::size_t, 1>{});
        case 2:
            return f(std::integral_constant<std::size_t, 2>{});
        case 3:
            return f(std::integral_constant<std::size_t, 3>{});
        case 4:
            return f(std::integral_constant<std::size_t, 4>{});
        case 8:
            return f(std::integral_constant<std::size_t, 8>{});
        default:
            return f(std::integral_constant<std::size_t, 0>{});
    }
}

/// Offsets of the row-major composite index over axes with these sizes and
/// strides (outermost first).
std::vector<std::size_t> offset_table(const std::vector<std::size_t>& dims,
                                      const std::vector<std::size_t>& strides) {
    std::vector<std::size_t> t{0};
    for (std::size_t a = 0; a < dims.size(); ++a) {
        std::vector<std::size_t> next;
        next.reserve(t.size() * dims[a]);
        for (std::size_t base : t)
            for (std::size_t j = 0; j < dims[a]; ++j)
                next.push_back(base + j * strides[a]);
        t = std::move(next);
    }
    return t;
}

/// Runs `kernel(in_offset, out_offset)` over every index of the outer axes
/// (given in output order) with an odometer: no divisions per element.
template <class F>
void for_outer(const std::vector<std::size_t>& dims, const std::vector<std::size_t>& is,
               const std::vector<std::size_t>& os, F&& kernel) {
    const std::size_t no = dims.size();
    if (no == 0) {
        kernel(std::size_t{0}, std::size_t{0});
        return;
    }
    const std::size_t d_last = dims[no - 1], is_last = is[no - 1], os_last = os[no - 1];
    std::size_t count = 1;
    for (std::size_t t = 0; t + 1 < no; ++t) count *= dims[t];
    std::vector<std::size_t> idx(no, 0);
    std::size_t ioff = 0, ooff = 0;
    for (std::size_t c = 0; c < count; ++c) {
        for (std::size_t i = 0; i < d_last; ++i)
            kernel(ioff + i * is_last, ooff + i * os_last);
        for (std::size_t t = no - 1; t-- > 0;) {
            ioff += is[t];
            ooff += os[t];
            if (++idx[t] < dims[t]) break;
            ioff -= is[t] * dims[t];
            ooff -= os[t] * dims[t];
            idx[t] = 0;
        }
    }
}

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
    std::vector<std::size_t> batch, contracted, free_a, free_b;  // indices into uses
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
            if (u.label == label) return &u;
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
    bool a_trans = false;  // a read as (batch, contracted, free_a)
    bool b_trans = false;  // b read as (batch, free_b, contracted)
    bool swap = false;     // GEMM writes (batch, free_b, free_a)
    std::size_t cost = 0;  // elements moved by permutes
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
            if (uses[i].pos(s) != std::ptrdiff_t(p++)) return false;
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
                            if (best.cost == 0) return best;
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
    for (std::size_t i : g) p *= uses[i].size;
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
        for (std::size_t i : *g) perm.push_back(std::size_t(uses[i].pos(s)));
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
                for (std::size_t q = 0; q < k; ++q) acc += ap[q * a_k] * bp[q * b_k];
                c[i * ldc + j] = acc;
            }
        }
    }
}

}  // namespace

template <Scalar T>
void permute(const T* in, std::span<const std::size_t> shape,
             std::span<const std::size_t> perm, T* out) {
    const std::size_t n = shape.size();
    if (perm.size() != n) {
        throw ShapeError("permute: perm " + join(perm) + " has " +
                         std::to_string(perm.size()) + " entries but the array has " +
                         std::to_string(n) + " axes, shape " + join(shape));
    }
    {
        std::vector<char> seen(n, 0);
        for (std::size_t k = 0; k < n; ++k) {
            if (perm[k] >= n || seen[perm[k]]) {
                throw ShapeError("permute: perm " + join(perm) +
                                 " is not a permutation of 0.." + std::to_string(n) +
                                 " - 1");
            }
            seen[perm[k]] = 1;
        }
    }
    const std::size_t total = product(shape);
    if (total == 0) return;

    // Drop size-1 axes, then merge runs of input axes that stay adjacent and in
    // order: the permutation of the remaining "groups" is what must move.
    std::vector<std::size_t> new_id(n, 0), dims1;
    for (std::size_t a = 0; a < n; ++a) {
        if (shape[a] != 1) {
            new_id[a] = dims1.size();
            dims1.push_back(shape[a]);
        }
    }
    // Input axis range of each group, in output order.
    std::vector<std::size_t> first, last;
    for (std::size_t k = 0; k < n; ++k) {
        if (shape[perm[k]] == 1) continue;
        const std::size_t a = new_id[perm[k]];
        if (!last.empty() && a == last.back() + 1) {
            last.back() = a;
        } else {
            first.push_back(a);
            last.push_back(a);
        }
    }
    const std::size_t r = first.size();
    if (r <= 1) {
        std::copy_n(in, total, out);
        return;
    }
    // Groups partition the input axes into ranges: their input order is by `first`.
    std::vector<std::size_t> order(r), rank(r);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&](std::size_t x, std::size_t y) { return first[x] < first[y]; });
    for (std::size_t i = 0; i < r; ++i) rank[order[i]] = i;
    // Merged input dims; output axis k is input axis p[k].
    std::vector<std::size_t> dims(r), p(r);
    for (std::size_t k = 0; k < r; ++k) {
        p[k] = rank[k];
        std::size_t d = 1;
        for (std::size_t a = first[k]; a <= last[k]; ++a) d *= dims1[a];
        dims[rank[k]] = d;
    }
    std::vector<std::size_t> in_stride(r), out_stride(r);
    in_stride[r - 1] = out_stride[r - 1] = 1;
    for (std::size_t a = r - 1; a-- > 0;) in_stride[a] = in_stride[a + 1] * dims[a + 1];
    for (std::size_t k = r - 1; k-- > 0;)
        out_stride[k] = out_stride[k + 1] * dims[p[k + 1]];

    // When the last axis stays last (it cannot merge with its neighbour, or it
    // would have), it becomes a contiguous chunk copied whole.
    std::size_t len = 1, rr = r;
    if (p[r - 1] == r - 1) {
        len = dims[r - 1];
        rr = r - 1;
    }
    std::vector<std::size_t> q(r);  // output position of each input axis
    for (std::size_t k = 0; k < r; ++k) q[p[k]] = k;
    const std::size_t target =
        std::max<std::size_t>(tile_edge<T>, group_bytes / (len * sizeof(T)));
    auto outer_loops = [&](const std::vector<char>& inner, std::vector<std::size_t>& od,
                           std::vector<std::size_t>& ois,
                           std::vector<std::size_t>& oos) {
        for (std::size_t k = 0; k < rr; ++k) {
            if (inner[p[k]]) continue;
            od.push_back(dims[p[k]]);
            ois.push_back(in_stride[p[k]]);
            oos.push_back(out_stride[k]);
        }
    };

    // Small axes: a tile is the union of the innermost input axes and the
    // innermost output axes, each spanning `target` chunks, enumerated by tables.
    {
        std::vector<char> in_tile(r, 0);
        std::size_t n_tile = 1;
        for (std::size_t a = rr, span = 1; a-- > 0 && span < target;) {
            span *= dims[a];
            n_tile *= dims[a];
            in_tile[a] = 1;
        }
        std::size_t y_lo = rr;
        for (std::size_t span = 1; y_lo > 0 && span < target;) {
            --y_lo;
            span *= dims[p[y_lo]];
            if (!in_tile[p[y_lo]]) n_tile *= dims[p[y_lo]];
            in_tile[p[y_lo]] = 1;
        }
        if (n_tile <= small_tile_cap) {
            std::vector<std::size_t> run_d, run_s, rest_d, rest_is, rest_os;
            for (std::size_t k = 0; k < rr; ++k) {
                if (!in_tile[p[k]]) continue;
                if (k >= y_lo) {
                    run_d.push_back(dims[p[k]]);
                    run_s.push_back(in_stride[p[k]]);
                } else {
                    rest_d.push_back(dims[p[k]]);
                    rest_is.push_back(in_stride[p[k]]);
                    rest_os.push_back(out_stride[k]);
                }
            }
            const auto i_run = offset_table(run_d, run_s);
            const auto i_rest = offset_table(rest_d, rest_is);
            const auto o_rest = offset_table(rest_d, rest_os);
            std::vector<std::size_t> od, ois, oos;
            outer_loops(in_tile, od, ois, oos);
            with_chunk(len, [&](auto chunk) {
                for_outer(od, ois, oos, [&](std::size_t io, std::size_t oo) {
                    gather_block<chunk.value>(in + io, out + oo, i_rest, o_rest, i_run,
                                              len);
                });
            });
            return;
        }
    }

    // Large axes: blocked 2-D transpose of x, the innermost input axes, against
    // y, the innermost output axes (small neighbours join a side up to `target`);
    // every other axis is an outer loop in output order.
    constexpr std::size_t cap = 4096;  // largest offset table
    std::vector<char> is_x(r, 0);
    std::size_t x_lo = rr - 1, nx = dims[rr - 1];
    is_x[rr - 1] = 1;
    while (nx < target && x_lo > 0 && x_lo - 1 != p[rr - 1] &&
           nx * dims[x_lo - 1] <= cap) {
        --x_lo;
        nx *= dims[x_lo];
        is_x[x_lo] = 1;
    }
    std::size_t y_lo = rr - 1, ny = dims[p[rr - 1]];
    while (ny < target && y_lo > 0 && !is_x[p[y_lo - 1]] &&
           ny * dims[p[y_lo - 1]] <= cap) {
        --y_lo;
        ny *= dims[p[y_lo]];
    }
    std::vector<char> inner = is_x;
    std::vector<std::size_t> x_dims, x_strides, y_dims, y_strides;
    for (std::size_t a = x_lo; a < rr; ++a) {
        x_dims.push_back(dims[a]);
        x_strides.push_back(out_stride[q[a]]);
    }
    for (std::size_t k = y_lo; k < rr; ++k) {
        y_dims.push_back(dims[p[k]]);
        y_strides.push_back(in_stride[p[k]]);
        inner[p[k]] = 1;
    }
    std::vector<std::size_t> od, ois, oos;
    outer_loops(inner, od, ois, oos);
    const bool x_table = x_dims.size() > 1, y_table = y_dims.size() > 1;
    const auto tx =
        x_table ? offset_table(x_dims, x_strides) : std::vector<std::size_t>{};
    const auto ty =
        y_table ? offset_table(y_dims, y_strides) : std::vector<std::size_t>{};
    auto run = [&](auto out_x, auto in_y) {
        with_chunk(len, [&](auto chunk) {
            for_outer(od, ois, oos, [&](std::size_t io, std::size_t oo) {
                transpose_block<chunk.value>(in + io, out + oo, nx, ny, out_x, in_y,
                                             len);
            });
        });
    };
    if (x_table && y_table) {
        run(TableOffsets{tx.data()}, TableOffsets{ty.data()});
    } else if (x_table) {
        run(TableOffsets{tx.data()}, StrideOffsets{y_strides[0]});
    } else if (y_table) {
        run(StrideOffsets{x_strides[0]}, TableOffsets{ty.data()});
    } else {
        run(StrideOffsets{x_strides[0]}, StrideOffsets{y_strides[0]});
    }
}

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
    if (size_out == 0) return;
    const auto& u = pl.uses;
    const std::size_t nb = group_size(u, pl.batch), m = group_size(u, pl.free_a),
                      n = group_size(u, pl.free_b), k = group_size(u, pl.contracted);
    if (k == 0) {  // an empty sum
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
        if (plan.swap) std::swap(groups[1], groups[2]);
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
    template void permute<T>(const T*, std::span<const std::size_t>,                   \
                             std::span<const std::size_t>, T*);                        \
    template void contract_pair_into<T>(                                               \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>, T*); \
    template ContractResult<T> contract_pair<T>(                                       \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_CONTRACT_INSTANTIATE)

}  // namespace tensorbond
