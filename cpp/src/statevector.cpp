#include "tensorbond/statevector.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <string>

#include "tensorbond/errors.hpp"

namespace tensorbond {
namespace {

using cd = std::complex<double>;

/// i^k for the Y factors of a Pauli string.
cd i_power(int k) {
    static constexpr std::array<cd, 4> p{cd(1, 0), cd(0, 1), cd(-1, 0), cd(0, -1)};
    return p[std::size_t(k & 3)];
}

/// a * b without the C99 Annex G NaN recovery of operator* (a libgcc call per
/// product): the inputs are finite, checked where states and gates come in.
inline cd mul(const cd& a, const cd& b) {
    return {a.real() * b.real() - a.imag() * b.imag(),
            a.real() * b.imag() + a.imag() * b.real()};
}

double sign_of(std::uint64_t i, std::uint64_t z) {
    return (std::popcount(i & z) & 1) ? -1.0 : 1.0;
}

} // namespace

StateVector::StateVector(std::size_t num_qubits) : n_(num_qubits) {
    if (num_qubits < 1 || num_qubits > max_qubits)
        throw ShapeError("a dense state vector holds 1 to " +
                         std::to_string(max_qubits) + " qubits, not " +
                         std::to_string(num_qubits));
    psi_.assign(std::size_t(1) << num_qubits, cd(0));
    psi_[0] = 1.0;
}

StateVector StateVector::from_amplitudes(std::vector<cd> amplitudes) {
    const std::size_t len = amplitudes.size();
    if (len < 2 || !std::has_single_bit(len) || len > (std::size_t(1) << max_qubits))
        throw ShapeError("a state vector has 2^n amplitudes (1 <= n <= 30), got " +
                         std::to_string(len));
    for (const cd& a : amplitudes)
        if (!std::isfinite(a.real()) || !std::isfinite(a.imag()))
            throw ShapeError("state vector amplitudes must be finite");
    StateVector s;
    s.n_ = std::size_t(std::countr_zero(len));
    s.psi_ = std::move(amplitudes);
    return s;
}

void StateVector::apply(const GateRef& gate) {
    const std::size_t k = gate.arity;
    if (k < 1 || k > 3)
        throw NotImplementedError("gates on " + std::to_string(k) +
                                  " qubits are not supported (1 to 3)");
    std::array<std::uint64_t, 3> bit{};
    for (std::size_t j = 0; j < k; ++j) {
        if (gate.qubits[j] >= n_)
            throw SiteError("qubit " + std::to_string(gate.qubits[j]) +
                            " is out of range for " + std::to_string(n_) + " qubits");
        bit[j] = std::uint64_t(1) << (n_ - 1 - gate.qubits[j]);
        for (std::size_t i = 0; i < j; ++i)
            if (bit[i] == bit[j])
                throw ShapeError("gate applied to qubit " +
                                 std::to_string(gate.qubits[j]) + " twice");
    }
    const std::size_t d = std::size_t(1) << k;
    // offset[l]: where local basis state l (first qubit most significant) sits.
    std::array<std::uint64_t, 8> offset{};
    for (std::size_t l = 0; l < d; ++l)
        for (std::size_t j = 0; j < k; ++j)
            if ((l >> (k - 1 - j)) & 1)
                offset[l] |= bit[j];
    const cd* m = gate.matrix;
    bool diagonal = true;
    for (std::size_t r = 0; r < d && diagonal; ++r)
        for (std::size_t c = 0; c < d; ++c)
            if (r != c && m[r * d + c] != cd(0)) {
                diagonal = false;
                break;
            }
    cd* psi = psi_.data();
    const std::uint64_t len = psi_.size();
    if (k == 1 &&
        !diagonal) { // pairs (i, i + b) in blocks of 2b: a loop the compiler unrolls
        const std::uint64_t b = bit[0];
        const cd m00 = m[0], m01 = m[1], m10 = m[2], m11 = m[3];
        for (std::uint64_t hi = 0; hi < len; hi += 2 * b)
            for (std::uint64_t i = hi; i < hi + b; ++i) {
                const cd a0 = psi[i], a1 = psi[i + b];
                psi[i] = mul(m00, a0) + mul(m01, a1);
                psi[i + b] = mul(m10, a0) + mul(m11, a1);
            }
        return;
    }
    if (k == 2 &&
        !diagonal) { // quadruples over the two bits, the 4x4 matrix held in registers
        const std::uint64_t b0 = bit[0], b1 = bit[1];
        const std::uint64_t lo = std::min(b0, b1), hi = std::max(b0, b1);
        std::array<cd, 16> g{};
        std::copy(m, m + 16, g.begin());
        for (std::uint64_t x = 0; x < len; x += 2 * hi)
            for (std::uint64_t y = x; y < x + hi; y += 2 * lo)
                for (std::uint64_t i = y; i < y + lo; ++i) {
                    const cd a0 = psi[i], a1 = psi[i + b1], a2 = psi[i + b0],
                             a3 = psi[i + b0 + b1];
                    psi[i] =
                        mul(g[0], a0) + mul(g[1], a1) + mul(g[2], a2) + mul(g[3], a3);
                    psi[i + b1] =
                        mul(g[4], a0) + mul(g[5], a1) + mul(g[6], a2) + mul(g[7], a3);
                    psi[i + b0] =
                        mul(g[8], a0) + mul(g[9], a1) + mul(g[10], a2) + mul(g[11], a3);
                    psi[i + b0 + b1] = mul(g[12], a0) + mul(g[13], a1) +
                                       mul(g[14], a2) + mul(g[15], a3);
                }
        return;
    }
    // Bases: indices with every gate bit clear, enumerated by inserting zeros
    // at the gate's bit positions (ascending) into a counter of n - k bits.
    std::array<std::uint64_t, 3> sorted = bit;
    std::sort(sorted.begin(), sorted.begin() + std::ptrdiff_t(k));
    const std::uint64_t count = std::uint64_t(1) << (n_ - k);
    for (std::uint64_t c = 0; c < count; ++c) {
        std::uint64_t base = c;
        for (std::size_t j = 0; j < k; ++j) {
            const std::uint64_t low = base & (sorted[j] - 1);
            base = ((base ^ low) << 1) | low;
        }
        if (diagonal) {
            for (std::size_t l = 0; l < d; ++l)
                psi[base | offset[l]] = mul(psi[base | offset[l]], m[l * d + l]);
            continue;
        }
        std::array<cd, 8> in{}, out{};
        for (std::size_t l = 0; l < d; ++l)
            in[l] = psi[base | offset[l]];
        for (std::size_t r = 0; r < d; ++r) {
            cd acc = 0;
            for (std::size_t l = 0; l < d; ++l)
                acc += mul(m[r * d + l], in[l]);
            out[r] = acc;
        }
        for (std::size_t l = 0; l < d; ++l)
            psi[base | offset[l]] = out[l];
    }
}

void StateVector::run(const GateRef* gates, std::size_t count,
                      const std::function<void()>& poll) {
    for (std::size_t g = 0; g < count; ++g) {
        apply(gates[g]);
        if (poll && (g & 63) == 63)
            poll();
    }
}

double StateVector::norm_squared() const {
    double acc = 0;
    for (const cd& a : psi_)
        acc += std::norm(a);
    return acc;
}

std::complex<double> StateVector::inner(const StateVector& other) const {
    if (other.n_ != n_)
        throw ShapeError("states of " + std::to_string(n_) + " and " +
                         std::to_string(other.n_) + " qubits");
    cd acc = 0;
    for (std::size_t i = 0; i < psi_.size(); ++i)
        acc += mul(std::conj(psi_[i]), other.psi_[i]);
    return acc;
}

std::complex<double>
StateVector::expectation(const std::vector<PauliMask>& terms) const {
    cd total = 0;
    const std::uint64_t len = psi_.size();
    for (const PauliMask& t : terms) {
        // <psi|P|psi> = i^{#Y} sum_i conj(psi[i ^ x]) (-1)^{|i & z|} psi[i]
        cd acc = 0;
        for (std::uint64_t i = 0; i < len; ++i)
            acc += sign_of(i, t.z) * mul(std::conj(psi_[i ^ t.x]), psi_[i]);
        total += t.coeff * i_power(std::popcount(t.x & t.z)) * acc;
    }
    return total;
}

StateVector StateVector::apply_paulis(const std::vector<PauliMask>& terms) const {
    StateVector out;
    out.n_ = n_;
    out.psi_.assign(psi_.size(), cd(0));
    const std::uint64_t len = psi_.size();
    for (const PauliMask& t : terms) {
        const cd c = t.coeff * i_power(std::popcount(t.x & t.z));
        for (std::uint64_t i = 0; i < len; ++i)
            out.psi_[i ^ t.x] += sign_of(i, t.z) * mul(c, psi_[i]);
    }
    return out;
}

} // namespace tensorbond
