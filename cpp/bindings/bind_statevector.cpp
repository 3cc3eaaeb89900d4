#include <mutex>
#include <shared_mutex>
#include <vector>

#include "common.hpp"
#include "tensorbond/statevector.hpp"

namespace tensorbond::bindings {
namespace {

using cd = std::complex<double>;
using SV = StateVector;

std::vector<PauliMask> masks(const carray<std::uint64_t>& x,
                             const carray<std::uint64_t>& z, const carray<cd>& coeffs) {
    const std::size_t n = std::size_t(coeffs.size());
    if (std::size_t(x.size()) != n || std::size_t(z.size()) != n)
        throw ShapeError("Pauli masks and coefficients disagree in length");
    std::vector<PauliMask> out(n);
    for (std::size_t k = 0; k < n; ++k)
        out[k] = {x.data()[k], z.data()[k], coeffs.data()[k]};
    return out;
}

} // namespace
} // namespace tensorbond::bindings

void register_statevector(py::module_& m) {
    using namespace tensorbond;
    using namespace tensorbond::bindings;
    // Queries take the state's lock shared, mutations exclusive, with the GIL
    // released (as for Mps).
    py::class_<SV>(m, "StateVector")
        .def(py::init<std::size_t>(), py::arg("num_qubits"))
        .def_static(
            "from_amplitudes",
            [](const carray<cd>& a) {
                std::vector<cd> v(a.data(), a.data() + a.size());
                py::gil_scoped_release nogil;
                return SV::from_amplitudes(std::move(v));
            },
            py::arg("amplitudes"))
        .def_property_readonly("num_qubits", &SV::num_qubits)
        .def("amplitudes",
             [](const SV& self) {
                 std::vector<cd> copy;
                 {
                     py::gil_scoped_release nogil;
                     std::shared_lock lock(self.lock());
                     copy = self.amplitudes();
                 }
                 const auto len = py::ssize_t(copy.size());
                 return hand_over(std::move(copy), {len});
             })
        .def("copy",
             [](const SV& self) {
                 py::gil_scoped_release nogil;
                 std::shared_lock lock(self.lock());
                 return SV(self);
             })
        .def(
            "apply_gate",
            [](SV& self, const std::vector<std::uint32_t>& qubits,
               const carray<cd>& matrix) {
                const GateRef g = gate_ref(qubits, matrix);
                py::gil_scoped_release nogil;
                std::unique_lock lock(self.lock());
                self.apply(g);
            },
            py::arg("qubits"), py::arg("matrix").noconvert())
        .def(
            "run",
            [](SV& self, const carray<std::int64_t>& qubits,
               const carray<std::int64_t>& arity, const carray<std::int64_t>& offsets,
               const carray<cd>& matrices, std::size_t start, std::size_t stop) {
                const std::vector<GateRef> gates = gate_refs(
                    qubits, arity, offsets, matrices, start, stop, self.num_qubits());
                const std::function<void()> poll = signal_poll();
                py::gil_scoped_release nogil;
                std::unique_lock lock(self.lock());
                self.run(gates.data(), gates.size(), poll);
            },
            py::arg("qubits").noconvert(), py::arg("arity").noconvert(),
            py::arg("offsets").noconvert(), py::arg("matrices").noconvert(),
            py::arg("start"), py::arg("stop"))
        .def("norm_squared",
             [](const SV& self) {
                 py::gil_scoped_release nogil;
                 std::shared_lock lock(self.lock());
                 return self.norm_squared();
             })
        .def(
            "inner",
            [](const SV& self, const SV& other) {
                py::gil_scoped_release nogil;
                std::shared_lock a(self.lock());
                std::shared_lock b(other.lock(), std::defer_lock);
                if (&other != &self)
                    b.lock();
                return self.inner(other);
            },
            py::arg("other"))
        .def(
            "expectation",
            [](const SV& self, const carray<std::uint64_t>& x,
               const carray<std::uint64_t>& z, const carray<cd>& coeffs) {
                const std::vector<PauliMask> t = masks(x, z, coeffs);
                py::gil_scoped_release nogil;
                std::shared_lock lock(self.lock());
                return self.expectation(t);
            },
            py::arg("x").noconvert(), py::arg("z").noconvert(),
            py::arg("coeffs").noconvert())
        .def(
            "apply_paulis",
            [](const SV& self, const carray<std::uint64_t>& x,
               const carray<std::uint64_t>& z, const carray<cd>& coeffs) {
                const std::vector<PauliMask> t = masks(x, z, coeffs);
                py::gil_scoped_release nogil;
                std::shared_lock lock(self.lock());
                return self.apply_paulis(t);
            },
            py::arg("x").noconvert(), py::arg("z").noconvert(),
            py::arg("coeffs").noconvert());
}
