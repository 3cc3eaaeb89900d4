#pragma once
// Dense tensor kernels on row-major buffers: the pairwise contraction behind
// tensordot and einsum (permute + batched GEMM + permute).
#include <cstddef>
#include <span>
#include <vector>

#include "tensorbond/permute.hpp"
#include "tensorbond/scalar.hpp"

namespace tensorbond {

template <Scalar T> struct ContractResult {
    std::vector<T> data;            // row-major
    std::vector<std::size_t> shape; // one entry per output label
};

/// Output shape of `contract_pair` for these operands (validates exactly as it
/// does, without touching data).
std::vector<std::size_t> contract_pair_shape(std::span<const std::size_t> shape_a,
                                             std::span<const int> labels_a,
                                             std::span<const std::size_t> shape_b,
                                             std::span<const int> labels_b,
                                             std::span<const int> labels_out);

/// out[batch, free_a, free_b] = sum_contracted a[...] * b[...], each operand's
/// axes named by integer labels (einsum with one label per axis). Batch labels
/// are in a, b and out; contracted ones in a and b only; free ones in one operand
/// and out. Operands are permuted only where neither their layout nor a
/// transposed GEMM can serve, and the result only where the GEMM's natural order
/// differs from `labels_out`. `out` holds prod(output shape) elements.
/// Throws ShapeError when a label count differs from an operand's rank, a label
/// repeats within one operand or the output, an output label is in neither
/// operand, a label is in one operand only but not in the output (sum it out
/// first), or a shared label's sizes differ.
template <Scalar T>
void contract_pair_into(const T* a, std::span<const std::size_t> shape_a,
                        std::span<const int> labels_a, const T* b,
                        std::span<const std::size_t> shape_b,
                        std::span<const int> labels_b, std::span<const int> labels_out,
                        T* out);

/// As `contract_pair_into`, allocating the result.
template <Scalar T>
ContractResult<T> contract_pair(const T* a, std::span<const std::size_t> shape_a,
                                std::span<const int> labels_a, const T* b,
                                std::span<const std::size_t> shape_b,
                                std::span<const int> labels_b,
                                std::span<const int> labels_out);

#define TENSORBOND_CONTRACT_EXTERN(T)                                                  \
    extern template void contract_pair_into<T>(                                        \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>, T*); \
    extern template ContractResult<T> contract_pair<T>(                                \
        const T*, std::span<const std::size_t>, std::span<const int>, const T*,        \
        std::span<const std::size_t>, std::span<const int>, std::span<const int>);
TENSORBOND_FOR_EACH_SCALAR(TENSORBOND_CONTRACT_EXTERN)
#undef TENSORBOND_CONTRACT_EXTERN

} // namespace tensorbond
