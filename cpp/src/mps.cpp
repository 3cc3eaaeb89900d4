#include "tensorbond/mps.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "mps_kernels.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/permute.hpp"
#include "tensorbond/split.hpp"

namespace tensorbond {
using mps_kernels::apply_middle;
using mps_kernels::sorted_gate;
using mps_kernels::sweep_center;

namespace {

/// A k-qubit gate as an MPO over its k (sorted) sites: w[j][(kl, p, p', kr)] with
/// bonds[j] between sites j-1 and j (bonds[0] = bonds[k] = 1).
template <class T> GateMpo<T> gate_mpo(const T* g, std::size_t k) {
    // Gate as an MPO over its k sites: successive exact SVDs of
    // x[(p0 p0'), (p1 p1'), (p2 p2')] = g[(p0 p1 p2), (p0' p1' p2')].
    const std::size_t d = std::size_t(1) << k;
    std::vector<T> x(d * d);
    for (std::size_t row = 0; row < d; ++row)
        for (std::size_t col = 0; col < d; ++col) {
            std::size_t idx = 0;
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t p = (row >> (k - 1 - j)) & 1U,
                                  q = (col >> (k - 1 - j)) & 1U;
                idx = idx * 4 + p * 2 + q;
            }
            x[idx] = g[row * d + col];
        }
    TruncationSpec exact; // drop only rounding noise: rank 2 must not read as 4
    exact.cutoff = 64.0 * double(std::numeric_limits<real_t<T>>::epsilon());
    exact.mode = CutoffMode::rel;
    GateMpo<T> out;
    auto& w = out.w;
    auto& kb = out.bonds;
    w.resize(k);
    kb.assign(k + 1, 1);
    std::vector<T> rest = std::move(x);
    for (std::size_t j = 0; j + 1 < k; ++j) {
        const std::size_t rows = kb[j] * 4, cols = rest.size() / rows;
        auto res = svd(rest.data(), rows, cols, exact);
        const std::size_t kk = res.info.kept;
        for (std::size_t a = 0; a < kk; ++a)
            for (std::size_t c = 0; c < cols; ++c)
                res.vh[a * cols + c] *= res.s[a];
        w[j] = std::move(res.u);
        kb[j + 1] = kk;
        rest = std::move(res.vh);
    }
    w[k - 1] = std::move(rest);
    return out;
}

} // namespace

template <ComplexScalar T> Mps<T>::Mps(std::size_t num_sites) {
    if (num_sites == 0)
        throw ShapeError("an MPS needs at least 1 site");
    cores_.assign(num_sites, std::vector<T>{T(1), T(0)});
    bonds_.assign(num_sites + 1, 1);
    qubit_at_.resize(num_sites);
    for (std::size_t i = 0; i < num_sites; ++i)
        qubit_at_[i] = std::uint32_t(i);
    site_of_ = qubit_at_;
}

template <ComplexScalar T> bool Mps<T>::identity_layout() const {
    for (std::size_t i = 0; i < qubit_at_.size(); ++i)
        if (qubit_at_[i] != i)
            return false;
    return true;
}

template <ComplexScalar T> void Mps<T>::restore_layout(const TruncationSpec& spec) {
    // Bubble sort by adjacent swaps, sweeping with the centre.
    const std::size_t n = cores_.size();
    bool moved = true;
    while (moved) {
        moved = false;
        for (std::size_t i = 0; i + 1 < n; ++i)
            if (qubit_at_[i] > qubit_at_[i + 1]) {
                swap_adjacent(i, spec, true);
                moved = true;
            }
    }
}

template <ComplexScalar T>
Mps<T> Mps<T>::product(const std::complex<double>* vecs, std::size_t num_sites) {
    Mps psi(num_sites);
    // Sites right of the centre (0) must be right-orthonormal: unit vectors, with
    // the product of norms carried by site 0.
    double scale = 1.0;
    for (std::size_t i = 0; i < num_sites; ++i) {
        const std::complex<double> a = vecs[2 * i], b = vecs[2 * i + 1];
        if (!is_finite(a) || !is_finite(b))
            throw ShapeError("product state vector for qubit " + std::to_string(i) +
                             " is not finite");
        const double nrm = std::sqrt(std::norm(a) + std::norm(b));
        if (nrm == 0.0)
            throw ShapeError("product state vector for qubit " + std::to_string(i) +
                             " is zero");
        const double f = i == 0 ? 1.0 : 1.0 / nrm;
        if (i != 0)
            scale *= nrm;
        psi.cores_[i] = {T(a * f), T(b * f)};
    }
    for (auto& v : psi.cores_[0])
        v *= R(scale);
    return psi;
}

template <ComplexScalar T>
Mps<T> Mps<T>::from_cores(std::vector<std::vector<T>> cores,
                          const std::vector<std::size_t>& bonds,
                          const std::vector<std::uint32_t>& layout,
                          std::optional<std::size_t> center) {
    const std::size_t n = cores.size();
    if (n == 0)
        throw ShapeError("an MPS needs at least 1 site");
    if (bonds.size() != n + 1 || bonds.front() != 1 || bonds.back() != 1)
        throw ShapeError("bonds must have n + 1 entries with 1 at both ends");
    if (layout.size() != n)
        throw ShapeError("layout must name one qubit per site");
    std::vector<bool> seen(n, false);
    for (std::uint32_t q : layout) {
        if (q >= n || seen[q])
            throw ShapeError("layout must be a permutation of the qubits");
        seen[q] = true;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (bonds[i] == 0 || cores[i].size() != bonds[i] * 2 * bonds[i + 1])
            throw ShapeError("site tensor " + std::to_string(i) +
                             " does not match its bonds");
        for (const T& v : cores[i])
            if (!is_finite(v))
                throw ShapeError("site tensor " + std::to_string(i) + " is not finite");
    }
    Mps psi;
    psi.cores_ = std::move(cores);
    psi.bonds_ = bonds;
    psi.qubit_at_ = layout;
    psi.site_of_.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        psi.site_of_[layout[i]] = std::uint32_t(i);
    psi.center_ = 0;
    psi.max_bond_reached_ = *std::max_element(bonds.begin(), bonds.end());
    if (center) {
        if (*center >= n)
            throw ShapeError("centre " + std::to_string(*center) + " outside 0.." +
                             std::to_string(n - 1));
        psi.center_ = *center;
        return psi;
    }
    psi.move_center(n -
                    1); // QR sweep: every site left of the centre is left-orthonormal
    return psi;
}

