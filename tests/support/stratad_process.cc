#include "tests/support/stratad_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "tests/support/test_util.h"

namespace strata::testing {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (std::string& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string StratadProcess::BinaryPath(const std::string& relative) {
  return BinaryDir() + "/" + relative;
}

StratadProcess::StratadProcess(std::string data_dir, std::vector<std::string> extra_flags)
    : data_dir_(std::move(data_dir)),
      extra_flags_(std::move(extra_flags)),
      port_file_(data_dir_ + ".port") {}

StratadProcess::~StratadProcess() {
  if (pid_ > 0) Kill9();
}

bool StratadProcess::Start(std::string* error) {
  ::unlink(port_file_.c_str());
  std::vector<std::string> args = {BinaryPath("server/stratad"), "--data-dir", data_dir_,
                                   "--port",  "0", "--port-file", port_file_,
                                   "--log-level", "warn"};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  pid_ = ::fork();
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    auto argv = Argv(args);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Poll for the port file: stratad writes it atomically once it listens. Bounded wait.
  for (int i = 0; i < 3000; ++i) {
    std::ifstream in(port_file_);
    int port = 0;
    if (in >> port && port > 0) {
      port_ = static_cast<uint16_t>(port);
      return true;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "stratad exited during start-up with status " + std::to_string(status);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "stratad did not start listening within 30 s";
  Kill9();
  return false;
}

void StratadProcess::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int StratadProcess::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int RunCommand(const std::vector<std::string>& argv_in, const std::string& stdin_text,
               std::string* stdout_text, std::string* stderr_text) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe(in_pipe) || ::pipe(out_pipe) || ::pipe(err_pipe)) return -1;
  std::vector<std::string> args = argv_in;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      ::close(fd);
    }
    auto argv = Argv(args);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  // Feed stdin from a thread so a child that writes a lot before reading cannot deadlock us.
  std::thread feeder([&] {
    size_t off = 0;
    while (off < stdin_text.size()) {
      ssize_t n = ::write(in_pipe[1], stdin_text.data() + off, stdin_text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(in_pipe[1]);
  });
  auto drain = [](int fd, std::string* into) {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) into->append(buf, static_cast<size_t>(n));
    ::close(fd);
  };
  std::string ignored_err;
  std::thread err_reader(drain, err_pipe[0], stderr_text ? stderr_text : &ignored_err);
  std::string ignored_out;
  drain(out_pipe[0], stdout_text ? stdout_text : &ignored_out);
  err_reader.join();
  feeder.join();
  int status;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace strata::testing
