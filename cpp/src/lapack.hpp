#pragma once
// The only place that touches BLAS/LAPACK symbols: scipy-openblas32 (LP64,
// every symbol prefixed `scipy_`). Overloads per scalar type, 32-bit integers.
#include <complex>

#define LAPACK_GLOBAL(lc, UC) scipy_##lc##_
#define lapack_complex_float std::complex<float>
#define lapack_complex_double std::complex<double>
#include <cblas.h>
#include <lapack.h>

namespace tensorbond::detail {

using lapack_int_t = lapack_int;
using cf = std::complex<float>;
using cd = std::complex<double>;

// ---- gemm (row-major) ----
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                      float alpha, const float* a, int lda, const float* b, int ldb,
                      float beta, float* c, int ldc) {
    scipy_cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
                      ldc);
}
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                      double alpha, const double* a, int lda, const double* b, int ldb,
                      double beta, double* c, int ldc) {
    scipy_cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
                      ldc);
}
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                      cf alpha, const cf* a, int lda, const cf* b, int ldb, cf beta,
                      cf* c, int ldc) {
    scipy_cblas_cgemm(CblasRowMajor, ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c,
                      ldc);
}
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k,
                      cd alpha, const cd* a, int lda, const cd* b, int ldb, cd beta,
                      cd* c, int ldc) {
    scipy_cblas_zgemm(CblasRowMajor, ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c,
                      ldc);
}

// ---- gesdd (column-major); rwork is ignored for real types ----
inline void lapack_gesdd(char jobz, int m, int n, float* a, int lda, float* s, float* u,
                         int ldu, float* vt, int ldvt, float* work, int lwork, float*,
                         int* iwork, int* info) {
    scipy_LAPACK_sgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork,
                        iwork, info);
}
inline void lapack_gesdd(char jobz, int m, int n, double* a, int lda, double* s,
                         double* u, int ldu, double* vt, int ldvt, double* work,
                         int lwork, double*, int* iwork, int* info) {
    scipy_LAPACK_dgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork,
                        iwork, info);
}
inline void lapack_gesdd(char jobz, int m, int n, cf* a, int lda, float* s, cf* u,
                         int ldu, cf* vt, int ldvt, cf* work, int lwork, float* rwork,
                         int* iwork, int* info) {
    scipy_LAPACK_cgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork,
                        rwork, iwork, info);
}
inline void lapack_gesdd(char jobz, int m, int n, cd* a, int lda, double* s, cd* u,
                         int ldu, cd* vt, int ldvt, cd* work, int lwork, double* rwork,
                         int* iwork, int* info) {
    scipy_LAPACK_zgesdd(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork,
                        rwork, iwork, info);
}

// ---- gesvd (column-major), the fallback ----
inline void lapack_gesvd(char jobu, char jobvt, int m, int n, float* a, int lda,
                         float* s, float* u, int ldu, float* vt, int ldvt, float* work,
                         int lwork, float*, int* info) {
    scipy_LAPACK_sgesvd(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work,
                        &lwork, info);
}
inline void lapack_gesvd(char jobu, char jobvt, int m, int n, double* a, int lda,
                         double* s, double* u, int ldu, double* vt, int ldvt,
                         double* work, int lwork, double*, int* info) {
    scipy_LAPACK_dgesvd(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work,
                        &lwork, info);
}
inline void lapack_gesvd(char jobu, char jobvt, int m, int n, cf* a, int lda, float* s,
                         cf* u, int ldu, cf* vt, int ldvt, cf* work, int lwork,
                         float* rwork, int* info) {
    scipy_LAPACK_cgesvd(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work,
                        &lwork, rwork, info);
}
inline void lapack_gesvd(char jobu, char jobvt, int m, int n, cd* a, int lda, double* s,
                         cd* u, int ldu, cd* vt, int ldvt, cd* work, int lwork,
                         double* rwork, int* info) {
    scipy_LAPACK_zgesvd(&jobu, &jobvt, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work,
                        &lwork, rwork, info);
}

