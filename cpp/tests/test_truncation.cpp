// truncation_rank on a known spectrum, each cutoff mode, both real types.
#include <cmath>

#include "check.hpp"
#include "tensorbond/truncation.hpp"

using tensorbond::CutoffMode;
using tensorbond::TruncationSpec;

namespace {

// s^2 = 16, 4, 1, 0.25: total 21.25.
template <class R> void check_modes() {
    const R s[] = {R(4), R(2), R(1), R(0.5)};
    auto rank = [&](CutoffMode mode, double cutoff) {
        TruncationSpec spec;
        spec.mode = mode;
        spec.cutoff = cutoff;
        return tensorbond::truncation_rank(s, 4, spec);
    };
    auto info = rank(CutoffMode::abs, 1.5); // keeps s > 1.5
    TB_CHECK(info.kept == 2);
    TB_CHECK_NEAR(info.discarded_weight, 1.25, 1e-6);
    TB_CHECK_NEAR(info.total_weight, 21.25, 1e-5);
    TB_CHECK(rank(CutoffMode::rel, 0.3).kept == 2);  // s > 0.3 * 4
    TB_CHECK(rank(CutoffMode::rel, 0.1).kept == 4);  // s > 0.4
    TB_CHECK(rank(CutoffMode::sum2, 1.3).kept == 2); // tail 1.25 <= 1.3
    TB_CHECK(rank(CutoffMode::sum2, 0.2).kept == 4); // 0.25 > 0.2
    info = rank(CutoffMode::rsum2, 0.02);            // target 0.425: drops 0.25 only
    TB_CHECK(info.kept == 3);
    TB_CHECK_NEAR(info.discarded_weight, 0.25, 1e-6);
    TB_CHECK(rank(CutoffMode::rsum2, 0.01).kept == 4); // target 0.2125 < 0.25
    TB_CHECK(rank(CutoffMode::rsum2, 0.0).kept == 4);  // cutoff 0 drops nothing
    TB_CHECK(rank(CutoffMode::abs, 10.0).kept == 1);   // at least one value is kept

    TruncationSpec bounded;
    bounded.max_bond = 1;
    info = tensorbond::truncation_rank(s, 4, bounded);
    TB_CHECK(info.kept == 1);
    TB_CHECK_NEAR(info.discarded_weight, 5.25, 1e-5);
    TB_CHECK(tensorbond::truncation_rank(s, 0, bounded).kept == 0);
}

} // namespace

TB_TEST(truncation_rank_float) { check_modes<float>(); }
TB_TEST(truncation_rank_double) { check_modes<double>(); }

int main() { return tb_run_all(); }
