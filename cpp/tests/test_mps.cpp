// H then CX on |00> gives the Bell state (|00> + |11>) / sqrt(2).
#include <cmath>
#include <complex>
#include <cstdint>

#include "check.hpp"
#include "tensorbond/mps.hpp"

namespace tb = tensorbond;
using cd = std::complex<double>;

namespace {

template <class T> void check_bell(double tol) {
    const double h = 1.0 / std::sqrt(2.0);
    const cd hadamard[] = {h, h, h, -h};
    // The first listed qubit is the most significant bit: control 0, target 1.
    const cd cx[] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0};
    tb::Mps<T> psi(2);
    tb::GateRef g1;
    g1.arity = 1;
    g1.qubits = {0, 0, 0};
    g1.matrix = hadamard;
    tb::GateRef g2;
    g2.arity = 2;
    g2.qubits = {0, 1, 0};
    g2.matrix = cx;
    psi.apply_gate(g1, tb::TruncationSpec{});
    psi.apply_gate(g2, tb::TruncationSpec{});
    const auto dense = psi.to_dense();
    TB_CHECK(dense.size() == 4);
    const double want[] = {h, 0.0, 0.0, h};
    for (std::size_t i = 0; i < 4; ++i) {
        TB_CHECK_NEAR(dense[i].real(), want[i], tol);
        TB_CHECK_NEAR(dense[i].imag(), 0.0, tol);
    }
    const std::uint8_t ones[] = {1, 1};
    TB_CHECK_NEAR(psi.amplitude(ones).real(), h, tol);
    TB_CHECK_NEAR(psi.norm_squared(), 1.0, tol);
    TB_CHECK(psi.bond_dims().size() == 1 && psi.bond_dims()[0] == 2);
    TB_CHECK_NEAR(psi.fidelity_estimate(), 1.0, 0.0);
}

} // namespace

TB_TEST(bell_complex64) { check_bell<std::complex<float>>(1e-6); }
TB_TEST(bell_complex128) { check_bell<std::complex<double>>(1e-14); }

int main() { return tb_run_all(); }