template <ComplexScalar T>
void Mps<T>::set_history(double fidelity, double discarded, std::size_t num_truncations,
                         std::size_t max_bond_reached) {
    fidelity_ = fidelity;
    discarded_ = discarded;
    num_truncations_ = num_truncations;
    max_bond_reached_ = std::max(max_bond_reached_, max_bond_reached);
}

template <ComplexScalar T> std::vector<std::size_t> Mps<T>::bond_dims() const {
    return {bonds_.begin() + 1, bonds_.end() - 1};
}

template <ComplexScalar T> std::size_t Mps<T>::memory_bytes() const {
    std::size_t total = 0;
    for (const auto& c : cores_)
        total += c.size() * sizeof(T);
    return total;
}

template <ComplexScalar T>
void Mps<T>::check_site(std::size_t site, const char* what) const {
    if (site >= cores_.size())
        throw SiteError(std::string(what) + " " + std::to_string(site) +
                        " is out of range for " + std::to_string(cores_.size()) +
                        " qubits");
}

template <ComplexScalar T> void Mps<T>::move_center(std::size_t site) {
    check_site(site, "site");
    sweep_center(cores_, bonds_, center_, site);
}

template <ComplexScalar T>
typename Mps<T>::Centered Mps<T>::centered_at(std::size_t site) const {
    // Only the sites between the centre and `site` change when the centre moves,
    // so a query copies those and leaves the state itself untouched.
    Centered v;
    v.owner = this;
    if (site == center_)
        return v; // nothing moves: read the state itself
    v.lo = std::min(center_, site);
    const std::size_t hi = std::max(center_, site);
    v.cores.assign(cores_.begin() + std::ptrdiff_t(v.lo),
                   cores_.begin() + std::ptrdiff_t(hi + 1));
    v.bonds.assign(bonds_.begin() + std::ptrdiff_t(v.lo),
                   bonds_.begin() + std::ptrdiff_t(hi + 2));
    std::size_t c = center_ - v.lo;
    sweep_center(v.cores, v.bonds, c, site - v.lo);
    return v;
}

template <ComplexScalar T> void Mps<T>::center_to_pair(std::size_t i) {
    if (center_ < i)
        move_center(i);
    else if (center_ > i + 1)
        move_center(i + 1);
}

template <ComplexScalar T> std::vector<T> Mps<T>::theta_two(std::size_t i) const {
    /// theta[l,p,q,r] = sum_m a[l,p,m] * b[m,q,r]
    const std::size_t l = bonds_[i], m = bonds_[i + 1], r = bonds_[i + 2];
    std::vector<T> theta(l * 2 * 2 * r);
    gemm(Op::none, Op::none, l * 2, 2 * r, m, T(1), cores_[i].data(), m,
         cores_[i + 1].data(), 2 * r, T(0), theta.data(), 2 * r);
    return theta;
}

template <ComplexScalar T>
void Mps<T>::note_truncation(const TruncationInfo& info, std::size_t rows,
                             std::size_t cols) {
    if (record_svd_)
        svd_shapes_.push_back({std::uint32_t(rows), std::uint32_t(cols)});
    if (info.discarded_weight > 0.0 && info.total_weight > 0.0) {
        const double frac = info.discarded_weight / info.total_weight;
        fidelity_ *= std::max(0.0, 1.0 - frac);
        discarded_ += frac;
        ++num_truncations_;
    }
    max_bond_reached_ = std::max(max_bond_reached_, info.kept);
}

template <ComplexScalar T>
typename Mps<T>::Split
Mps<T>::split_matrix(std::vector<T>& a, std::size_t rows, std::size_t cols,
                     const TruncationSpec& spec, bool absorb_right, const T* basis,
                     std::size_t basis_dim) {
    Split out;
    const std::size_t kmax = std::min(rows, cols);
    if (spec.cutoff == 0.0 && (!spec.max_bond || *spec.max_bond >= kmax)) {
        // Nothing can be truncated: a QR is cheaper and exactly orthonormal.
        require_finite(a.data(), a.size(), "tensor to split");
        if (absorb_right) {
            qr(a, rows, cols, out.right);
            out.left = std::move(a);
        } else {
            lq(a, rows, cols, out.left);
            out.right = std::move(a);
        }
        out.k = kmax;
        max_bond_reached_ = std::max(max_bond_reached_, kmax);
        return out;
    }
    SplitFactors<T> f = split(a, rows, cols, spec, absorb_right, basis, basis_dim);
    note_truncation(f.info, rows, cols);
    ++split_stats_.count[std::size_t(f.used)];
    split_stats_.fallbacks += f.fell_back ? 1 : 0;
    split_stats_.madds += f.madds;
    out.left = std::move(f.left);
    out.right = std::move(f.right);
    out.k = f.k;
    return out;
}

template <ComplexScalar T>
void Mps<T>::split_two(std::size_t i, std::vector<T>& theta, const TruncationSpec& spec,
                       bool center_right, const T* gate) {
    const std::size_t l = bonds_[i], m = bonds_[i + 1], r = bonds_[i + 2];
    std::vector<T> basis;
    std::size_t dim = 0;
    // split="qr": QR-based TEBD (Unfried et al. 2023) where the bond is at
    // max_bond and the gate-expanded range is the whole pair (the saturated
    // regime), the automatic choice elsewhere.
    TruncationSpec route = spec;
    const bool saturated = gate != nullptr && spec.split == SplitMethod::qr &&
                           spec.max_bond && m >= std::min(l, r) &&
                           2 * std::min(l, r) > *spec.max_bond;
    if (saturated) {
        basis = saturated_basis(i, theta, center_right, *spec.max_bond, dim);
    } else {
        if (route.split == SplitMethod::qr)
            route.split = SplitMethod::automatic;
        if (gate != nullptr && route.split == SplitMethod::automatic &&
            choose_split(2 * l, 2 * r, route, 2 * m) == SplitMethod::qr)
            basis = expanded_basis(i, gate, center_right, dim);
    }
    Split sp = split_matrix(theta, l * 2, 2 * r, route, center_right,
                            dim ? basis.data() : nullptr, dim);
    cores_[i] = std::move(sp.left);
    cores_[i + 1] = std::move(sp.right);
    bonds_[i + 1] = sp.k;
    center_ = center_right ? i + 1 : i;
}

