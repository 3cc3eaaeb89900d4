// The dense engine: the Bell state from H and CX, a 3-qubit gate on scattered
// qubits against its definition, and Pauli expectations and sums.
#include <cmath>
#include <complex>
#include <vector>

#include "check.hpp"
#include "tensorbond/statevector.hpp"

namespace tb = tensorbond;
using cd = std::complex<double>;

namespace {

tb::GateRef gate(std::uint32_t arity, std::array<std::uint32_t, 3> qubits,
                 const cd* m) {
    tb::GateRef g;
    g.arity = arity;
    g.qubits = qubits;
    g.matrix = m;
    return g;
}

} // namespace

TB_TEST(bell_and_paulis) {
    const double h = 1.0 / std::sqrt(2.0);
    const cd hadamard[] = {h, h, h, -h};
    const cd cx[] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    tb::StateVector psi(2);
    psi.apply(gate(1, {0, 0, 0}, hadamard));
    psi.apply(gate(2, {0, 1, 0}, cx));
    const auto& a = psi.amplitudes();
    const double want[] = {h, 0.0, 0.0, h};
    for (std::size_t i = 0; i < 4; ++i)
        TB_CHECK_NEAR(std::abs(a[i] - cd(want[i])), 0.0, 1e-15);
    // <ZZ> = <XX> = 1, <YY> = -1, <Z0> = 0 (qubit q is bit n-1-q of an index)
    const std::uint64_t q0 = 2, q1 = 1;
    TB_CHECK_NEAR(psi.expectation({{0, q0 | q1, 1.0}}).real(), 1.0, 1e-15);
    TB_CHECK_NEAR(psi.expectation({{q0 | q1, 0, 1.0}}).real(), 1.0, 1e-15);
    TB_CHECK_NEAR(psi.expectation({{q0 | q1, q0 | q1, 1.0}}).real(), -1.0, 1e-15);
    TB_CHECK_NEAR(std::abs(psi.expectation({{0, q0, 1.0}})), 0.0, 1e-15);
    // (0.5 ZZ + 2 XX)|Bell> = 2.5 |Bell>
    const tb::StateVector lam =
        psi.apply_paulis({{0, q0 | q1, 0.5}, {q0 | q1, 0, 2.0}});
    TB_CHECK_NEAR(std::abs(psi.inner(lam) - cd(2.5)), 0.0, 1e-14);
    TB_CHECK_NEAR(psi.norm_squared(), 1.0, 1e-15);
}

TB_TEST(three_qubit_gate_on_scattered_qubits) {
    // A Toffoli with controls 3 and 0, target 1, on |1001> gives |1101>.
    std::vector<cd> toffoli(64, 0.0);
    for (int i = 0; i < 6; ++i)
        toffoli[std::size_t(i * 8 + i)] = 1.0;
    toffoli[6 * 8 + 7] = toffoli[7 * 8 + 6] = 1.0;
    std::vector<cd> amps(16, 0.0);
    amps[0b1001] = 1.0;
    tb::StateVector psi = tb::StateVector::from_amplitudes(amps);
    psi.apply(gate(3, {3, 0, 1}, toffoli.data()));
    TB_CHECK_NEAR(std::abs(psi.amplitudes()[0b1101] - cd(1.0)), 0.0, 0.0);
    bool threw = false;
    try {
        psi.apply(gate(3, {3, 0, 3}, toffoli.data()));
    } catch (const std::exception&) {
        threw = true;
    }
    TB_CHECK(threw);
}

int main() { return tb_run_all(); }
