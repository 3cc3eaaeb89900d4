#pragma once
// The four scalar types of the core, listed here and nowhere else.
#include <cmath>
#include <complex>
#include <concepts>

namespace tensorbond {

template <class T> struct scalar_traits;
template <> struct scalar_traits<float> {
    using real = float;
    static constexpr bool is_complex = false;
};
template <> struct scalar_traits<double> {
    using real = double;
    static constexpr bool is_complex = false;
};
template <> struct scalar_traits<std::complex<float>> {
    using real = float;
    static constexpr bool is_complex = true;
};
template <> struct scalar_traits<std::complex<double>> {
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

}  // namespace tensorbond