template <ComplexScalar T>
void Mps<T>::apply_two_adjacent(std::size_t i, const T* g, const TruncationSpec& spec,
                                bool center_right) {
    center_to_pair(i);
    std::vector<T> theta = theta_two(i);
    std::vector<T> out(theta.size());
    apply_middle(g, 4, theta.data(), out.data(), bonds_[i], bonds_[i + 2]);
    split_two(i, out, spec, center_right, g);
}

template <ComplexScalar T>
std::vector<T> Mps<T>::saturated_basis(std::size_t i, const std::vector<T>& theta,
                                       bool center_right, std::size_t width,
                                       std::size_t& dim) const {
    // The gate-expanded range is the whole pair and max_bond binds: QR-based TEBD
    // (Unfried et al. 2023) guesses the kept subspace as the old bond's own basis,
    // expanded up to max_bond by the pair's largest rows (its largest columns when
    // the centre moves left). Not exact, but the split's discarded weight is.
    const std::size_t l = bonds_[i], m = bonds_[i + 1], r = bonds_[i + 2];
    const std::size_t rows = 2 * l, cols = 2 * r;
    const std::size_t side = center_right ? cols : rows; // entries per basis row
    const std::size_t extra =
        width > m ? std::min(width - m, center_right ? rows : cols) : 0;
    dim = m + extra;
    std::vector<T> basis(dim * side);
    if (center_right) {
        std::copy(cores_[i + 1].begin(), cores_[i + 1].end(), basis.begin());
    } else {
        const T* a = cores_[i].data();
        for (std::size_t lp = 0; lp < rows; ++lp)
            for (std::size_t mm = 0; mm < m; ++mm)
                basis[mm * rows + lp] = conj_of(a[lp * m + mm]);
    }
    if (extra == 0)
        return basis;
    const std::size_t candidates = center_right ? rows : cols;
    std::vector<double> norm(candidates, 0.0);
    for (std::size_t x = 0; x < rows; ++x)
        for (std::size_t y = 0; y < cols; ++y)
            norm[center_right ? x : y] += double(abs2(theta[x * cols + y]));
    std::vector<std::size_t> pick(candidates);
    std::iota(pick.begin(), pick.end(), std::size_t(0));
    std::partial_sort(pick.begin(), pick.begin() + long(extra), pick.end(),
                      [&](std::size_t u, std::size_t v) { return norm[u] > norm[v]; });
    for (std::size_t e = 0; e < extra; ++e) {
        T* dst = basis.data() + (m + e) * side;
        if (center_right)
            std::copy_n(theta.data() + pick[e] * cols, cols, dst);
        else
            for (std::size_t x = 0; x < rows; ++x)
                dst[x] = conj_of(theta[x * cols + pick[e]]);
    }
    return basis;
}

template <ComplexScalar T>
std::vector<T> Mps<T>::expanded_basis(std::size_t i, const T* gate, bool center_right,
                                      std::size_t& dim) const {
    // g = sum_k f_k (x) e_k (operator Schmidt terms): the pair's rows after the gate
    // lie in the span of (e_k b)[m, (q r)], its columns in that of (f_k a)[(l p), m].
    dim = 0;
    const GateMpo<T> mpo = gate_mpo(gate, 2);
    const std::size_t terms = mpo.bonds[1], l = bonds_[i], m = bonds_[i + 1],
                      r = bonds_[i + 2];
    if (terms * m >= 2 * std::min(l, r))
        return {};
    std::vector<T> basis;
    if (center_right) {
        // rows (k, m) of e_k b: out[(k m), (q r)] = sum_q' e_k[q, q'] b[m, q', r]
        basis.assign(terms * m * 2 * r, T(0));
        const T* b = cores_[i + 1].data();
        for (std::size_t k = 0; k < terms; ++k)
            for (std::size_t mm = 0; mm < m; ++mm)
                for (std::size_t q = 0; q < 2; ++q)
                    for (std::size_t q2 = 0; q2 < 2; ++q2) {
                        const T e = mpo.w[1][k * 4 + q * 2 + q2];
                        if (e == T(0))
                            continue;
                        T* dst = basis.data() + ((k * m + mm) * 2 + q) * r;
                        const T* src = b + (mm * 2 + q2) * r;
                        for (std::size_t rr = 0; rr < r; ++rr)
                            dst[rr] += e * src[rr];
                    }
    } else {
        // rows (k, m) of (f_k a)^dag: out[(k m), (l p)] = conj(sum_p' f_k[p, p']
        // a[l, p', m])
        basis.assign(terms * m * l * 2, T(0));
        const T* a = cores_[i].data();
        for (std::size_t k = 0; k < terms; ++k)
            for (std::size_t ll = 0; ll < l; ++ll)
                for (std::size_t p = 0; p < 2; ++p)
                    for (std::size_t p2 = 0; p2 < 2; ++p2) {
                        const T f = mpo.w[0][(p * 2 + p2) * terms + k];
                        if (f == T(0))
                            continue;
                        const T* src = a + (ll * 2 + p2) * m;
                        for (std::size_t mm = 0; mm < m; ++mm)
                            basis[(k * m + mm) * l * 2 + ll * 2 + p] +=
                                conj_of(f * src[mm]);
                    }
    }
    dim = terms * m;
    return basis;
}

