// Row-major wrappers over column-major LAPACK: a row-major (m, n) buffer is the
// column-major (n, m) transpose, so the factorizations below call LAPACK on the
// transpose and read the factors out in swapped roles (no copies).
#include "tensorbond/linalg.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>

#include "lapack.hpp"
#include "tensorbond/errors.hpp"

namespace tensorbond {
namespace {

int to_int(std::size_t v, const char* what) {
    if (v > std::size_t(INT_MAX)) {
        throw ShapeError(std::string(what) + " = " + std::to_string(v) +
                         " exceeds the 32-bit LAPACK limit");
    }
    return int(v);
}

CBLAS_TRANSPOSE cblas_op(Op op, bool is_complex) {
    switch (op) {
    case Op::none:
        return CblasNoTrans;
    case Op::trans:
        return CblasTrans;
    case Op::conj_trans:
        return is_complex ? CblasConjTrans : CblasTrans;
    }
    return CblasNoTrans;
}

template <Scalar T> int work_size(T w) { return std::max(1, int(std::real(w))); }

/// Optimal gesdd workspace, cached per shape: the query costs as much as a
/// small SVD, and simulations repeat a few shapes many times.
template <Scalar T> int gesdd_lwork(char jobz, int mm, int nn) {
    thread_local std::unordered_map<std::uint64_t, int> cache;
    const std::uint64_t key = (std::uint64_t(mm) << 33) ^ (std::uint64_t(nn) << 1) ^
                              std::uint64_t(jobz == 'N');
    if (auto it = cache.find(key); it != cache.end())
        return it->second;
    T wq{};
    int info = 0;
    int iw = 0;
    real_t<T> rw{};
    detail::lapack_gesdd(jobz, mm, nn, static_cast<T*>(nullptr), std::max(1, mm),
                         static_cast<real_t<T>*>(nullptr), static_cast<T*>(nullptr),
                         std::max(1, mm), static_cast<T*>(nullptr),
                         std::max(1, std::min(mm, nn)), &wq, -1, &rw, &iw, &info);
    const int lw = work_size(wq);
    cache.emplace(key, lw);
    return lw;
}

template <Scalar T> std::size_t gesdd_rwork(char jobz, std::size_t mm, std::size_t nn) {
    if constexpr (!scalar_traits<T>::is_complex)
        return 1;
    const std::size_t mn = std::min(mm, nn), mx = std::max(mm, nn);
    if (jobz == 'N')
        return 7 * mn + 1;
    return std::max<std::size_t>(1, mn * std::max(5 * mn + 7, 2 * mx + 2 * mn + 1));
}

/// One-sided (Hestenes) Jacobi SVD for small matrices, where LAPACK's per-call
/// overhead (ilaenv, workspace queries) costs more than the arithmetic. Fills u
/// (m, k), s (k, descending) and vh (k, n), row-major; false if it did not
/// converge (the caller falls back to LAPACK).
template <Scalar T>
bool jacobi_svd(const T* a, std::size_t m, std::size_t n, std::vector<T>& u,
                std::vector<real_t<T>>& s, std::vector<T>& vh) {
    using R = real_t<T>;
    const bool wide = n > m; // work on a^H so that columns are the short side
    const std::size_t rows = wide ? n : m, cols = wide ? m : n;
    std::vector<T> w(rows * cols), v(cols * cols, T(0)); // column-major
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            w[j * rows + i] = wide ? conj_of(a[j * n + i]) : a[i * n + j];
    for (std::size_t j = 0; j < cols; ++j)
        v[j * cols + j] = T(1);
    const R eps = std::numeric_limits<R>::epsilon();
    bool converged = false;
    for (int sweep = 0; sweep < 40 && !converged; ++sweep) {
        converged = true;
        for (std::size_t p = 0; p + 1 < cols; ++p) {
            for (std::size_t q = p + 1; q < cols; ++q) {
                T* wp = w.data() + p * rows;
                T* wq = w.data() + q * rows;
                R alpha = 0, beta = 0;
                T gamma(0);
                for (std::size_t i = 0; i < rows; ++i) {
                    alpha += abs2(wp[i]);
                    beta += abs2(wq[i]);
                    gamma += conj_of(wp[i]) * wq[i];
                }
                const R g = std::abs(gamma);
                if (g == R(0) || g <= eps * std::sqrt(alpha * beta))
                    continue;
                converged = false;
                const T phase = gamma / g; // make the pair's overlap real
                const R zeta = (beta - alpha) / (2 * g);
                const R t = (zeta >= 0 ? R(1) : R(-1)) /
                            (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
                const R c = 1 / std::sqrt(1 + t * t), sn = c * t;
                const T cq = conj_of(phase);
                for (std::size_t i = 0; i < rows; ++i) {
                    const T x = wp[i], y = wq[i] * cq;
                    wp[i] = c * x - sn * y;
                    wq[i] = sn * x + c * y;
                }
                T* vp = v.data() + p * cols;
                T* vq = v.data() + q * cols;
                for (std::size_t i = 0; i < cols; ++i) {
                    const T x = vp[i], y = vq[i] * cq;
                    vp[i] = c * x - sn * y;
                    vq[i] = sn * x + c * y;
                }
            }
        }
    }
    if (!converged)
        return false;
    std::vector<R> norms(cols);
    for (std::size_t j = 0; j < cols; ++j) {
        R acc = 0;
        for (std::size_t i = 0; i < rows; ++i)
            acc += abs2(w[j * rows + i]);
        norms[j] = std::sqrt(acc);
    }
    std::vector<std::size_t> order(cols);
    for (std::size_t j = 0; j < cols; ++j)
        order[j] = j;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return norms[x] > norms[y]; });
    // Left vectors: normalized columns, re-orthogonalized (twice) in descending
    // order; directions of (numerically) zero values completed from unit vectors.
    const R tiny = norms[order[0]] * eps * R(rows);
    std::vector<T> uw(rows * cols);
    s.assign(cols, R(0));
    for (std::size_t jj = 0; jj < cols; ++jj) {
        const std::size_t j = order[jj];
        T* col = uw.data() + jj * rows;
        const bool zero = norms[j] <= tiny || norms[j] == R(0);
        s[jj] = norms[j];
        std::size_t unit = 0;
        for (;;) {
            if (!zero)
                std::copy(w.begin() + long(j * rows), w.begin() + long((j + 1) * rows),
                          col);
            else {
                std::fill(col, col + rows, T(0));
                col[unit] = T(1);
            }
            for (int pass = 0; pass < 2; ++pass)
                for (std::size_t ii = 0; ii < jj; ++ii) {
                    const T* prev = uw.data() + ii * rows;
                    T dot(0);
                    for (std::size_t i = 0; i < rows; ++i)
                        dot += conj_of(prev[i]) * col[i];
                    for (std::size_t i = 0; i < rows; ++i)
                        col[i] -= dot * prev[i];
                }
            R nrm = 0;
            for (std::size_t i = 0; i < rows; ++i)
                nrm += abs2(col[i]);
            nrm = std::sqrt(nrm);
            if (!zero || nrm > R(0.5) || unit + 1 >= rows) {
                for (std::size_t i = 0; i < rows; ++i)
                    col[i] /= nrm;
                break;
            }
            ++unit;
        }
    }
    const std::size_t k = cols;
    u.assign(m * k, T(0));
    vh.assign(k * n, T(0));
    for (std::size_t jj = 0; jj < k; ++jj) {
        const std::size_t j = order[jj];
        if (!wide) {
            for (std::size_t i = 0; i < m; ++i)
                u[i * k + jj] = uw[jj * rows + i];
            for (std::size_t c = 0; c < n; ++c)
                vh[jj * n + c] = conj_of(v[j * cols + c]);
        } else {
            for (std::size_t i = 0; i < m; ++i)
                u[i * k + jj] = v[j * cols + i];
            for (std::size_t c = 0; c < n; ++c)
                vh[jj * n + c] = conj_of(uw[jj * rows + c]);
        }
    }
    return true;
}

} // namespace

