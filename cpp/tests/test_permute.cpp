// permute against a naive index loop: small, blocked-transpose and merged cases.
#include <complex>
#include <numeric>
#include <vector>

#include "check.hpp"
#include "tensorbond/errors.hpp"
#include "tensorbond/permute.hpp"

namespace tb = tensorbond;

namespace {

/// out[i] = in[j] with j[perm[k]] = i_k (numpy.transpose), one element at a time.
template <class T>
std::vector<T> naive(const std::vector<T>& in, const std::vector<std::size_t>& shape,
                     const std::vector<std::size_t>& perm) {
    const std::size_t n = shape.size();
    std::vector<std::size_t> stride(n, 1), idx(n, 0);
    for (std::size_t k = n; k-- > 1;)
        stride[k - 1] = stride[k] * shape[k];
    std::vector<T> out(in.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::size_t src = 0;
        for (std::size_t k = 0; k < n; ++k)
            src += idx[k] * stride[perm[k]];
        out[i] = in[src];
        for (std::size_t k = n; k-- > 0;) { // odometer over the output shape
            if (++idx[k] < shape[perm[k]])
                break;
            idx[k] = 0;
        }
    }
    return out;
}

template <class T>
void check(const std::vector<std::size_t>& shape,
           const std::vector<std::size_t>& perm) {
    std::size_t size = 1;
    for (auto d : shape)
        size *= d;
    std::vector<T> in(size);
    for (std::size_t i = 0; i < size; ++i)
        in[i] = T(float(i));
    std::vector<T> out(size);
    tb::permute<T>(in.data(), shape, perm, out.data());
    TB_CHECK(out == naive(in, shape, perm));
}

template <class T> void check_all() {
    check<T>({2, 3, 4}, {2, 0, 1});
    check<T>({64, 48}, {1, 0}); // blocked 2-D transpose
    check<T>({5, 6, 7, 8}, {3, 1, 0, 2});
    check<T>({3, 1, 4, 5}, {0, 1, 2, 3}); // identity: one copy
    check<T>({2, 3, 2, 3, 2}, {4, 3, 2, 1, 0});
    check<T>({4, 0, 3}, {2, 1, 0}); // empty
}

} // namespace

TB_TEST(permute_float) { check_all<float>(); }
TB_TEST(permute_double) { check_all<double>(); }
TB_TEST(permute_complex64) { check_all<std::complex<float>>(); }
TB_TEST(permute_complex128) { check_all<std::complex<double>>(); }

TB_TEST(permute_rejects_bad_perm) {
    std::vector<double> in(6), out(6);
    const std::vector<std::size_t> shape = {2, 3};
    TB_CHECK_THROWS(tb::permute<double>(in.data(), shape,
                                        std::vector<std::size_t>{0, 0}, out.data()),
                    tb::ShapeError);
    TB_CHECK_THROWS(
        tb::permute<double>(in.data(), shape, std::vector<std::size_t>{0}, out.data()),
        tb::ShapeError);
}

int main() { return tb_run_all(); }
