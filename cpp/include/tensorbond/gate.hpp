#pragma once
// A gate of a compiled circuit, as both engines (Mps, StateVector) take it.
#include <array>
#include <complex>
#include <cstdint>

namespace tensorbond {

/// One gate of a compiled circuit: `arity` qubits, the first listed being the most
/// significant bit of the row-major 2^arity x 2^arity complex128 `matrix`.
struct GateRef {
    std::uint32_t arity = 0;
    std::array<std::uint32_t, 3> qubits{};
    const std::complex<double>* matrix = nullptr;
};

} // namespace tensorbond