// ---- geqrf / gelqf (column-major) ----
inline void lapack_geqrf(int m, int n, float* a, int lda, float* tau, float* w, int lw,
                         int* info) {
    LAPACK_sgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_geqrf(int m, int n, double* a, int lda, double* tau, double* w,
                         int lw, int* info) {
    LAPACK_dgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_geqrf(int m, int n, cf* a, int lda, cf* tau, cf* w, int lw,
                         int* info) {
    LAPACK_cgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_geqrf(int m, int n, cd* a, int lda, cd* tau, cd* w, int lw,
                         int* info) {
    LAPACK_zgeqrf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_gelqf(int m, int n, float* a, int lda, float* tau, float* w, int lw,
                         int* info) {
    LAPACK_sgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_gelqf(int m, int n, double* a, int lda, double* tau, double* w,
                         int lw, int* info) {
    LAPACK_dgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_gelqf(int m, int n, cf* a, int lda, cf* tau, cf* w, int lw,
                         int* info) {
    LAPACK_cgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}
inline void lapack_gelqf(int m, int n, cd* a, int lda, cd* tau, cd* w, int lw,
                         int* info) {
    LAPACK_zgelqf(&m, &n, a, &lda, tau, w, &lw, info);
}

// ---- orgqr/ungqr and orglq/unglq: form the explicit orthonormal factor ----
inline void lapack_ungqr(int m, int n, int k, float* a, int lda, const float* tau,
                         float* w, int lw, int* info) {
    LAPACK_sorgqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_ungqr(int m, int n, int k, double* a, int lda, const double* tau,
                         double* w, int lw, int* info) {
    LAPACK_dorgqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_ungqr(int m, int n, int k, cf* a, int lda, const cf* tau, cf* w,
                         int lw, int* info) {
    LAPACK_cungqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_ungqr(int m, int n, int k, cd* a, int lda, const cd* tau, cd* w,
                         int lw, int* info) {
    LAPACK_zungqr(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_unglq(int m, int n, int k, float* a, int lda, const float* tau,
                         float* w, int lw, int* info) {
    LAPACK_sorglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_unglq(int m, int n, int k, double* a, int lda, const double* tau,
                         double* w, int lw, int* info) {
    LAPACK_dorglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_unglq(int m, int n, int k, cf* a, int lda, const cf* tau, cf* w,
                         int lw, int* info) {
    LAPACK_cunglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}
inline void lapack_unglq(int m, int n, int k, cd* a, int lda, const cd* tau, cd* w,
                         int lw, int* info) {
    LAPACK_zunglq(&m, &n, &k, a, &lda, tau, w, &lw, info);
}

// ---- herk (row-major): c = alpha op(a) op(a)^H + beta c, upper triangle ----
inline void blas_herk(CBLAS_TRANSPOSE t, int n, int k, float alpha, const cf* a,
                      int lda, float beta, cf* c, int ldc) {
    scipy_cblas_cherk(CblasRowMajor, CblasUpper, t, n, k, alpha, a, lda, beta, c, ldc);
}
inline void blas_herk(CBLAS_TRANSPOSE t, int n, int k, double alpha, const cd* a,
                      int lda, double beta, cd* c, int ldc) {
    scipy_cblas_zherk(CblasRowMajor, CblasUpper, t, n, k, alpha, a, lda, beta, c, ldc);
}

// ---- heevd / heevr (column-major Hermitian eigensolvers) ----
inline void lapack_heevd(char jobz, char uplo, int n, cf* a, int lda, float* w,
                         cf* work, int lwork, float* rwork, int lrwork, int* iwork,
                         int liwork, int* info) {
    scipy_LAPACK_cheevd(&jobz, &uplo, &n, a, &lda, w, work, &lwork, rwork, &lrwork,
                        iwork, &liwork, info);
}
inline void lapack_heevd(char jobz, char uplo, int n, cd* a, int lda, double* w,
                         cd* work, int lwork, double* rwork, int lrwork, int* iwork,
                         int liwork, int* info) {
    scipy_LAPACK_zheevd(&jobz, &uplo, &n, a, &lda, w, work, &lwork, rwork, &lrwork,
                        iwork, &liwork, info);
}
inline void lapack_heevr(char jobz, char range, char uplo, int n, cf* a, int lda,
                         int il, int iu, int* m, float* w, cf* z, int ldz, int* isuppz,
                         cf* work, int lwork, float* rwork, int lrwork, int* iwork,
                         int liwork, int* info) {
    const float vl = 0, vu = 0, abstol = 0;
    scipy_LAPACK_cheevr(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol,
                        m, w, z, &ldz, isuppz, work, &lwork, rwork, &lrwork, iwork,
                        &liwork, info);
}
inline void lapack_heevr(char jobz, char range, char uplo, int n, cd* a, int lda,
                         int il, int iu, int* m, double* w, cd* z, int ldz, int* isuppz,
                         cd* work, int lwork, double* rwork, int lrwork, int* iwork,
                         int liwork, int* info) {
    const double vl = 0, vu = 0, abstol = 0;
    scipy_LAPACK_zheevr(&jobz, &range, &uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol,
                        m, w, z, &ldz, isuppz, work, &lwork, rwork, &lrwork, iwork,
                        &liwork, info);
}

// ---- potrf (column-major Cholesky) and trsm (row-major: b <- b r^-1, r upper) ----
inline void lapack_potrf(char uplo, int n, cf* a, int lda, int* info) {
    scipy_LAPACK_cpotrf(&uplo, &n, a, &lda, info);
}
inline void lapack_potrf(char uplo, int n, cd* a, int lda, int* info) {
    scipy_LAPACK_zpotrf(&uplo, &n, a, &lda, info);
}
inline void blas_trsm_right_upper(int m, int n, const cf* r, int ldr, cf* b, int ldb) {
    const cf one(1);
    scipy_cblas_ctrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
                      m, n, &one, r, ldr, b, ldb);
}
inline void blas_trsm_right_upper(int m, int n, const cd* r, int ldr, cd* b, int ldb) {
    const cd one(1);
    scipy_cblas_ztrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
                      m, n, &one, r, ldr, b, ldb);
}

} // namespace tensorbond::detail
