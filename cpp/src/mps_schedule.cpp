// The order Mps::run applies a layer's gates in (canonical gauge). Gates on
// disjoint qubits commute, so within a segment whose multi-qubit gates are
// disjoint adjacent pairs the engine is free to choose their order: it sweeps
// them from the end nearest the orthogonality centre, so the centre walks one
// site per gate instead of travelling back across the chain before every layer
// (a brick circuit in circuit order pays ~n QR/LQ moves per layer for that).
// Each 1-qubit gate keeps its place relative to the pair gate on its qubit.
#include <algorithm>

#include "mps_kernels.hpp"
#include "tensorbond/mps.hpp"

namespace tensorbond {

template <ComplexScalar T>
std::size_t Mps<T>::layer_order(const GateRef* gates, std::size_t begin,
                                std::size_t count, std::vector<std::size_t>& order,
                                std::size_t* lo_site, std::size_t* hi_site) const {
    const std::size_t n = cores_.size();
    order.clear();
    // pair_of[q]: index of the segment's pair gate on qubit q (SIZE_MAX: none yet).
    std::vector<std::size_t> pair_of(n, SIZE_MAX);
    std::vector<std::size_t> pairs;
    std::size_t k = begin;
    for (; k < count; ++k) {
        const GateRef& g = gates[k];
        if (g.arity == 1) {
            if (g.qubits[0] >= n)
                break;
            continue;
        }
        if (g.arity != 2)
            break;
        const std::uint32_t a = g.qubits[0], b = g.qubits[1];
        if (a >= n || b >= n || a == b || pair_of[a] != SIZE_MAX ||
            pair_of[b] != SIZE_MAX || mps_kernels::is_swap(g.matrix))
            break;
        const std::size_t sa = site_of_[a], sb = site_of_[b];
        if (sa + 1 != sb && sb + 1 != sa)
            break;
        pair_of[a] = pair_of[b] = k;
        pairs.push_back(k);
    }
    if (pairs.size() < 2)
        return k; // nothing to choose: the caller keeps the circuit order
    auto low_site = [&](std::size_t idx) {
        return std::min(site_of_[gates[idx].qubits[0]], site_of_[gates[idx].qubits[1]]);
    };
    std::sort(pairs.begin(), pairs.end(),
              [&](std::size_t x, std::size_t y) { return low_site(x) < low_site(y); });
    const std::size_t lo = low_site(pairs.front()), hi = low_site(pairs.back());
    if (lo_site)
        *lo_site = lo;
    if (hi_site)
        *hi_site = hi;
    const auto dist = [](std::size_t x, std::size_t y) {
        return x > y ? x - y : y - x;
    };
    if (dist(center_, hi) < dist(center_, lo))
        std::reverse(pairs.begin(), pairs.end());
    // 1-qubit gates on qubits no pair touches go first; the others go just
    // before (if earlier in the circuit) or after (if later) their pair.
    std::vector<std::vector<std::size_t>> before(k - begin), after(k - begin);
    for (std::size_t j = begin; j < k; ++j) {
        const GateRef& g = gates[j];
        if (g.arity != 1)
            continue;
        const std::size_t p = pair_of[g.qubits[0]];
        if (p == SIZE_MAX)
            order.push_back(j);
        else
            (j < p ? before : after)[p - begin].push_back(j);
    }
    for (std::size_t p : pairs) {
        order.insert(order.end(), before[p - begin].begin(), before[p - begin].end());
        order.push_back(p);
        order.insert(order.end(), after[p - begin].begin(), after[p - begin].end());
    }
    return k;
}

#define TENSORBOND_MPS_SCHEDULE_INSTANTIATE(T)                                         \
    template std::size_t Mps<T>::layer_order(const GateRef*, std::size_t, std::size_t, \
                                             std::vector<std::size_t>&, std::size_t*,  \
                                             std::size_t*) const;
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_MPS_SCHEDULE_INSTANTIATE)

} // namespace tensorbond