template <ComplexScalar T>
void Mps<T>::swap_adjacent(std::size_t i, const TruncationSpec& spec,
                           bool center_right) {
    center_to_pair(i);
    std::vector<T> theta = theta_two(i);
    // Swapping is a permutation of the middle indices: no arithmetic needed.
    const std::size_t l = bonds_[i], r = bonds_[i + 2];
    std::vector<T> out(theta.size());
    for (std::size_t a = 0; a < l; ++a) {
        const T* src = theta.data() + a * 4 * r;
        T* dst = out.data() + a * 4 * r;
        std::copy(src, src + r, dst);                 // 00
        std::copy(src + r, src + 2 * r, dst + 2 * r); // 01 -> 10
        std::copy(src + 2 * r, src + 3 * r, dst + r); // 10 -> 01
        std::copy(src + 3 * r, src + 4 * r, dst + 3 * r);
    }
    split_two(i, out, spec, center_right);
    std::swap(qubit_at_[i], qubit_at_[i + 1]);
    site_of_[qubit_at_[i]] = std::uint32_t(i);
    site_of_[qubit_at_[i + 1]] = std::uint32_t(i + 1);
}

template <ComplexScalar T>
void Mps<T>::apply_three_adjacent(std::size_t i, const T* g, const TruncationSpec& spec,
                                  bool center_right) {
    /// theta[l,p,q,s,r] = sum_{m,n} a[l,p,m] b[m,q,n] c[n,s,r]
    if (center_ < i)
        move_center(i);
    else if (center_ > i + 2)
        move_center(i + 2);
    const std::size_t l = bonds_[i], r = bonds_[i + 3];
    std::vector<T> ab = theta_two(i); // (l, 2, 2, n)
    const std::size_t n = bonds_[i + 2];
    std::vector<T> theta(l * 8 * r);
    gemm(Op::none, Op::none, l * 4, 2 * r, n, T(1), ab.data(), n, cores_[i + 2].data(),
         2 * r, T(0), theta.data(), 2 * r);
    std::vector<T> out(theta.size());
    apply_middle(g, 8, theta.data(), out.data(), l, r);
    // First cut: (l p) | (q s r).
    Split sp = split_matrix(out, l * 2, 4 * r, spec, true);
    cores_[i] = std::move(sp.left);
    bonds_[i + 1] = sp.k;
    center_ = i + 1;
    // Second cut of the remaining centre (k q) | (s r); split_two reads the outer
    // bonds of the pair at i+1 and sets the one between.
    split_two(i + 1, sp.right, spec, true);
    if (!center_right)
        move_center(i);
}

template <ComplexScalar T>
void Mps<T>::apply_gate(const GateRef& gate, const TruncationSpec& spec,
                        std::size_t toward, Routing routing) {
    const std::size_t k = gate.arity;
    if (k < 1 || k > 3)
        throw NotImplementedError("gates on " + std::to_string(k) +
                                  " qubits are not supported (1 to 3)");
    for (std::size_t j = 0; j < k; ++j)
        check_site(gate.qubits[j], "qubit");
    for (std::size_t a = 0; a < k; ++a)
        for (std::size_t b = a + 1; b < k; ++b)
            if (gate.qubits[a] == gate.qubits[b])
                throw ShapeError("gate applied to qubit " +
                                 std::to_string(gate.qubits[a]) + " twice");
    if (k == 2) {
        // A SWAP gate only relabels which site holds which qubit: exact and free.
        if (mps_kernels::is_swap(gate.matrix)) {
            const std::uint32_t a = gate.qubits[0], b = gate.qubits[1];
            std::swap(site_of_[a], site_of_[b]);
            qubit_at_[site_of_[a]] = a;
            qubit_at_[site_of_[b]] = b;
            return;
        }
    }
    GateRef on_sites = gate; // from here on, indices are sites
    for (std::size_t j = 0; j < k; ++j)
        on_sites.qubits[j] = site_of_[gate.qubits[j]];
    if (k == 1) {
        // A unitary on the physical index keeps the site's canonical property.
        apply_site_matrix(on_sites.qubits[0], gate.matrix);
        return;
    }
    std::array<std::uint32_t, 3> s{};
    const std::vector<T> g = sorted_gate<T>(on_sites, s);
    const std::size_t first = s[0], last = s[k - 1];
    const std::size_t span = last - first + 1;
    if (span == k) { // already adjacent
        const bool right = toward != SIZE_MAX ? toward > first : center_ > first;
        if (k == 2)
            apply_two_adjacent(first, g.data(), spec, right);
        else
            apply_three_adjacent(first, g.data(), spec, right);
        return;
    }
    if (routing == Routing::lazy) {
        route_by_swaps(s, k, g.data(), spec, false);
        return;
    }
    if (routing == Routing::mpo) {
        const bool right = toward != SIZE_MAX ? toward > first : center_ > first;
        apply_as_mpo(s, gate_mpo(g.data(), k), spec, right);
        return;
    }
    if (routing == Routing::automatic) {
        // Measured (bench/bench_routing.py): swapping the qubits together and
        // leaving them there wins for gates of operator Schmidt rank 4 (one SVD per
        // site; cswap on QASMBench dnn, qugan, swap_test, knn: 5-15x faster than
        // swapping back, with the 3-qubit anchor at the middle qubit). For rank <= 2
        // (controlled gates, rzz, ccx) the MPO route keeps the layout, which matters
        // while bonds can still grow (qft_30: lazy swaps scramble it, bond 55
        // instead of 10, 5x slower). Once every bond of the span sits at max_bond
        // the layout can no longer cost bond growth and the cheaper swaps win
        // (qaoa_40 at max_bond 32: 1.5x faster, better fidelity); across a product
        // region (every bond 1) there is no entanglement for it to cost either, and
        // swaps skip the MPO's fixed costs (QASMBench adder, bv, qft_n63).
        GateMpo<T> mpo = gate_mpo(g.data(), k);
        const std::size_t rank = *std::max_element(mpo.bonds.begin(), mpo.bonds.end());
        const std::size_t n = cores_.size();
        std::size_t at_cap = 0;
        bool product = true;
        for (std::size_t b = first + 1; b <= last; ++b) {
            // A bond is saturated at max_bond or at 2^(distance to the chain's end).
            const std::size_t edge = std::min(b, n - b);
            if (spec.max_bond) {
                const std::size_t cap =
                    edge < 40 ? std::min(*spec.max_bond, std::size_t(1) << edge)
                              : *spec.max_bond;
                at_cap += bonds_[b] >= cap ? 1 : 0;
            }
            product = product && bonds_[b] == 1;
        }
        // A strong two-qubit gate (second operator Schmidt value over a quarter of
        // the first: rzz(0.8) 0.42, where the QFT's distant cp(pi/4) has 0.20)
        // entangles the whole span through the MPO, and its sweep truncates every
        // bond it crosses; lazy swaps entangle only the pair they carry (QAOA p=2 on
        // 3-regular graphs of 18-22 qubits against the exact state, max_bond 8-32:
        // higher true fidelity in 7 of 9 cases and faster, bench/bench_qaoa_truth.py).
        double second = 0.0;
        if (k == 2 && rank == 2) {
            double w0 = 0.0, w1 = 0.0;
            for (std::size_t e = 0; e < 4; ++e) {
                w0 += double(abs2(mpo.w[1][e]));
                w1 += double(abs2(mpo.w[1][4 + e]));
            }
            second = w0 > 0.0 ? std::sqrt(w1 / w0) : 0.0;
        }
        const bool strong = second > 0.25;
        const bool saturated =
            (spec.max_bond && strong) || at_cap == last - first || product;
        if (rank <= 2 && !saturated) {
            const bool right = toward != SIZE_MAX ? toward > first : center_ > first;
            apply_as_mpo(s, mpo, spec, right);
            return;
        }
        route_by_swaps(s, k, g.data(), spec, false);
        return;
    }
    route_by_swaps(s, k, g.data(), spec, true);
}

