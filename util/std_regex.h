#pragma once

// <regex> for Strata's code: GCC 12 with ASan reports a false -Wmaybe-uninitialized inside
// libstdc++'s <regex> (a std::function copied in its NFA builder), which -Werror turns into a
// failed build. Include this instead of <regex>.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
