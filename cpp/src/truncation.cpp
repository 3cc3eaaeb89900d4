#include "tensorbond/truncation.hpp"

#include <algorithm>

namespace tensorbond {

template <class R>
TruncationInfo truncation_rank(const R* s, std::size_t n, const TruncationSpec& spec) {
    TruncationInfo info;
    if (n == 0)
        return info;
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        total += double(s[i]) * double(s[i]);
    std::size_t keep = n;
    if (spec.cutoff > 0.0) {
        // quimb's rule: keep s_i > threshold (values), or tail sums > target.
        switch (spec.mode) {
        case CutoffMode::abs:
        case CutoffMode::rel: {
            const double thr =
                spec.mode == CutoffMode::abs ? spec.cutoff : spec.cutoff * double(s[0]);
            keep = 0;
            while (keep<n&& double(s[keep])> thr)
                ++keep;
            break;
        }
        case CutoffMode::sum2:
        case CutoffMode::rsum2: {
            const double target =
                spec.mode == CutoffMode::sum2 ? spec.cutoff : spec.cutoff * total;
            double tail = 0.0;
            keep = n;
            while (keep > 0) {
                const double t = tail + double(s[keep - 1]) * double(s[keep - 1]);
                if (t > target)
                    break;
                tail = t;
                --keep;
            }
            break;
        }
        }
    }
    keep = std::max<std::size_t>(keep, 1);
    if (spec.max_bond)
        keep = std::min(keep, *spec.max_bond);
    double discarded = 0.0;
    for (std::size_t i = keep; i < n; ++i)
        discarded += double(s[i]) * double(s[i]);
    info.kept = keep;
    info.discarded_weight = discarded;
    info.total_weight = total;
    return info;
}

#define TENSORBOND_TRUNCATION_INSTANTIATE(R)                                           \
    template TruncationInfo truncation_rank<R>(const R*, std::size_t,                  \
                                               const TruncationSpec&);
TENSORBOND_FOR_EACH_REAL(TENSORBOND_TRUNCATION_INSTANTIATE)

} // namespace tensorbond