template <ComplexScalar T>
void Mps<T>::route_by_swaps(const std::array<std::uint32_t, 3>& s, std::size_t k,
                            const T* g, const TruncationSpec& spec, bool swap_back) {
    const std::size_t first = s[0], last = s[k - 1];
    // The gate qubits end on sites a, a+1, ...; candidate anchors a: next to the
    // first qubit, next to the last, and around the middle one (k = 3).
    const auto swap_cost = [&](std::size_t a) {
        std::size_t c = 0;
        for (std::size_t j = 0; j < k; ++j)
            c += s[j] > a + j ? s[j] - (a + j) : a + j - s[j];
        return c;
    };
    std::array<std::size_t, 3> candidates{first, last - (k - 1), first};
    std::size_t n_candidates = 2;
    if (k == 3)
        candidates[n_candidates++] = s[1] - 1;
    // Fewest swaps; ties go to the first anchor (quimb's choice: move the later
    // qubits leftwards to the first). Measured: looking ahead to leave the qubits
    // near the next gate's made qaoa_40 25% faster but its fidelity 100x worse.
    std::size_t anchor = first;
    for (std::size_t c = 1; c < n_candidates; ++c)
        if (swap_cost(candidates[c]) < swap_cost(anchor))
            anchor = candidates[c];
    std::vector<std::pair<std::size_t, bool>> swaps; // (left site, moving right)
    // Qubits left of their target move right, the nearest to it first; qubits right
    // of it move left, nearest first. Neither crosses another gate qubit.
    for (std::size_t j = k; j-- > 0;)
        for (std::size_t p = s[j]; p < anchor + j; ++p)
            swaps.push_back({p, true});
    for (std::size_t j = 0; j < k; ++j)
        for (std::size_t p = s[j]; p > anchor + j; --p)
            swaps.push_back({p - 1, false});
    // The centre follows the swaps, then turns back with the undoing swaps.
    for (const auto& [p, right] : swaps)
        swap_adjacent(p, spec, right);
    // Swapping back, the centre turns around; staying, it keeps its direction.
    const bool back_right = swap_back ? !swaps.back().second : swaps.back().second;
    if (k == 2)
        apply_two_adjacent(anchor, g, spec, back_right);
    else
        apply_three_adjacent(anchor, g, spec, back_right);
    if (!swap_back)
        return;
    for (auto it = swaps.rbegin(); it != swaps.rend(); ++it)
        swap_adjacent(it->first, spec, !it->second);
}

template <ComplexScalar T>
void Mps<T>::apply_as_mpo(const std::array<std::uint32_t, 3>& s, const GateMpo<T>& mpo,
                          const TruncationSpec& spec, bool center_right) {
    const std::size_t k = mpo.w.size();
    const std::size_t first = s[0], last = s[k - 1];
    const auto& w = mpo.w;
    const auto& kb = mpo.bonds;
    // Apply site by site; sites between gate qubits carry the MPO bond as identity.
    if (center_right)
        move_center(last);
    else
        move_center(first);
    std::size_t gate_j = 0, carry = 1;
    for (std::size_t m = first; m <= last; ++m) {
        const std::size_t l = bonds_[m], r = bonds_[m + 1];
        const bool on_gate = gate_j < k && s[gate_j] == m;
        const std::size_t kl = on_gate ? kb[gate_j] : carry;
        const std::size_t kr = on_gate ? kb[gate_j + 1] : carry;
        const std::vector<T>& a = cores_[m];
        /// t[(l,kl), p, (r,kr)] = sum_q w[kl,p,q,kr] a[l,q,r]
        std::vector<T> t(l * kl * 2 * r * kr, T(0));
        for (std::size_t x0 = 0; x0 < l; ++x0)
            for (std::size_t y = 0; y < kl; ++y)
                for (std::size_t p = 0; p < 2; ++p) {
                    T* dst = t.data() + ((x0 * kl + y) * 2 + p) * r * kr;
                    for (std::size_t q = 0; q < 2; ++q) {
                        const T* src = a.data() + (x0 * 2 + q) * r;
                        for (std::size_t z = 0; z < kr; ++z) {
                            T c;
                            if (on_gate)
                                c = w[gate_j][((y * 2 + p) * 2 + q) * kr + z];
                            else
                                c = (y == z && p == q) ? T(1) : T(0);
                            if (c == T(0))
                                continue;
                            for (std::size_t rr = 0; rr < r; ++rr)
                                dst[rr * kr + z] += c * src[rr];
                        }
                    }
                }
        cores_[m] = std::move(t);
        if (m > first)
            bonds_[m] = l * kl;
        if (on_gate) {
            carry = kr;
            ++gate_j;
        }
    }
    // Sites first..last are now unnormalized: re-orthogonalize across the span with
    // QR (no truncation), then truncate every bond once sweeping back, each at the
    // orthogonality centre.
    if (!center_right) {
        center_ = first;
        move_center(last);
        for (std::size_t m = last; m > first; --m) {
            const std::size_t l = bonds_[m], r = bonds_[m + 1], l2 = bonds_[m - 1];
            Split sp = split_matrix(cores_[m], l, 2 * r, spec, false);
            const std::size_t kk = sp.k;
            std::vector<T> prod(l2 * 2 * kk);
            gemm(Op::none, Op::none, l2 * 2, kk, l, T(1), cores_[m - 1].data(), l,
                 sp.left.data(), kk, T(0), prod.data(), kk);
            cores_[m - 1].swap(prod);
            cores_[m] = std::move(sp.right);
            bonds_[m] = kk;
            center_ = m - 1;
        }
    } else {
        center_ = last;
        move_center(first);
        for (std::size_t m = first; m < last; ++m) {
            const std::size_t l = bonds_[m], r = bonds_[m + 1], r2 = bonds_[m + 2];
            Split sp = split_matrix(cores_[m], l * 2, r, spec, true);
            const std::size_t kk = sp.k;
            std::vector<T> prod(kk * 2 * r2);
            gemm(Op::none, Op::none, kk, 2 * r2, r, T(1), sp.right.data(), r,
                 cores_[m + 1].data(), 2 * r2, T(0), prod.data(), 2 * r2);
            cores_[m + 1].swap(prod);
            cores_[m] = std::move(sp.left);
            bonds_[m + 1] = kk;
            center_ = m + 1;
        }
    }
}

