// Axis permutation of dense row-major tensors (numpy.transpose made contiguous):
// merged axes, cache-blocked 2-D transposes, a small-axes gather kernel.
#include "tensorbond/permute.hpp"

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <numeric>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "support.hpp"
#include "tensorbond/errors.hpp"

namespace tensorbond {
namespace {

using detail::join;
using detail::product;

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
        for (std::size_t c = 0; c < L; ++c)
            dst[c] = src[c];
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
        for (std::size_t x = 0; x < E; ++x)
            buf[x][y] = src[x];
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
                        for (std::size_t y = 0; y < E; ++y)
                            dst[y] = buf[x][y];
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
    for (std::size_t t = 0; t + 1 < no; ++t)
        count *= dims[t];
    std::vector<std::size_t> idx(no, 0);
    std::size_t ioff = 0, ooff = 0;
    for (std::size_t c = 0; c < count; ++c) {
        for (std::size_t i = 0; i < d_last; ++i)
            kernel(ioff + i * is_last, ooff + i * os_last);
        for (std::size_t t = no - 1; t-- > 0;) {
            ioff += is[t];
            ooff += os[t];
            if (++idx[t] < dims[t])
                break;
            ioff -= is[t] * dims[t];
            ooff -= os[t] * dims[t];
            idx[t] = 0;
        }
    }
}

} // namespace

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
    if (total == 0)
        return;

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
        if (shape[perm[k]] == 1)
            continue;
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
    for (std::size_t i = 0; i < r; ++i)
        rank[order[i]] = i;
    // Merged input dims; output axis k is input axis p[k].
    std::vector<std::size_t> dims(r), p(r);
    for (std::size_t k = 0; k < r; ++k) {
        p[k] = rank[k];
        std::size_t d = 1;
        for (std::size_t a = first[k]; a <= last[k]; ++a)
            d *= dims1[a];
        dims[rank[k]] = d;
    }
    std::vector<std::size_t> in_stride(r), out_stride(r);
    in_stride[r - 1] = out_stride[r - 1] = 1;
    for (std::size_t a = r - 1; a-- > 0;)
        in_stride[a] = in_stride[a + 1] * dims[a + 1];
    for (std::size_t k = r - 1; k-- > 0;)
        out_stride[k] = out_stride[k + 1] * dims[p[k + 1]];

    // When the last axis stays last (it cannot merge with its neighbour, or it
    // would have), it becomes a contiguous chunk copied whole.
    std::size_t len = 1, rr = r;
    if (p[r - 1] == r - 1) {
        len = dims[r - 1];
        rr = r - 1;
    }
    std::vector<std::size_t> q(r); // output position of each input axis
    for (std::size_t k = 0; k < r; ++k)
        q[p[k]] = k;
    const std::size_t target =
        std::max<std::size_t>(tile_edge<T>, group_bytes / (len * sizeof(T)));
    auto outer_loops = [&](const std::vector<char>& inner, std::vector<std::size_t>& od,
                           std::vector<std::size_t>& ois,
                           std::vector<std::size_t>& oos) {
        for (std::size_t k = 0; k < rr; ++k) {
            if (inner[p[k]])
                continue;
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
            if (!in_tile[p[y_lo]])
                n_tile *= dims[p[y_lo]];
            in_tile[p[y_lo]] = 1;
        }
        if (n_tile <= small_tile_cap) {
            std::vector<std::size_t> run_d, run_s, rest_d, rest_is, rest_os;
            for (std::size_t k = 0; k < rr; ++k) {
                if (!in_tile[p[k]])
                    continue;
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
    constexpr std::size_t cap = 4096; // largest offset table
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

#define TENSORBOND_PERMUTE_INSTANTIATE(T)                                              \
    template void permute<T>(const T*, std::span<const std::size_t>,                   \
                             std::span<const std::size_t>, T*);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_PERMUTE_INSTANTIATE)

} // namespace tensorbond
