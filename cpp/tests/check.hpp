#pragma once
// A minimal test harness (no framework to download): TB_TEST registers a test,
// TB_CHECK records a failure and carries on, main() runs them all and returns
// non-zero if any failed, which is what ctest looks at.
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tbtest {

struct Test {
    const char* name;
    std::function<void()> body;
};
inline std::vector<Test>& registry() {
    static std::vector<Test> tests;
    return tests;
}
inline int& failures() {
    static int n = 0;
    return n;
}
struct Register {
    Register(const char* name, std::function<void()> body) {
        registry().push_back({name, std::move(body)});
    }
};
inline void fail(const char* file, int line, const std::string& what) {
    std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what.c_str());
    ++failures();
}

} // namespace tbtest

#define TB_CONCAT2(a, b) a##b
#define TB_CONCAT(a, b) TB_CONCAT2(a, b)
#define TB_TEST(name)                                                                  \
    static void name();                                                                \
    static const tbtest::Register TB_CONCAT(tb_register_, name)(#name, name);          \
    static void name()
#define TB_CHECK(cond)                                                                 \
    do {                                                                               \
        if (!(cond))                                                                   \
            tbtest::fail(__FILE__, __LINE__, #cond);                                   \
    } while (0)
#define TB_CHECK_NEAR(a, b, tol)                                                       \
    do {                                                                               \
        const double tb_a = double(a), tb_b = double(b);                               \
        if (!(std::abs(tb_a - tb_b) <= double(tol)))                                   \
            tbtest::fail(__FILE__, __LINE__,                                           \
                         std::string(#a " ~ " #b ": ") + std::to_string(tb_a) +        \
                             " vs " + std::to_string(tb_b));                           \
    } while (0)
#define TB_CHECK_THROWS(expr, Exc)                                                     \
    do {                                                                               \
        bool tb_thrown = false;                                                        \
        try {                                                                          \
            expr;                                                                      \
        } catch (const Exc&) {                                                         \
            tb_thrown = true;                                                          \
        }                                                                              \
        if (!tb_thrown)                                                                \
            tbtest::fail(__FILE__, __LINE__, #expr " throws " #Exc);                   \
    } while (0)

/// Runs every registered test; an escaping exception fails that test only.
inline int tb_run_all() {
    for (const auto& t : tbtest::registry()) {
        const int before = tbtest::failures();
        try {
            t.body();
        } catch (const std::exception& e) {
            tbtest::fail(t.name, 0, std::string("exception: ") + e.what());
        }
        std::printf("%s %s\n", tbtest::failures() == before ? "ok  " : "FAIL", t.name);
    }
    std::printf("%zu tests, %d failed checks\n", tbtest::registry().size(),
                tbtest::failures());
    return tbtest::failures() == 0 ? 0 : 1;
}
