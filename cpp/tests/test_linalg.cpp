// The truncated SVD reconstructs a random matrix; truncation reports the tail.
#include <cmath>
#include <complex>
#include <random>
#include <vector>

#include "check.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/linalg.hpp"

namespace tb = tensorbond;

namespace {

template <class T>
std::vector<T> random_matrix(std::size_t m, std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> normal;
    std::vector<T> a(m * n);
    for (auto& x : a) {
        if constexpr (tb::scalar_traits<T>::is_complex) {
            x = T(tb::real_t<T>(normal(gen)), tb::real_t<T>(normal(gen)));
        } else {
            x = T(normal(gen));
        }
    }
    return a;
}

template <class T> void check_svd(double tol) {
    const std::size_t m = 7, n = 5;
    const auto a = random_matrix<T>(m, n, 3);
    auto work = a;
    const auto r = tb::svd(work.data(), m, n, tb::TruncationSpec{});
    const std::size_t k = r.s.size();
    TB_CHECK(k == n);
    for (std::size_t i = 1; i < k; ++i)
        TB_CHECK(r.s[i - 1] >= r.s[i]);
    double err = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < n; ++j) {
            T x{};
            for (std::size_t p = 0; p < k; ++p)
                x += r.u[i * k + p] * r.s[p] * r.vh[p * n + j];
            err += double(tb::abs2(x - a[i * n + j]));
            norm += double(tb::abs2(a[i * n + j]));
        }
    }
    TB_CHECK(std::sqrt(err / norm) < tol);
    TB_CHECK_NEAR(r.info.discarded_weight, 0.0, 0.0);

    tb::TruncationSpec two;
    two.max_bond = 2;
    work = a;
    const auto t = tb::svd(work.data(), m, n, two);
    TB_CHECK(t.s.size() == 2);
    double tail = 0.0;
    for (std::size_t p = 2; p < k; ++p)
        tail += double(r.s[p]) * double(r.s[p]);
    TB_CHECK_NEAR(t.info.discarded_weight, tail, tol * norm);
}

} // namespace

TB_TEST(svd_float) { check_svd<float>(1e-5); }
TB_TEST(svd_double) { check_svd<double>(1e-12); }
TB_TEST(svd_complex64) { check_svd<std::complex<float>>(1e-5); }
TB_TEST(svd_complex128) { check_svd<std::complex<double>>(1e-12); }

TB_TEST(svd_rejects_nan) {
    std::vector<double> a = {1.0, std::nan(""), 0.0, 1.0};
    TB_CHECK_THROWS(tb::svd(a.data(), 2, 2, tb::TruncationSpec{}), tb::ShapeError);
}

int main() { return tb_run_all(); }