template <ComplexScalar T>
void Mps<T>::run(const GateRef* gates, std::size_t count, const TruncationSpec& spec,
                 Routing routing, const std::function<void()>& poll) {
    // next[k]: the next multi-qubit gate after k; its lowest site (under the layout
    // of the moment) is where the centre should head.
    std::vector<std::size_t> next(count, SIZE_MAX);
    std::size_t upcoming = SIZE_MAX;
    for (std::size_t k = count; k-- > 0;) {
        next[k] = upcoming;
        if (gates[k].arity > 1)
            upcoming = k;
    }
    auto heading = [&](std::size_t k) { // lowest site of the next multi-qubit gate
        std::size_t toward = SIZE_MAX;
        if (next[k] != SIZE_MAX) {
            const GateRef& g = gates[next[k]];
            for (std::uint32_t j = 0; j < g.arity; ++j)
                if (g.qubits[j] < site_of_.size())
                    toward = std::min<std::size_t>(toward, site_of_[g.qubits[j]]);
        }
        return toward;
    };
    // In the Vidal gauge, runs of adjacent 2-qubit unitaries go to a TEBD block,
    // where a layer's gates run at once, if truncation can happen (exact runs keep
    // the cheaper QR splits): from a product state at once, elsewhere when the run
    // is long enough to repay the SVD sweep into the Lambda-B form.
    const bool truncating = spec.cutoff > 0.0 || spec.max_bond.has_value();
    const bool parallel = spec.gauge == Gauge::vidal;
    std::size_t no_block_before = 0;
    std::vector<std::size_t> order, next_order, toward;
    for (std::size_t k = 0; k < count; ++k) {
        if (parallel && truncating && k >= no_block_before && cores_.size() > 1) {
            std::size_t two = 0;
            const std::size_t end = tebd_extent(gates, k, count, two);
            const bool product = std::all_of(bonds_.begin(), bonds_.end(),
                                             [](std::size_t b) { return b == 1; });
            if (two >= 2 && (product || two >= 2 * cores_.size())) {
                run_tebd(gates, k, end, spec, heading(end - 1), poll);
                k = end - 1;
                continue;
            }
            no_block_before = std::max(end, k + 1);
        }
        if (!parallel && spec.order == GateOrder::sweep) {
            const std::size_t end = layer_order(gates, k, count, order);
            if (end > k && order.empty()) {
                // Nothing to reorder: the scanned gates in circuit order (and not
                // scanned again from each of them).
                for (std::size_t j = k; j < end; ++j) {
                    apply_gate(gates[j], spec, heading(j), routing);
                    if (poll)
                        poll();
                }
                k = end - 1;
                continue;
            }
            if (end > k) {
                // The centre heads for the next pair of this order, and after the
                // last for the nearer end of the next segment (which will sweep
                // from there), or the next multi-qubit gate beyond this one.
                std::size_t after = heading(end - 1), lo = 0, hi = 0;
                if (layer_order(gates, end, count, next_order, &lo, &hi) > end &&
                    !next_order.empty()) {
                    std::size_t last = order.size() - 1;
                    while (gates[order[last]].arity < 2)
                        --last;
                    const GateRef& g = gates[order[last]];
                    const std::size_t at =
                        std::min(site_of_[g.qubits[0]], site_of_[g.qubits[1]]);
                    const auto dist = [](std::size_t x, std::size_t y) {
                        return x > y ? x - y : y - x;
                    };
                    after = dist(at, lo) <= dist(at, hi) ? lo : hi;
                }
                toward.assign(order.size(), after);
                for (std::size_t j = order.size(); j-- > 1;) {
                    const GateRef& g = gates[order[j]];
                    toward[j - 1] = g.arity > 1 ? std::min(site_of_[g.qubits[0]],
                                                           site_of_[g.qubits[1]])
                                                : toward[j];
                }
                for (std::size_t j = 0; j < order.size(); ++j) {
                    apply_gate(gates[order[j]], spec, toward[j], routing);
                    if (poll)
                        poll();
                }
                k = end - 1;
                continue;
            }
        }
        apply_gate(gates[k], spec, heading(k), routing);
        if (poll)
            poll();
    }
}

template <ComplexScalar T> double Mps<T>::norm_squared() const {
    double acc = 0.0;
    for (const T& v : cores_[center_])
        acc += double(abs2(v));
    return acc;
}

