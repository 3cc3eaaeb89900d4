#pragma once
// Private helpers shared by the kernels: shape text for error messages and
// huge-page-aware aligned allocation of scratch memory.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <span>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tensorbond::detail {

/// "(a, b, c)", numpy's tuple spelling ("(a,)" for one element).
template <class V> std::string join(const V& v) {
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i)
            s += ", ";
        s += std::to_string(v[i]);
    }
    if (v.size() == 1)
        s += ",";
    return s + ")";
}

/// Number of elements of a row-major shape.
inline std::size_t product(std::span<const std::size_t> dims) {
    std::size_t p = 1;
    for (auto d : dims)
        p *= d;
    return p;
}

/// Uninitialised memory for `n` elements, freed with std::free; `*capacity` gets
/// the elements actually allocated. Large buffers are 2 MiB aligned and advised
/// for transparent huge pages: 4 KiB page faults and the zeroing a std::vector
/// does otherwise cost as much as the arithmetic of a permute or a TT step.
template <class T> T* scratch_alloc(std::size_t n, std::size_t* capacity = nullptr) {
    constexpr std::size_t huge = std::size_t{1} << 21;
    std::size_t bytes = n * sizeof(T);
    const std::size_t align = bytes >= huge ? huge : 64;
    bytes = (bytes + align - 1) / align * align;
    auto* p = static_cast<T*>(std::aligned_alloc(align, bytes));
    if (!p)
        throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (align == huge)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    if (capacity)
        *capacity = bytes / sizeof(T);
    return p;
}

} // namespace tensorbond::detail
