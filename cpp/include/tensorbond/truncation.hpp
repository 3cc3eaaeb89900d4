#pragma once
// Truncation policy for singular value spectra; the maths is documented in
// python/tensorbond/truncation.py.
#include <cstddef>
#include <optional>

#include "tensorbond/scalar.hpp"

namespace tensorbond {

enum class CutoffMode { abs, rel, sum2, rsum2 };

/// How a truncated split factorizes (cpp/src/split.cpp holds the routes).
enum class SplitMethod {
    svd,       ///< full SVD (gesdd): the reference
    eig,       ///< eigen-decomposition of the Gram matrix of the smaller side
    rand,      ///< randomized range finder with a power iteration (max_bond bound)
    qr,        ///< QR of the tensor on the gate-expanded old bond basis
    automatic, ///< the cheapest route by shape under a measured cost model
};

/// How a state's gauge is kept while gates truncate it.
enum class Gauge {
    canonical, ///< exact mixed-canonical form: each truncation optimal at the centre
    vidal,     ///< Schmidt values on every bond (Hastings' Lambda-B form): a layer's
               ///< disjoint adjacent gates are independent and run on the threads set
};

/// The order Mps::run applies gates in, where they commute.
enum class GateOrder {
    sweep,   ///< a layer's disjoint adjacent pairs swept from the end nearest the
             ///< centre (one site of centre travel per gate)
    circuit, ///< the circuit's own order (quimb's and qiskit-aer's)
};

struct TruncationSpec {
    std::optional<std::size_t> max_bond; // nullopt = unlimited
    double cutoff = 0.0;
    CutoffMode mode = CutoffMode::rsum2; // same names as quimb's cutoff_mode
    bool renormalize = false;
    SplitMethod split = SplitMethod::svd;
    Gauge gauge = Gauge::canonical;
    GateOrder order = GateOrder::sweep;
};

struct TruncationInfo {
    std::size_t kept = 0;
    double discarded_weight = 0.0; // sum of dropped s_i^2
    double total_weight = 0.0;     // sum of all s_i^2
};

/// How many of the descending singular values `s[0..n)` to keep under `spec`.
/// Keeps at least one value when n > 0; fills discarded and total weight.
template <class R>
TruncationInfo truncation_rank(const R* s, std::size_t n, const TruncationSpec& spec);

// Singular values are real: one instantiation per real type.
#define TENSORBOND_TRUNCATION_EXTERN(R)                                                \
    extern template TruncationInfo truncation_rank<R>(const R*, std::size_t,           \
                                                      const TruncationSpec&);
TENSORBOND_FOR_EACH_REAL(TENSORBOND_TRUNCATION_EXTERN)
#undef TENSORBOND_TRUNCATION_EXTERN

} // namespace tensorbond