template <ComplexScalar T> T Mps<T>::amplitude(const std::uint8_t* bits) const {
    std::vector<T> v{T(1)}, w;
    for (std::size_t i = 0; i < cores_.size(); ++i) {
        const std::size_t l = bonds_[i], r = bonds_[i + 1];
        const std::uint8_t b = bits[qubit_at_[i]];
        if (b > 1)
            throw ShapeError("bit for qubit " + std::to_string(qubit_at_[i]) + " is " +
                             std::to_string(b) + ", expected 0 or 1");
        w.assign(r, T(0));
        gemm(Op::none, Op::none, 1, r, l, T(1), v.data(), l, cores_[i].data() + b * r,
             2 * r, T(0), w.data(), r);
        v.swap(w);
    }
    return v[0];
}

template <ComplexScalar T> std::vector<T> Mps<T>::to_dense() const {
    if (cores_.size() > 30)
        throw ShapeError("to_dense of " + std::to_string(cores_.size()) +
                         " qubits needs 2^" + std::to_string(cores_.size()) +
                         " amplitudes; refusing beyond 30 qubits");
    std::vector<T> psi{T(1)}, next;
    std::size_t rows = 1;
    for (std::size_t i = 0; i < cores_.size(); ++i) {
        const std::size_t l = bonds_[i], r = bonds_[i + 1];
        next.assign(rows * 2 * r, T(0));
        gemm(Op::none, Op::none, rows, 2 * r, l, T(1), psi.data(), l, cores_[i].data(),
             2 * r, T(0), next.data(), 2 * r);
        psi.swap(next);
        rows *= 2;
    }
    if (identity_layout())
        return psi;
    // Axis s of psi is qubit qubit_at_[s]; output axis q is input axis site_of_[q].
    const std::vector<std::size_t> shape(cores_.size(), 2);
    const std::vector<std::size_t> perm(site_of_.begin(), site_of_.end());
    std::vector<T> out(psi.size());
    permute<T>(psi.data(), shape, perm, out.data());
    return out;
}

template <ComplexScalar T>
std::vector<std::uint8_t> Mps<T>::sample(std::size_t shots, std::uint64_t seed) const {
    const std::size_t n = cores_.size();
    std::vector<std::uint8_t> out(shots * n);
    if (shots == 0)
        return out;
    if (norm_squared() == 0.0)
        throw ShapeError("cannot sample from a zero state");
    const Centered st = centered_at(0);
    std::mt19937_64 rng(seed);
    // Shots sharing a prefix share one node: its conditional left vector and a shot
    // count that splits binomially at each site. Exact, and far fewer rows than shots.
    std::vector<T> v{T(1)}, w, next_v;
    std::vector<std::size_t> counts{shots}, next_counts;
    std::vector<std::vector<std::uint32_t>> parent(n);
    std::vector<std::vector<std::uint8_t>> bit(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t l = st.bond(i), r = st.bond(i + 1), nodes = counts.size();
        w.assign(nodes * 2 * r, T(0));
        gemm(Op::none, Op::none, nodes, 2 * r, l, T(1), v.data(), l, st.core(i).data(),
             2 * r, T(0), w.data(), 2 * r);
        next_v.clear();
        next_counts.clear();
        for (std::size_t j = 0; j < nodes; ++j) {
            const T* w0 = w.data() + j * 2 * r;
            const T* w1 = w0 + r;
            double p0 = 0.0, p1 = 0.0;
            for (std::size_t y = 0; y < r; ++y) {
                p0 += double(abs2(w0[y]));
                p1 += double(abs2(w1[y]));
            }
            const double tot = p0 + p1;
            const double prob0 = tot > 0.0 ? p0 / tot : 0.5;
            std::size_t c0 = counts[j];
            if (prob0 <= 0.0)
                c0 = 0;
            else if (prob0 < 1.0)
                c0 = std::binomial_distribution<std::size_t>(counts[j], prob0)(rng);
            const std::size_t cnt[2] = {c0, counts[j] - c0};
            const double pb[2] = {p0, p1};
            for (std::uint8_t b = 0; b < 2; ++b) {
                if (cnt[b] == 0)
                    continue;
                const T* src = b == 0 ? w0 : w1;
                const R f = pb[b] > 0.0 ? R(1.0 / std::sqrt(pb[b])) : R(0);
                for (std::size_t y = 0; y < r; ++y)
                    next_v.push_back(src[y] * f);
                next_counts.push_back(cnt[b]);
                parent[i].push_back(std::uint32_t(j));
                bit[i].push_back(b);
            }
        }
        v.swap(next_v);
        counts.swap(next_counts);
    }
    // Unroll leaves into rows, then shuffle so the shot order carries no pattern.
    std::size_t row = 0;
    for (std::size_t leaf = 0; leaf < counts.size(); ++leaf) {
        std::uint8_t* first = out.data() + row * n;
        std::size_t node = leaf;
        for (std::size_t i = n; i-- > 0;) {
            first[qubit_at_[i]] = bit[i][node]; // column = qubit
            node = parent[i][node];
        }
        for (std::size_t c = 1; c < counts[leaf]; ++c)
            std::copy(first, first + n, out.data() + (row + c) * n);
        row += counts[leaf];
    }
    for (std::size_t a = shots; a-- > 1;) {
        const std::size_t b = std::uniform_int_distribution<std::size_t>(0, a)(rng);
        if (a != b)
            std::swap_ranges(out.data() + a * n, out.data() + (a + 1) * n,
                             out.data() + b * n);
    }
    return out;
}

