#pragma once
// Site-tensor kernels shared by the MPS engine's gate paths (mps.cpp) and its
// TEBD block (mps_tebd.cpp): internal to the core, not installed.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensorbond/gate.hpp"
#include "tensorbond/linalg.hpp"

namespace tensorbond::mps_kernels {

/// out[l,a,r] = sum_b g[a,b] in[l,b,r] for a (d x d) gate on the middle index.
template <class T>
void apply_middle(const T* g, std::size_t d, const T* in, T* out, std::size_t left,
                  std::size_t right) {
    for (std::size_t l = 0; l < left; ++l) {
        const T* src = in + l * d * right;
        T* dst = out + l * d * right;
        for (std::size_t a = 0; a < d; ++a) {
            T* o = dst + a * right;
            std::fill(o, o + right, T(0));
            for (std::size_t b = 0; b < d; ++b) {
                const T c = g[a * d + b];
                if (c == T(0))
                    continue;
                const T* s = src + b * right;
                for (std::size_t r = 0; r < right; ++r)
                    o[r] += c * s[r];
            }
        }
    }
}

/// The gate matrix re-expressed on its qubits in ascending order, cast to T.
template <class T>
std::vector<T> sorted_gate(const GateRef& gate, std::array<std::uint32_t, 3>& sites) {
    const std::size_t k = gate.arity;
    const std::size_t d = std::size_t(1) << k;
    std::array<std::size_t, 3> order{0, 1, 2};
    for (std::size_t a = 1; a < k; ++a) // insertion sort of at most 3 entries
        for (std::size_t b = a;
             b > 0 && gate.qubits[order[b]] < gate.qubits[order[b - 1]]; --b)
            std::swap(order[b], order[b - 1]);
    for (std::size_t j = 0; j < k; ++j)
        sites[j] = gate.qubits[order[j]];
    std::vector<std::size_t> to_orig(d);
    for (std::size_t s = 0; s < d; ++s) {
        std::size_t o = 0;
        for (std::size_t j = 0; j < k; ++j) {
            const std::size_t bit = (s >> (k - 1 - j)) & 1U;
            o |= bit << (k - 1 - order[j]);
        }
        to_orig[s] = o;
    }
    std::vector<T> g(d * d);
    for (std::size_t i = 0; i < d; ++i)
        for (std::size_t j = 0; j < d; ++j)
            g[i * d + j] = T(gate.matrix[to_orig[i] * d + to_orig[j]]);
    return g;
}

/// Move the orthogonality centre of cores[0..] (bonds has one more entry) from
/// `center` to `site` by QR/LQ sweeps; nothing is truncated.
template <class T>
void sweep_center(std::vector<std::vector<T>>& cores, std::vector<std::size_t>& bonds,
                  std::size_t& center, std::size_t site) {
    std::vector<T> fac;
    while (center < site) {
        // A[c] = Q R (rows (l, p), cols r); Q stays, R moves into A[c+1].
        const std::size_t c = center, l = bonds[c], r = bonds[c + 1];
        qr(cores[c], l * 2, r, fac);
        const std::size_t k = std::min(l * 2, r);
        const std::size_t r2 = bonds[c + 2];
        std::vector<T> prod(k * 2 * r2); // fresh: a core holds no spare capacity
        gemm(Op::none, Op::none, k, 2 * r2, r, T(1), fac.data(), r, cores[c + 1].data(),
             2 * r2, T(0), prod.data(), 2 * r2);
        cores[c + 1].swap(prod);
        bonds[c + 1] = k;
        ++center;
    }
    while (center > site) {
        // A[c] = L Q (rows l, cols (p, r)); Q stays, L moves into A[c-1].
        const std::size_t c = center, l = bonds[c], r = bonds[c + 1];
        lq(cores[c], l, 2 * r, fac);
        const std::size_t k = std::min(l, 2 * r);
        const std::size_t l2 = bonds[c - 1];
        std::vector<T> prod(l2 * 2 * k);
        gemm(Op::none, Op::none, l2 * 2, k, l, T(1), cores[c - 1].data(), l, fac.data(),
             k, T(0), prod.data(), k);
        cores[c - 1].swap(prod);
        bonds[c] = k;
        --center;
    }
}

/// A SWAP gate's matrix, exactly: under the engine's routing it only relabels.
inline bool is_swap(const std::complex<double>* m) {
    static constexpr std::complex<double> swap_entries[16] = {1, 0, 0, 0, 0, 0, 1, 0,
                                                              0, 1, 0, 0, 0, 0, 0, 1};
    return std::equal(m, m + 16, swap_entries);
}

} // namespace tensorbond::mps_kernels