namespace {
// The user's thread count, held here while SerialBlas guards have OpenBLAS at one.
std::mutex blas_mutex;
int serial_guards = 0;
int user_threads = 1;
} // namespace

void set_blas_threads(int n) {
    if (n < 1)
        throw ShapeError("number of threads must be >= 1, got " + std::to_string(n));
    std::lock_guard<std::mutex> hold(blas_mutex);
    if (serial_guards > 0)
        user_threads = n; // takes effect when the last guard ends
    else
        scipy_openblas_set_num_threads(n);
}
int get_blas_threads() {
    std::lock_guard<std::mutex> hold(blas_mutex);
    return serial_guards > 0 ? user_threads : scipy_openblas_get_num_threads();
}

SerialBlas::SerialBlas() {
    std::lock_guard<std::mutex> hold(blas_mutex);
    if (serial_guards++ == 0) {
        user_threads = scipy_openblas_get_num_threads();
        scipy_openblas_set_num_threads(1);
    }
}
SerialBlas::~SerialBlas() {
    std::lock_guard<std::mutex> hold(blas_mutex);
    if (--serial_guards == 0)
        scipy_openblas_set_num_threads(user_threads);
}

template <Scalar T>
void require_finite(const T* a, std::size_t size, const char* what) {
    for (std::size_t i = 0; i < size; ++i) {
        if (!is_finite(a[i])) {
            throw ShapeError(std::string(what) +
                             " contains NaN or infinite values (first at "
                             "flat index " +
                             std::to_string(i) + ")");
        }
    }
}

