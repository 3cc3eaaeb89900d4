#pragma once
// A dense state vector of n <= 30 qubits, qubit 0 the most significant bit of an
// index. For circuits small enough that 2^n amplitudes cost less than the MPS bond
// they would need: exact, no truncation, the same compiled gates as Mps::run.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <vector>

#include "tensorbond/gate.hpp"

namespace tensorbond {

/// One weighted Pauli string as bit masks over indices: `x` flips, `z` signs
/// (bit n-1-q for qubit q); Y on a qubit sets both and contributes a factor i.
struct PauliMask {
    std::uint64_t x = 0, z = 0;
    std::complex<double> coeff = 1.0;
};

class StateVector {
  public:
    using cd = std::complex<double>;
    static constexpr std::size_t max_qubits = 30;

    /// |0...0> on `num_qubits` qubits (1 to max_qubits).
    explicit StateVector(std::size_t num_qubits);
    /// A state from 2^n amplitudes (any norm). Throws on a length that is not a
    /// power of two or non-finite entries.
    static StateVector from_amplitudes(std::vector<cd> amplitudes);

    std::size_t num_qubits() const { return n_; }
    const std::vector<cd>& amplitudes() const { return psi_; }

    /// Apply any 2^k x 2^k matrix (k = 1..3; unitary or not) to its qubits.
    void apply(const GateRef& gate);
    /// Apply `count` gates in order; `poll`, if set, runs every 64 gates (an
    /// exception it throws stops the run part-way, leaving a valid state).
    void run(const GateRef* gates, std::size_t count,
             const std::function<void()>& poll = {});

    double norm_squared() const;
    /// <this|other>.
    cd inner(const StateVector& other) const;
    /// <psi| sum_k c_k P_k |psi> (not normalized).
    cd expectation(const std::vector<PauliMask>& terms) const;
    /// sum_k c_k P_k |psi>, a new state.
    StateVector apply_paulis(const std::vector<PauliMask>& terms) const;

    /// Reader/writer lock for callers sharing a state (as Mps::lock).
    std::shared_mutex& lock() const { return lock_.m; }

  private:
    StateVector() = default;
    struct Lock {
        mutable std::shared_mutex m;
        Lock() = default;
        Lock(const Lock&) {}
        Lock& operator=(const Lock&) { return *this; }
    };
    std::size_t n_ = 0;
    std::vector<cd> psi_;
    Lock lock_;
};

} // namespace tensorbond
