// TT-SVD without truncation reproduces the matrix; to_dense undoes from_dense.
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "check.hpp"
#include "tensorbond/tt.hpp"

namespace tb = tensorbond;

namespace {

template <class T> void check_round_trip(double tol) {
    const std::vector<std::size_t> out_modes = {2, 4}, in_modes = {3, 4};
    const std::size_t m = 8, n = 12;
    std::mt19937 gen(5);
    std::uniform_real_distribution<double> uni(-1.0, 1.0);
    std::vector<T> w(m * n);
    for (auto& x : w) {
        if constexpr (tb::scalar_traits<T>::is_complex) {
            x = T(tb::real_t<T>(uni(gen)), tb::real_t<T>(uni(gen)));
        } else {
            x = T(uni(gen));
        }
    }
    const auto tt = tb::TtMatrix<T>::from_dense(w.data(), out_modes, in_modes,
                                                tb::TruncationSpec{});
    TB_CHECK(tt.num_cores() == 2);
    TB_CHECK(tt.ranks().front() == 1 && tt.ranks().back() == 1);
    const auto back = tt.to_dense();
    TB_CHECK(back.size() == w.size());
    double err = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < w.size() && i < back.size(); ++i) {
        err += double(tb::abs2(back[i] - w[i]));
        norm += double(tb::abs2(w[i]));
    }
    TB_CHECK(std::sqrt(err / norm) < tol);
    TB_CHECK_NEAR(tt.norm_squared(), norm, tol * norm);
}

} // namespace

TB_TEST(tt_round_trip_float) { check_round_trip<float>(1e-5); }
TB_TEST(tt_round_trip_double) { check_round_trip<double>(1e-12); }
TB_TEST(tt_round_trip_complex128) { check_round_trip<std::complex<double>>(1e-12); }

int main() { return tb_run_all(); }