template <Scalar T>
void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
          const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
          std::size_t ldc) {
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j)
                c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
        return;
    }
    constexpr bool cplx = scalar_traits<T>::is_complex;
    detail::blas_gemm(cblas_op(op_a, cplx), cblas_op(op_b, cplx), to_int(m, "gemm m"),
                      to_int(n, "gemm n"), to_int(k, "gemm k"), alpha, a,
                      std::max(1, to_int(lda, "lda")), b,
                      std::max(1, to_int(ldb, "ldb")), beta, c,
                      std::max(1, to_int(ldc, "ldc")));
}

template <Scalar T>
SvdResult<T> svd(T* a, std::size_t m, std::size_t n, const TruncationSpec& spec) {
    using R = real_t<T>;
    SvdResult<T> out;
    const std::size_t k = std::min(m, n);
    if (k == 0) {
        out.u.assign(m * 0, T(0));
        return out;
    }
    if (m * n > std::size_t(INT_MAX))
        throw ShapeError(
            "SVD of a " + std::to_string(m) + "x" + std::to_string(n) +
            " matrix exceeds the 32-bit LAPACK size limit; lower max_bond");
    require_finite(a, m * n, "matrix to decompose");
    std::vector<R> s;
    std::vector<T> lu, lvt; // vh (k, n) and u (m, k), row-major
    if (!(k <= 8 && m * n <= 512 && jacobi_svd(a, m, n, lvt, s, lu))) {
        // LAPACK sees the column-major (n, m) matrix a^T = conj(V) S U^T: its "U" is
        // our vh (k, n) and its "VT" is our u (m, k), both row-major.
        const int mm = to_int(n, "svd columns"), nn = to_int(m, "svd rows"),
                  kk = int(k);
        std::vector<T> backup(a, a + m * n);
        s.assign(k, R(0));
        lu.assign(n * k, T(0));
        lvt.assign(k * m, T(0));
        std::vector<int> iwork(8 * k);
        std::vector<R> rwork(gesdd_rwork<T>('S', n, m));
        int lwork = gesdd_lwork<T>('S', mm, nn);
        std::vector<T> work(static_cast<std::size_t>(lwork));
        int info = 0;
        detail::lapack_gesdd('S', mm, nn, a, mm, s.data(), lu.data(), mm, lvt.data(),
                             kk, work.data(), lwork, rwork.data(), iwork.data(), &info);
        if (info != 0) {
            // gesdd's divide and conquer can fail to converge where QR iteration does
            // not.
            std::copy(backup.begin(), backup.end(), a);
            T wq{};
            detail::lapack_gesvd('S', 'S', mm, nn, a, mm, s.data(), lu.data(), mm,
                                 lvt.data(), kk, &wq, -1, rwork.data(), &info);
            lwork = work_size(wq);
            work.resize(std::size_t(lwork));
            rwork.resize(std::max<std::size_t>(rwork.size(), 5 * k + 1));
            detail::lapack_gesvd('S', 'S', mm, nn, a, mm, s.data(), lu.data(), mm,
                                 lvt.data(), kk, work.data(), lwork, rwork.data(),
                                 &info);
            if (info != 0) {
                throw LinAlgError(
                    "SVD of a " + std::to_string(m) + "x" + std::to_string(n) +
                    " matrix did not converge (gesdd and gesvd failed, info=" +
                    std::to_string(info) + ")");
            }
        }
    }
    out.info = truncation_rank(s.data(), k, spec);
    const std::size_t kept = out.info.kept;
    s.resize(kept);
    if (spec.renormalize) {
        const double kept_w = out.info.total_weight - out.info.discarded_weight;
        if (kept_w > 0.0) {
            const R f = R(std::sqrt(out.info.total_weight / kept_w));
            for (auto& v : s)
                v *= f;
        }
    }
    out.s = std::move(s);
    lu.resize(kept * n); // first `kept` rows of vh
    if (kept < k) {
        for (std::size_t i = 1; i < m; ++i)
            std::memmove(lvt.data() + i * kept, lvt.data() + i * k, kept * sizeof(T));
    }
    lvt.resize(m * kept);
    if (kept < k) {
        // The factors become MPS cores: give back the truncated tail's memory, or
        // a state at max_bond holds twice its bytes (measured: brick at chi 128).
        lu.shrink_to_fit();
        lvt.shrink_to_fit();
    }
    out.vh = std::move(lu);
    out.u = std::move(lvt);
    return out;
}

