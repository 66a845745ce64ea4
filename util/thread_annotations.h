#pragma once

// Clang thread-safety annotations (checked with -Wthread-safety); no-ops elsewhere.

#if defined(__clang__)
#define STRATA_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define STRATA_THREAD_ANNOTATION_(x)
#endif

#define GUARDED_BY(x) STRATA_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) STRATA_THREAD_ANNOTATION_(pt_guarded_by(x))
#define EXCLUSIVE_LOCKS_REQUIRED(...) STRATA_THREAD_ANNOTATION_(exclusive_locks_required(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) STRATA_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) STRATA_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define CAPABILITY(x) STRATA_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY STRATA_THREAD_ANNOTATION_(scoped_lockable)
#define ACQUIRE(...) STRATA_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) STRATA_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS STRATA_THREAD_ANNOTATION_(no_thread_safety_analysis)
