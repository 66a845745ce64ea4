#pragma once

// StratadProcess: runs the real stratad binary in a child process on a free port, for
// end-to-end and crash tests (STYLE §7: integration tests talk TCP to a real server).
// Thread-safety: single-threaded.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace strata::testing {

class StratadProcess {
 public:
  // data_dir is created by stratad if missing. extra_flags are appended to the command line.
  explicit StratadProcess(std::string data_dir, std::vector<std::string> extra_flags = {});
  ~StratadProcess();  // SIGKILLs a still-running server
  StratadProcess(const StratadProcess&) = delete;
  StratadProcess& operator=(const StratadProcess&) = delete;

  // Starts the server and waits (bounded) until it listens. Returns false with a reason.
  bool Start(std::string* error);
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL, then reap.
  void Kill9();
  // SIGTERM and wait; returns the exit status (or -1 if it did not exit normally).
  int Terminate();

  // Path to a built binary: "<build>/server/stratad", "<build>/tools/strata".
  static std::string BinaryPath(const std::string& relative);

 private:
  std::string data_dir_;
  std::vector<std::string> extra_flags_;
  std::string port_file_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// Runs a command, feeding stdin_text, and captures stdout and stderr. Returns the exit status.
int RunCommand(const std::vector<std::string>& argv, const std::string& stdin_text,
               std::string* stdout_text, std::string* stderr_text);

}  // namespace strata::testing
