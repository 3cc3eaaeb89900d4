#pragma once
// Axis permutation of dense row-major buffers (numpy.transpose, written contiguously).
#include <cstddef>
#include <span>

#include "tensorbond/scalar.hpp"

namespace tensorbond {

/// out[i_0, ..., i_{n-1}] = in[j] with j[perm[k]] = i_k, i.e. numpy's
/// `transpose(in, perm)` written contiguously. `in` has shape `shape` (any rank,
/// size-0 axes allowed); `out` holds prod(shape) elements and must not overlap
/// `in`. Axes that stay adjacent are merged, size-1 axes ignored, an identity
/// permutation is one copy; otherwise the innermost moved pair goes through a
/// cache-blocked 2-D transpose. Throws ShapeError if `perm` is not a permutation
/// of 0..n-1.
template <Scalar T>
void permute(const T* in, std::span<const std::size_t> shape,
             std::span<const std::size_t> perm, T* out);

#define TENSORBOND_PERMUTE_EXTERN(T)                                                   \
    extern template void permute<T>(const T*, std::span<const std::size_t>,            \
                                    std::span<const std::size_t>, T*);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_PERMUTE_EXTERN)
#undef TENSORBOND_PERMUTE_EXTERN

} // namespace tensorbond
