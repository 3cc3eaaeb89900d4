#include <chrono>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "common.hpp"
#include "tensorbond/mps.hpp"

namespace tensorbond::bindings {
namespace {

using cd = std::complex<double>;

// Queries take the state's lock shared, mutations exclusive, always with the GIL
// released: no thread waits for a lock while holding the GIL, so a lock holder
// may take the GIL (to poll for Ctrl-C) without deadlock.
template <class M> std::shared_lock<std::shared_mutex> reading(const M& m) {
    return std::shared_lock<std::shared_mutex>(m.lock());
}
template <class M> std::unique_lock<std::shared_mutex> writing(const M& m) {
    return std::unique_lock<std::shared_mutex>(m.lock());
}
/// A const accessor as a property getter that reads under the shared lock.
template <class M, class V> auto read(V (M::*get)() const) {
    return [get](const M& self) {
        py::gil_scoped_release nogil;
        auto lock = reading(self);
        return (self.*get)();
    };
}

template <class T> void register_one(py::module_& m, const char* name) {
    using M = Mps<T>;
    using R = real_t<T>;
    py::class_<M>(m, name)
        .def(py::init<std::size_t>(), py::arg("num_sites"))
        .def_static(
            "product",
            [](const carray<cd>& vecs) {
                if (vecs.ndim() != 2 || vecs.shape(1) != 2)
                    throw ShapeError("product state vectors need shape (n, 2)");
                const std::size_t n = std::size_t(vecs.shape(0));
                const cd* data = vecs.data();
                py::gil_scoped_release nogil;
                return M::product(data, n);
            },
            py::arg("vecs").noconvert())
        .def_static(
            "from_cores",
            [](const std::vector<carray<T>>& tensors,
               const std::vector<std::uint32_t>& layout,
               std::optional<std::size_t> center) {
                std::vector<std::vector<T>> cores;
                std::vector<std::size_t> bonds{1};
                for (std::size_t i = 0; i < tensors.size(); ++i) {
                    const auto& t = tensors[i];
                    if (t.ndim() != 3 || t.shape(1) != 2)
                        throw ShapeError("site tensor " + std::to_string(i) +
                                         " must have shape (left, 2, right)");
                    if (std::size_t(t.shape(0)) != bonds.back())
                        throw ShapeError(
                            "site tensor " + std::to_string(i) + " has left bond " +
                            std::to_string(t.shape(0)) + ", its neighbour " +
                            std::to_string(bonds.back()));
                    cores.emplace_back(t.data(), t.data() + t.size());
                    bonds.push_back(std::size_t(t.shape(2)));
                }
                py::gil_scoped_release nogil;
                return M::from_cores(std::move(cores), bonds, layout, center);
            },
            py::arg("tensors"), py::arg("layout"), py::arg("center") = py::none())
        .def(
            "set_history",
            [](M& self, double fidelity, double discarded, std::size_t num_truncations,
               std::size_t max_bond_reached) {
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                self.set_history(fidelity, discarded, num_truncations,
                                 max_bond_reached);
            },
            py::arg("fidelity"), py::arg("discarded"), py::arg("num_truncations"),
            py::arg("max_bond_reached"))
        .def("copy",
             [](const M& self) {
                 py::gil_scoped_release nogil;
                 auto lock = reading(self);
                 return M(self);
             })
        .def_property_readonly("num_sites", read(&M::num_sites))
        .def_property_readonly("center", read(&M::center))
        .def_property_readonly("bond_dims", read(&M::bond_dims))
        .def_property_readonly("fidelity_estimate", read(&M::fidelity_estimate))
        .def_property_readonly("discarded_weight", read(&M::discarded_weight))
        .def_property_readonly("num_truncations", read(&M::num_truncations))
        .def_property_readonly("max_bond_reached", read(&M::max_bond_reached))
        .def_property_readonly("memory_bytes", read(&M::memory_bytes))
        .def_property_readonly("layout",
                               [](const M& self) {
                                   py::gil_scoped_release nogil;
                                   auto lock = reading(self);
                                   return self.layout(); // a copy, made under the lock
                               })
        .def(
            "restore_layout",
            [](M& self, const TruncationSpec& spec) {
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                self.restore_layout(spec);
            },
            py::arg("spec"))
        .def(
            "move_center",
            [](M& self, std::size_t site) {
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                self.move_center(site);
            },
            py::arg("site"))
        .def(
            "core",
            [](const M& self, std::size_t site) {
                std::vector<T> c;
                py::ssize_t l = 0, r = 0;
                {
                    py::gil_scoped_release nogil;
                    auto lock = reading(self);
                    if (site >= self.num_sites())
                        throw SiteError("site " + std::to_string(site) +
                                        " is out of range for " +
                                        std::to_string(self.num_sites()) + " qubits");
                    c = self.core(site);
                    l = py::ssize_t(self.bond(site));
                    r = py::ssize_t(self.bond(site + 1));
                }
                return hand_over(std::move(c), {l, 2, r});
            },
            py::arg("site"))
        .def(
            "record_svd_shapes",
            [](M& self, bool on) {
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                self.record_svd_shapes(on);
            },
            py::arg("on"))
        .def("svd_shapes",
             [](const M& self) {
                 std::vector<std::int64_t> flat;
                 {
                     py::gil_scoped_release nogil;
                     auto lock = reading(self);
                     for (const auto& p : self.svd_shapes()) {
                         flat.push_back(p[0]);
                         flat.push_back(p[1]);
                     }
                 }
                 const py::ssize_t rows = py::ssize_t(flat.size() / 2);
                 return hand_over(std::move(flat), {rows, 2});
             })
        .def("split_stats",
             [](const M& self) {
                 typename M::SplitStats st;
                 {
                     py::gil_scoped_release nogil;
                     auto lock = reading(self);
                     st = self.split_stats();
                 }
                 py::dict d;
                 d["svd"] = st.count[0];
                 d["eig"] = st.count[1];
                 d["rand"] = st.count[2];
                 d["qr"] = st.count[3];
                 d["fallbacks"] = st.fallbacks;
                 d["madds"] = st.madds;
                 return d;
             })
        .def("clear_svd_shapes",
             [](M& self) {
                 py::gil_scoped_release nogil;
                 auto lock = writing(self);
                 self.clear_svd_shapes();
             })
        .def(
            "local_density",
            [](const M& self, std::size_t qubit) {
                std::array<cd, 4> rho;
                {
                    py::gil_scoped_release nogil;
                    auto lock = reading(self);
                    rho = self.local_density(qubit);
                }
                return hand_over(std::vector<cd>(rho.begin(), rho.end()), {2, 2});
            },
            py::arg("qubit"))
        .def(
            "apply_local_normalized",
            [](M& self, std::size_t qubit, const carray<cd>& matrix) {
                if (matrix.ndim() != 2 || matrix.shape(0) != 2 || matrix.shape(1) != 2)
                    throw ShapeError("a one-qubit operator needs a (2, 2) matrix");
                const cd* m = matrix.data();
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                return self.apply_local_normalized(qubit, m);
            },
            py::arg("qubit"), py::arg("matrix").noconvert())
        .def(
            "apply_gate",
            [](M& self, const std::vector<std::uint32_t>& qubits,
               const carray<cd>& matrix, const TruncationSpec& spec, Routing routing) {
                const GateRef g = gate_ref(qubits, matrix);
                py::gil_scoped_release nogil;
                auto lock = writing(self);
                self.apply_gate(g, spec, SIZE_MAX, routing);
            },
            py::arg("qubits"), py::arg("matrix").noconvert(), py::arg("spec"),
            py::arg("routing") = Routing::automatic)
        .def(
            "run",
            [](M& self, const carray<std::int64_t>& qubits,
               const carray<std::int64_t>& arity, const carray<std::int64_t>& offsets,
               const carray<cd>& matrices, std::size_t start, std::size_t stop,
               const TruncationSpec& spec, Routing routing) {
                // num_sites is fixed at construction: read without the lock.
                const std::vector<GateRef> gates = gate_refs(
                    qubits, arity, offsets, matrices, start, stop, self.num_sites());
                const std::function<void()> poll = signal_poll();
                py::gil_scoped_release nogil;
                // Safe to poll (take the GIL) while holding this state's lock: no
                // thread waits for a state's lock while holding the GIL.
                auto lock = writing(self);
                self.run(gates.data(), gates.size(), spec, routing, poll);
            },
            py::arg("qubits").noconvert(), py::arg("arity").noconvert(),
            py::arg("offsets").noconvert(), py::arg("matrices").noconvert(),
            py::arg("start"), py::arg("stop"), py::arg("spec"),
            py::arg("routing") = Routing::automatic)
        .def("norm_squared", read(&M::norm_squared))
        .def(
            "amplitude",
            [](const M& self, const carray<std::uint8_t>& bits) {
                if (bits.ndim() != 1)
                    throw ShapeError("bitstring must be one-dimensional");
                const std::uint8_t* data = bits.data();
                const std::size_t len = std::size_t(bits.shape(0));
                py::gil_scoped_release nogil;
                auto lock = reading(self);
                if (len != self.num_sites())
                    throw ShapeError("bitstring needs " +
                                     std::to_string(self.num_sites()) + " bits");
                return cd(self.amplitude(data));
            },
            py::arg("bits").noconvert())
        .def("to_dense",
             [](const M& self) {
                 std::vector<T> v;
                 {
                     py::gil_scoped_release nogil;
                     auto lock = reading(self);
                     v = self.to_dense();
                 }
                 const py::ssize_t len = py::ssize_t(v.size());
                 return hand_over(std::move(v), {len});
             })
        .def(
            "sample",
            [](const M& self, std::size_t shots, std::uint64_t seed) {
                std::vector<std::uint8_t> out;
                std::size_t n = 0;
                {
                    py::gil_scoped_release nogil;
                    auto lock = reading(self);
                    n = self.num_sites();
                    out = self.sample(shots, seed);
                }
                return hand_over(std::move(out), {py::ssize_t(shots), py::ssize_t(n)});
            },
            py::arg("shots"), py::arg("seed"))
        .def(
            "expectation_product",
            [](const M& self, const std::vector<std::size_t>& sites,
               const carray<cd>& ops) {
                if (ops.ndim() != 3 || std::size_t(ops.shape(0)) != sites.size() ||
                    ops.shape(1) != 2 || ops.shape(2) != 2)
                    throw ShapeError("operators need shape (k, 2, 2)");
                std::vector<std::array<T, 4>> mats(sites.size());
                const cd* p = ops.data();
                for (std::size_t k = 0; k < sites.size(); ++k)
                    for (std::size_t j = 0; j < 4; ++j)
                        mats[k][j] = T(p[k * 4 + j]);
                py::gil_scoped_release nogil;
                auto lock = reading(self);
                return self.expectation_product(sites, mats);
            },
            py::arg("sites"), py::arg("ops").noconvert())
        .def(
            "schmidt_values",
            [](const M& self, std::size_t bond) {
                std::vector<R> s;
                {
                    py::gil_scoped_release nogil;
                    auto lock = reading(self);
                    s = self.schmidt_values(bond);
                }
                const py::ssize_t len = py::ssize_t(s.size());
                return hand_over(std::move(s), {len});
            },
            py::arg("bond"));
}

} // namespace
} // namespace tensorbond::bindings

void register_mps(py::module_& m) {
    using tensorbond::Routing;
    // Registered before the classes so that their signatures name it.
    py::enum_<Routing>(m, "Routing", "How gates on non-adjacent qubits are applied.")
        .value("auto", Routing::automatic)
        .value("swap", Routing::swap)
        .value("mpo", Routing::mpo)
        .value("lazy", Routing::lazy);
#define TENSORBOND_REGISTER(T)                                                         \
    tensorbond::bindings::register_one<T>(                                             \
        m, (std::string("Mps_") + tensorbond::scalar_traits<T>::name).c_str());
    TENSORBOND_FOR_EACH_COMPLEX(TENSORBOND_REGISTER)
#undef TENSORBOND_REGISTER
}
