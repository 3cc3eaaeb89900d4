#pragma once
// Exceptions derive from standard ones so pybind11 maps them to Python types.
#include <stdexcept>

namespace tensorbond {

struct ShapeError : std::invalid_argument { // ValueError
    using invalid_argument::invalid_argument;
};
struct SiteError : std::out_of_range { // IndexError
    using out_of_range::out_of_range;
};
struct NotImplementedError : std::logic_error { // NotImplementedError
    using logic_error::logic_error;
};
struct LinAlgError : std::runtime_error { // tensorbond.LinAlgError
    using runtime_error::runtime_error;
};

} // namespace tensorbond
