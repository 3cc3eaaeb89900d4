#pragma once
// The four scalar types of the core, listed here and nowhere else.
#include <cmath>
#include <complex>
#include <concepts>

// X-macros over the scalar types: every explicit instantiation, extern template
// and per-dtype binding expands one of these, so adding a type is one edit here.
#define TENSORBOND_FOR_EACH_REAL(X) X(float) X(double)
#define TENSORBOND_FOR_EACH_COMPLEX(X) X(std::complex<float>) X(std::complex<double>)
#define TENSORBOND_FOR_EACH_SCALAR(X)                                                  \
    TENSORBOND_FOR_EACH_REAL(X) TENSORBOND_FOR_EACH_COMPLEX(X)

namespace tensorbond {

template <class T> struct scalar_traits;
template <> struct scalar_traits<float> {
    static constexpr const char* name = "float32"; // numpy's name
    using real = float;
    static constexpr bool is_complex = false;
};
template <> struct scalar_traits<double> {
    static constexpr const char* name = "float64"; // numpy's name
    using real = double;
    static constexpr bool is_complex = false;
};
template <> struct scalar_traits<std::complex<float>> {
    static constexpr const char* name = "complex64"; // numpy's name
    using real = float;
    static constexpr bool is_complex = true;
};
template <> struct scalar_traits<std::complex<double>> {
    static constexpr const char* name = "complex128"; // numpy's name
    using real = double;
    static constexpr bool is_complex = true;
};

template <class T> using real_t = typename scalar_traits<T>::real;
template <class T>
concept Scalar = requires { typename scalar_traits<T>::real; };
template <class T>
concept ComplexScalar = Scalar<T> && scalar_traits<T>::is_complex;

/// |x|^2 without the square root of std::abs.
template <Scalar T> inline real_t<T> abs2(const T& x) {
    if constexpr (scalar_traits<T>::is_complex) {
        return x.real() * x.real() + x.imag() * x.imag();
    } else {
        return x * x;
    }
}

template <Scalar T> inline T conj_of(const T& x) {
    if constexpr (scalar_traits<T>::is_complex) {
        return std::conj(x);
    } else {
        return x;
    }
}

template <Scalar T> inline bool is_finite(const T& x) {
    if constexpr (scalar_traits<T>::is_complex) {
        return std::isfinite(x.real()) && std::isfinite(x.imag());
    } else {
        return std::isfinite(x);
    }
}

} // namespace tensorbond
