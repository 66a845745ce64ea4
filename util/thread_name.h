#pragma once

// Names the calling thread, so `top -H`, `ps -L`, perf and gdb tell the server's threads apart
// (the WAL writer, the flush, each connection). Linux keeps at most 15 bytes; longer names are
// cut there. Best effort: a failure leaves the inherited name.
// Thread-safety: names only the calling thread.

namespace strata {

void SetCurrentThreadName(const char* name);

}  // namespace strata