template <Scalar T>
std::vector<real_t<T>> singular_values(T* a, std::size_t m, std::size_t n) {
    using R = real_t<T>;
    const std::size_t k = std::min(m, n);
    std::vector<R> s(k);
    if (k == 0)
        return s;
    require_finite(a, m * n, "matrix to decompose");
    const int mm = to_int(n, "svd columns"), nn = to_int(m, "svd rows");
    std::vector<T> backup(a, a + m * n);
    std::vector<int> iwork(8 * k);
    std::vector<R> rwork(gesdd_rwork<T>('N', n, m));
    int lwork = gesdd_lwork<T>('N', mm, nn);
    std::vector<T> work(static_cast<std::size_t>(lwork));
    T dummy{};
    int info = 0;
    detail::lapack_gesdd('N', mm, nn, a, mm, s.data(), &dummy, 1, &dummy, 1,
                         work.data(), lwork, rwork.data(), iwork.data(), &info);
    if (info != 0) {
        std::copy(backup.begin(), backup.end(), a);
        T wq{};
        rwork.resize(std::max<std::size_t>(rwork.size(), 5 * k + 1));
        detail::lapack_gesvd('N', 'N', mm, nn, a, mm, s.data(), &dummy, 1, &dummy, 1,
                             &wq, -1, rwork.data(), &info);
        lwork = work_size(wq);
        work.resize(std::size_t(lwork));
        detail::lapack_gesvd('N', 'N', mm, nn, a, mm, s.data(), &dummy, 1, &dummy, 1,
                             work.data(), lwork, rwork.data(), &info);
        if (info != 0) {
            throw LinAlgError(
                "singular values of a " + std::to_string(m) + "x" + std::to_string(n) +
                " matrix did not converge (info=" + std::to_string(info) + ")");
        }
    }
    return s;
}