template <ComplexScalar T>
std::complex<double>
Mps<T>::expectation_product(const std::vector<std::size_t>& qubits,
                            const std::vector<std::array<T, 4>>& qops) const {
    if (qubits.size() != qops.size())
        throw ShapeError("qubits and operators differ in length");
    if (qubits.empty())
        return std::complex<double>(norm_squared());
    for (std::size_t k = 0; k < qubits.size(); ++k) {
        check_site(qubits[k], "qubit");
        if (k > 0 && qubits[k] <= qubits[k - 1])
            throw ShapeError("operator qubits must be distinct and ascending");
    }
    // Qubits to sites, in site order.
    std::vector<std::size_t> idx(qubits.size());
    for (std::size_t k = 0; k < idx.size(); ++k)
        idx[k] = k;
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return site_of_[qubits[a]] < site_of_[qubits[b]];
    });
    std::vector<std::size_t> sites(idx.size());
    std::vector<std::array<T, 4>> ops(idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
        sites[k] = site_of_[qubits[idx[k]]];
        ops[k] = qops[idx[k]];
    }
    const std::size_t first = sites.front(), last = sites.back();
    const Centered st = centered_at(first);
    // env[b,k]: bra index b, ket index k on the bond left of the current site.
    std::size_t dim = st.bond(first);
    std::vector<T> env(dim * dim, T(0)), x, y;
    for (std::size_t a = 0; a < dim; ++a)
        env[a * dim + a] = T(1);
    std::size_t next_op = 0;
    for (std::size_t i = first; i <= last; ++i) {
        const std::size_t l = st.bond(i), r = st.bond(i + 1);
        const T* core = st.core(i).data();
        /// x[b,p,k'] = sum_k env[b,k] a[k,p,k']
        x.assign(l * 2 * r, T(0));
        gemm(Op::none, Op::none, l, 2 * r, l, T(1), env.data(), l, core, 2 * r, T(0),
             x.data(), 2 * r);
        const std::array<T, 4>* op = nullptr;
        if (next_op < sites.size() && sites[next_op] == i)
            op = &ops[next_op++];
        if (op != nullptr) {
            y.assign(x.size(), T(0));
            apply_middle(op->data(), 2, x.data(), y.data(), l, r);
        } else {
            y.swap(x);
        }
        /// env'[b',k'] = sum_{b,p} conj(a[b,p,b']) y[b,p,k']
        env.assign(r * r, T(0));
        gemm(Op::conj_trans, Op::none, r, r, l * 2, T(1), core, r, y.data(), r, T(0),
             env.data(), r);
    }
    std::complex<double> tr = 0.0;
    const std::size_t r = st.bond(last + 1);
    for (std::size_t a = 0; a < r; ++a)
        tr += std::complex<double>(env[a * r + a]);
    return tr;
}

template <ComplexScalar T>
void Mps<T>::apply_site_matrix(std::size_t site, const std::complex<double>* m) {
    const T m00 = T(m[0]), m01 = T(m[1]), m10 = T(m[2]), m11 = T(m[3]);
    const std::size_t l = bonds_[site], r = bonds_[site + 1];
    T* a = cores_[site].data();
    for (std::size_t x = 0; x < l; ++x) {
        T* a0 = a + x * 2 * r;
        T* a1 = a0 + r;
        for (std::size_t y = 0; y < r; ++y) {
            const T v0 = a0[y], v1 = a1[y];
            a0[y] = m00 * v0 + m01 * v1;
            a1[y] = m10 * v0 + m11 * v1;
        }
    }
}

template <ComplexScalar T>
std::array<std::complex<double>, 4> Mps<T>::local_density(std::size_t qubit) const {
    check_site(qubit, "qubit");
    const std::size_t site = site_of_[qubit];
    const Centered st = centered_at(site);
    // With the centre here, rho[s][t] = sum_{l,r} A[l,s,r] conj(A[l,t,r]).
    const std::size_t l = st.bond(site), r = st.bond(site + 1);
    const T* a = st.core(site).data();
    std::complex<double> rho[2][2] = {};
    for (std::size_t x = 0; x < l; ++x)
        for (std::size_t s = 0; s < 2; ++s)
            for (std::size_t t = 0; t < 2; ++t) {
                const T* as = a + (x * 2 + s) * r;
                const T* at = a + (x * 2 + t) * r;
                std::complex<double> acc = 0;
                for (std::size_t y = 0; y < r; ++y)
                    acc += std::complex<double>(as[y]) *
                           std::conj(std::complex<double>(at[y]));
                rho[s][t] += acc;
            }
    const double tr = rho[0][0].real() + rho[1][1].real();
    if (!(tr > 0.0))
        throw ShapeError("the state has zero norm");
    return {rho[0][0] / tr, rho[0][1] / tr, rho[1][0] / tr, rho[1][1] / tr};
}

template <ComplexScalar T>
double Mps<T>::apply_local_normalized(std::size_t qubit,
                                      const std::complex<double>* m) {
    check_site(qubit, "qubit");
    const std::size_t site = site_of_[qubit];
    move_center(site);
    const double before = norm_squared();
    apply_site_matrix(site, m);
    // The centre carries the whole norm, so rescaling it normalizes the state.
    const double after = norm_squared();
    const double prob = before > 0.0 ? after / before : 0.0;
    if (!(after > 0.0) || !std::isfinite(after))
        throw ShapeError("operator on qubit " + std::to_string(qubit) +
                         " leaves a state of zero norm (an outcome of probability 0)");
    const real_t<T> scale = real_t<T>(1.0 / std::sqrt(after));
    for (T& v : cores_[site])
        v *= scale;
    return prob;
}

template <ComplexScalar T>
std::vector<real_t<T>> Mps<T>::schmidt_values(std::size_t bond) const {
    if (cores_.size() < 2 || bond + 1 >= cores_.size())
        throw SiteError("bond " + std::to_string(bond) + " is out of range: " +
                        std::to_string(cores_.size()) + " qubits have bonds 0.." +
                        std::to_string(cores_.size() < 2 ? 0 : cores_.size() - 2));
    if (!identity_layout()) {
        // A copy: restoring the layout truncates, which a query must not do to
        // the state. Bounded by the largest bond the state has had: restoring a
        // layout that lazy routing scrambled at saturation exactly can need 2^(n/2).
        Mps copy(*this);
        TruncationSpec near_exact;
        near_exact.cutoff = 1e-15;
        near_exact.max_bond = std::max<std::size_t>(max_bond_reached_, 1);
        copy.restore_layout(near_exact);
        return copy.schmidt_values(bond);
    }
    const Centered st = centered_at(bond);
    std::vector<T> a = st.core(bond);
    return singular_values(a.data(), st.bond(bond) * 2, st.bond(bond + 1));
}

#define TENSORBOND_MPS_INSTANTIATE(T) template class Mps<T>;
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_MPS_INSTANTIATE)

} // namespace tensorbond
