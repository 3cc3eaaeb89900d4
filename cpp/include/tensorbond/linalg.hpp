#pragma once
// Dense linear algebra on row-major matrices: GEMM, truncated SVD, QR and LQ.
#include <cstddef>
#include <vector>

#include "tensorbond/scalar.hpp"
#include "tensorbond/truncation.hpp"

namespace tensorbond {

enum class Op { none, trans, conj_trans };

/// BLAS/LAPACK threads of the bundled OpenBLAS (process-wide, as OpenBLAS is).
void set_blas_threads(int n);
/// The thread count set (also while a SerialBlas guard holds OpenBLAS at one).
int get_blas_threads();
/// While any guard lives, OpenBLAS runs single-threaded: the engine's own threads
/// then factorize independent gates at once, each with a serial BLAS. The last
/// guard to end restores the count set.
class SerialBlas {
  public:
    SerialBlas();
    ~SerialBlas();
    SerialBlas(const SerialBlas&) = delete;
    SerialBlas& operator=(const SerialBlas&) = delete;
};

/// c[m,n] = alpha * op(a)[m,k] op(b)[k,n] + beta * c[m,n], row-major with leading
/// dimensions lda, ldb, ldc.
template <Scalar T>
void gemm(Op op_a, Op op_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
          const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
          std::size_t ldc);

template <Scalar T> struct SvdResult {
    std::vector<T> u;         // (m, kept) row-major
    std::vector<real_t<T>> s; // (kept,) descending
    std::vector<T> vh;        // (kept, n) row-major
    TruncationInfo info;
};

/// a[m,n] = u[m,k] diag(s[k]) vh[k,n], truncated by `spec`. `a` (row-major) is
/// overwritten. Throws ShapeError on non-finite input and LinAlgError when both
/// gesdd and gesvd fail. Empty matrices give k = 0; all-zero ones keep one value.
template <Scalar T>
SvdResult<T> svd(T* a, std::size_t m, std::size_t n, const TruncationSpec& spec);

/// Singular values only (descending); `a` is overwritten.
template <Scalar T>
std::vector<real_t<T>> singular_values(T* a, std::size_t m, std::size_t n);

/// a[m,n] = q[m,k] r[k,n] with k = min(m, n), q with orthonormal columns.
/// On return `a` is resized to hold q; r is written to `r`.
template <Scalar T>
void qr(std::vector<T>& a, std::size_t m, std::size_t n, std::vector<T>& r);

/// a[m,n] = l[m,k] q[k,n] with k = min(m, n), q with orthonormal rows.
/// On return `a` is resized to hold q; l is written to `l`.
template <Scalar T>
void lq(std::vector<T>& a, std::size_t m, std::size_t n, std::vector<T>& l);

/// Throws ShapeError naming `what` if any entry is NaN or infinite.
template <Scalar T> void require_finite(const T* a, std::size_t size, const char* what);

#define TENSORBOND_LINALG_EXTERN(T)                                                    \
    extern template void gemm<T>(Op, Op, std::size_t, std::size_t, std::size_t, T,     \
                                 const T*, std::size_t, const T*, std::size_t, T, T*,  \
                                 std::size_t);                                         \
    extern template SvdResult<T> svd<T>(T*, std::size_t, std::size_t,                  \
                                        const TruncationSpec&);                        \
    extern template std::vector<real_t<T>> singular_values<T>(T*, std::size_t,         \
                                                              std::size_t);            \
    extern template void qr<T>(std::vector<T>&, std::size_t, std::size_t,              \
                               std::vector<T>&);                                       \
    extern template void lq<T>(std::vector<T>&, std::size_t, std::size_t,              \
                               std::vector<T>&);                                       \
    extern template void require_finite<T>(const T*, std::size_t, const char*);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_LINALG_EXTERN)
#undef TENSORBOND_LINALG_EXTERN

} // namespace tensorbond