template <Scalar T>
void qr(std::vector<T>& a, std::size_t m, std::size_t n, std::vector<T>& r) {
    const std::size_t k = std::min(m, n);
    if (k == 0) {
        a.assign(m * k, T(0));
        r.assign(k * n, T(0));
        return;
    }
    // Row-major a = q r  <=>  column-major a^T = r^T q^T, an LQ factorization.
    const int mm = to_int(n, "qr columns"), nn = to_int(m, "qr rows"), kk = int(k);
    std::vector<T> tau(k);
    T wq{};
    int info = 0;
    detail::lapack_gelqf(mm, nn, a.data(), mm, tau.data(), &wq, -1, &info);
    int lw = work_size(wq);
    std::vector<T> work(static_cast<std::size_t>(lw));
    detail::lapack_gelqf(mm, nn, a.data(), mm, tau.data(), work.data(), lw, &info);
    if (info != 0)
        throw LinAlgError("gelqf failed, info=" + std::to_string(info));
    r.assign(k * n, T(0));
    for (std::size_t i = 0; i < k; ++i)
        std::copy(a.data() + i * n + i, a.data() + i * n + n, r.data() + i * n + i);
    detail::lapack_unglq(kk, nn, kk, a.data(), mm, tau.data(), &wq, -1, &info);
    lw = work_size(wq);
    work.resize(std::size_t(lw));
    detail::lapack_unglq(kk, nn, kk, a.data(), mm, tau.data(), work.data(), lw, &info);
    if (info != 0)
        throw LinAlgError("unglq failed, info=" + std::to_string(info));
    if (k < n) {
        for (std::size_t i = 1; i < m; ++i)
            std::memmove(a.data() + i * k, a.data() + i * n, k * sizeof(T));
    }
    a.resize(m * k);
    if (k < n)
        a.shrink_to_fit(); // q becomes an MPS core: exact size
}

template <Scalar T>
void lq(std::vector<T>& a, std::size_t m, std::size_t n, std::vector<T>& l) {
    const std::size_t k = std::min(m, n);
    if (k == 0) {
        a.assign(k * n, T(0));
        l.assign(m * k, T(0));
        return;
    }
    // Row-major a = l q  <=>  column-major a^T = q^T l^T, a QR factorization.
    const int mm = to_int(n, "lq columns"), nn = to_int(m, "lq rows"), kk = int(k);
    std::vector<T> tau(k);
    T wq{};
    int info = 0;
    detail::lapack_geqrf(mm, nn, a.data(), mm, tau.data(), &wq, -1, &info);
    int lw = work_size(wq);
    std::vector<T> work(static_cast<std::size_t>(lw));
    detail::lapack_geqrf(mm, nn, a.data(), mm, tau.data(), work.data(), lw, &info);
    if (info != 0)
        throw LinAlgError("geqrf failed, info=" + std::to_string(info));
    l.assign(m * k, T(0));
    for (std::size_t j = 0; j < m; ++j) {
        const std::size_t top = std::min(j + 1, k);
        std::copy(a.data() + j * n, a.data() + j * n + top, l.data() + j * k);
    }
    detail::lapack_ungqr(mm, kk, kk, a.data(), mm, tau.data(), &wq, -1, &info);
    lw = work_size(wq);
    work.resize(std::size_t(lw));
    detail::lapack_ungqr(mm, kk, kk, a.data(), mm, tau.data(), work.data(), lw, &info);
    if (info != 0)
        throw LinAlgError("ungqr failed, info=" + std::to_string(info));
    a.resize(k * n);
    if (k < m)
        a.shrink_to_fit(); // q becomes an MPS core: exact size
}

#define TENSORBOND_LINALG_INSTANTIATE(T)                                               \
    template void gemm<T>(Op, Op, std::size_t, std::size_t, std::size_t, T, const T*,  \
                          std::size_t, const T*, std::size_t, T, T*, std::size_t);     \
    template SvdResult<T> svd<T>(T*, std::size_t, std::size_t, const TruncationSpec&); \
    template std::vector<real_t<T>> singular_values<T>(T*, std::size_t, std::size_t);  \
    template void qr<T>(std::vector<T>&, std::size_t, std::size_t, std::vector<T>&);   \
    template void lq<T>(std::vector<T>&, std::size_t, std::size_t, std::vector<T>&);   \
    template void require_finite<T>(const T*, std::size_t, const char*);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_LINALG_INSTANTIATE)

} // namespace tensorbond
