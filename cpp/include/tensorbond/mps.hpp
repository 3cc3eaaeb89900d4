#pragma once
// Matrix product state with a tracked orthogonality centre. Site tensors are
// (chi_left, 2, chi_right), row-major, size-1 boundary bonds. Qubits live on sites
// through a tracked layout (identity unless SWAP gates or lazy routing moved them);
// every query takes qubit indices, and qubit 0 is the most significant bit of a
// dense index.
#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "tensorbond/gate.hpp"
#include "tensorbond/linalg.hpp"
#include "tensorbond/scalar.hpp"
#include "tensorbond/truncation.hpp"

namespace tensorbond {

/// How gates on non-adjacent qubits are applied.
enum class Routing {
    swap, ///< swap the qubits next to each other, apply, swap back (2d-1 SVDs)
    mpo,  ///< apply the gate as an MPO over the span, then one compression sweep (d
          ///< SVDs)
    lazy, ///< swap the qubits next to each other and leave them there (d SVDs);
          ///< the qubit layout is tracked
    automatic, ///< lazy for operator Schmidt rank 4 (cswap, generic unitaries); mpo
               ///< for rank <= 2 until the span's bonds saturate at max_bond, then lazy
};

/// A k-qubit gate as an MPO over its k sorted sites (see Routing::mpo).
template <class T> struct GateMpo {
    std::vector<std::vector<T>> w;  // w[j][(kl, p, p', kr)]
    std::vector<std::size_t> bonds; // k + 1 entries, 1 at both ends
};

template <ComplexScalar T> class Mps {
  public:
    using R = real_t<T>;

    /// |0...0> on `num_sites` qubits.
    explicit Mps(std::size_t num_sites);
    /// Product state from per-site 2-vectors `vecs[site * 2 + p]` (need not be unit).
    static Mps product(const std::complex<double>* vecs, std::size_t num_sites);

    /// A state from site tensors (l, 2, r) in site order, `layout[site]` the qubit
    /// each site holds; brought to canonical form with the centre at the last
    /// site (exact QR sweep). Throws on inconsistent bonds or non-finite entries.
    /// With `center` given, the cores are trusted to be in canonical form about
    /// it already (a state's own cores, as pickling sends them) and kept exactly.
    static Mps from_cores(std::vector<std::vector<T>> cores,
                          const std::vector<std::size_t>& bonds,
                          const std::vector<std::uint32_t>& layout,
                          std::optional<std::size_t> center = std::nullopt);
    /// Restore the truncation history of a saved state.
    void set_history(double fidelity, double discarded, std::size_t num_truncations,
                     std::size_t max_bond_reached);
    std::size_t num_sites() const { return cores_.size(); }
    std::size_t center() const { return center_; }
    /// The n-1 internal bond dimensions.
    std::vector<std::size_t> bond_dims() const;
    std::size_t bond(std::size_t i) const { return bonds_[i]; }
    const std::vector<T>& core(std::size_t site) const { return cores_[site]; }
    double fidelity_estimate() const { return fidelity_; }
    double discarded_weight() const { return discarded_; }
    std::size_t num_truncations() const { return num_truncations_; }
    std::size_t max_bond_reached() const { return max_bond_reached_; }
    std::size_t memory_bytes() const;
    /// qubit_at(site): which qubit sits on each site.
    const std::vector<std::uint32_t>& layout() const { return qubit_at_; }
    bool identity_layout() const;
    /// Move qubits back to the identity layout by adjacent swaps (truncated with
    /// `spec`, recorded like any truncation).
    void restore_layout(const TruncationSpec& spec);

    /// Record the (rows, cols) of every SVD performed from now on (benchmark floors).
    void record_svd_shapes(bool on) { record_svd_ = on; }
    const std::vector<std::array<std::uint32_t, 2>>& svd_shapes() const {
        return svd_shapes_;
    }
    void clear_svd_shapes() { svd_shapes_.clear(); }
    /// Truncated splits per route since the state was made: counts indexed by
    /// SplitMethod (svd, eig, rand, qr), the Gram routes' fallbacks,
    /// and the GEMM/QR multiply-adds of the routes taken (benchmark floors).
    struct SplitStats {
        std::array<std::size_t, 4> count{};
        std::size_t fallbacks = 0;
        double madds = 0.0;
    };
    const SplitStats& split_stats() const { return split_stats_; }

    /// Make every site left of `site` left-orthonormal and every site right of it
    /// right-orthonormal (QR sweeps; nothing is truncated).
    void move_center(std::size_t site);

    /// Apply a 1-, 2- or 3-qubit gate on any qubits; multi-qubit gates on distant
    /// qubits are routed by swaps next to each other and back. Truncates only at
    /// the orthogonality centre. `toward` hints where the next gate acts.
    void apply_gate(const GateRef& gate, const TruncationSpec& spec,
                    std::size_t toward = SIZE_MAX,
                    Routing routing = Routing::automatic);
    /// Apply gates [begin, end) of a compiled circuit, looking ahead to place the
    /// orthogonality centre where the next multi-qubit gate acts. `poll`, if set,
    /// runs after every gate; an exception it throws (an interrupt) stops the run,
    /// leaving the state valid but part-way through the gates.
    void run(const GateRef* gates, std::size_t count, const TruncationSpec& spec,
             Routing routing = Routing::automatic,
             const std::function<void()>& poll = {});

    /// <psi|psi>.
    double norm_squared() const;
    /// <bits|psi> for `bits[site]` in {0, 1}.
    T amplitude(const std::uint8_t* bits) const;
    /// Dense state vector of length 2^n (qubit 0 most significant); n <= 30.
    std::vector<T> to_dense() const;
    /// `shots` perfect samples as a (shots, n) 0/1 matrix, in random order.
    std::vector<std::uint8_t> sample(std::size_t shots, std::uint64_t seed) const;
    /// <psi| prod_k O_k |psi> for 2x2 operators `qops[k]` (row-major) on distinct,
    /// ascending `qubits[k]`.
    std::complex<double>
    expectation_product(const std::vector<std::size_t>& qubits,
                        const std::vector<std::array<T, 4>>& qops) const;
    /// Reduced density matrix of one qubit, 2x2 row-major, trace 1 (relative to
    /// the state's norm).
    std::array<std::complex<double>, 4> local_density(std::size_t qubit) const;
    /// Apply any 2x2 operator `m` (row-major; a projector, a Kraus operator) to
    /// one qubit at the orthogonality centre and rescale the state to norm 1.
    /// Returns <psi|m^dag m|psi> / <psi|psi>, the probability of that branch.
    /// Throws if the result vanishes (an outcome of probability zero).
    double apply_local_normalized(std::size_t qubit, const std::complex<double>* m);
    /// Schmidt values across bond `bond` (between sites bond and bond+1), descending;
    /// computed on a copy with the identity layout restored if qubits were moved.
    std::vector<R> schmidt_values(std::size_t bond) const;

    /// Thread safety: queries (const methods) never change the state: where they
    /// need the orthogonality centre elsewhere they move it on a copy of the sites
    /// in between. So any number of threads may query one state at once, with
    /// results independent of the interleaving; a mutation needs exclusive access.
    /// `lock()` is that reader/writer lock, for callers sharing a state (the
    /// bindings take it shared for queries and exclusive for mutations).
    std::shared_mutex& lock() const { return lock_.m; }

  private:
    Mps() = default;
    /// Sites [lo, lo + cores.size()) of the state with the centre moved to one
    /// site; the others are read from the owner.
    struct Centered {
        const Mps* owner = nullptr;
        std::size_t lo = 0;
        std::vector<std::vector<T>> cores;
        std::vector<std::size_t> bonds; // cores.size() + 1 entries
        const std::vector<T>& core(std::size_t i) const {
            return i >= lo && i - lo < cores.size() ? cores[i - lo] : owner->cores_[i];
        }
        std::size_t bond(std::size_t i) const {
            return i >= lo && i - lo < bonds.size() ? bonds[i - lo] : owner->bonds_[i];
        }
    };
    Centered centered_at(std::size_t site) const;
    /// A mutex that copies as a fresh one: a copied state is an independent object.
    struct Lock {
        mutable std::shared_mutex m;
        Lock() = default;
        Lock(const Lock&) {}
        Lock& operator=(const Lock&) { return *this; }
    };
    struct Split {
        std::vector<T> left, right; // (rows, k) and (k, cols)
        std::size_t k = 0;
    };
    /// a[rows, cols] = left right, truncated at the centre by `spec`, the weights
    /// absorbed on the side the centre moves to. QR/LQ when nothing can be cut.
    /// `basis` (basis_dim rows) is split()'s row basis for the qr route.
    Split split_matrix(std::vector<T>& a, std::size_t rows, std::size_t cols,
                       const TruncationSpec& spec, bool absorb_right,
                       const T* basis = nullptr, std::size_t basis_dim = 0);
    void check_site(std::size_t site, const char* what) const;
    /// a[l, :, r] <- m a[l, :, r] for the 2x2 row-major `m` on one site's physical
    /// index.
    void apply_site_matrix(std::size_t site, const std::complex<double>* m);
    void center_to_pair(std::size_t i);
    std::vector<T> theta_two(std::size_t i) const;
    void split_two(std::size_t i, std::vector<T>& theta, const TruncationSpec& spec,
                   bool center_right, const T* gate = nullptr);
    /// Rows spanning the row space of the gate-applied pair at i (centre moving
    /// right) or of its adjoint: the old bond's basis expanded by the gate's
    /// operator Schmidt terms. Empty when that is no smaller than the pair.
    std::vector<T> expanded_basis(std::size_t i, const T* gate, bool center_right,
                                  std::size_t& dim) const;
    /// QR-based TEBD's guess of the kept subspace of the gate-applied pair
    /// `theta` at i, in the same layout: the old bond's own basis, expanded to
    /// `width` rows by theta's largest rows (columns when the centre moves left).
    std::vector<T> saturated_basis(std::size_t i, const std::vector<T>& theta,
                                   bool center_right, std::size_t width,
                                   std::size_t& dim) const;
    void apply_two_adjacent(std::size_t i, const T* g, const TruncationSpec& spec,
                            bool center_right);
    void apply_three_adjacent(std::size_t i, const T* g, const TruncationSpec& spec,
                              bool center_right);
    void swap_adjacent(std::size_t i, const TruncationSpec& spec, bool center_right);
    void route_by_swaps(const std::array<std::uint32_t, 3>& s, std::size_t k,
                        const T* g, const TruncationSpec& spec, bool swap_back);
    void apply_as_mpo(const std::array<std::uint32_t, 3>& s, const GateMpo<T>& mpo,
                      const TruncationSpec& spec, bool center_right);
    void note_truncation(const TruncationInfo& info, std::size_t rows,
                         std::size_t cols);
    /// The segment of gates from `begin` whose pair gates are disjoint adjacent
    /// pairs (mps_schedule.cpp): returns its end and, in `order`, the gates in the
    /// order that sweeps them from the end nearest the centre; `order` is left
    /// empty when the segment has fewer than two pair gates; `lo_site`
    /// and `hi_site`, if given, get the lowest sites of its outermost pairs.
    std::size_t layer_order(const GateRef* gates, std::size_t begin, std::size_t count,
                            std::vector<std::size_t>& order,
                            std::size_t* lo_site = nullptr,
                            std::size_t* hi_site = nullptr) const;
    /// How many gates from `begin` a TEBD block can take (unitary 1-qubit gates
    /// and unitary 2-qubit gates on adjacent sites), and how many act on two.
    std::size_t tebd_extent(const GateRef* gates, std::size_t begin, std::size_t count,
                            std::size_t& two_qubit) const;
    /// Gates [begin, end) of a run by TEBD in the Lambda-B form (mps_tebd.cpp):
    /// disjoint gates are independent there, so a layer's gates run on the
    /// threads set; the centre ends at `toward` (exact QR/LQ sweeps).
    void run_tebd(const GateRef* gates, std::size_t begin, std::size_t end,
                  const TruncationSpec& spec, std::size_t toward,
                  const std::function<void()>& poll);

    std::vector<std::vector<T>> cores_;
    std::vector<std::size_t> bonds_;      // n + 1 entries, bonds_[0] = bonds_[n] = 1
    std::vector<std::uint32_t> qubit_at_; // site -> qubit
    std::vector<std::uint32_t> site_of_;  // qubit -> site
    std::size_t center_ = 0;
    double fidelity_ = 1.0;
    double discarded_ = 0.0;
    std::size_t num_truncations_ = 0;
    std::size_t max_bond_reached_ = 1;
    bool record_svd_ = false;
    std::vector<std::array<std::uint32_t, 2>> svd_shapes_;
    SplitStats split_stats_;
    Lock lock_;
};

#define TENSORBOND_MPS_EXTERN(T) extern template class Mps<T>;
TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_MPS_EXTERN)
#undef TENSORBOND_MPS_EXTERN

} // namespace tensorbond
