#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <xxhash.h>

#include "tools/commands.h"
#include "tools/line_client.h"
#include "tools/line_shape.h"

namespace strata::tools {
namespace {

// The input a chunk at a time, read(2) into one reused buffer small enough to stay in the
// cache while its lines are scanned and copied out. Mapping the file instead cost four times
// the CPU on this VM: the kernel filled in a page-table entry per 4 KiB page of page cache
// (190 vs 50 ms for the 316 MB TSBS day, BENCHMARKS.md), and the client shares the machine's
// two cores with the server it loads.
class InputChunks {
 public:
  explicit InputChunks(FILE* in) : fd_(::fileno(in)), buffer_(kChunkBytes) {}

  // The next chunk; false at the end of the input (or a read error, then error() says which).
  // The chunk stays valid until the next call.
  bool Next(std::string_view* chunk) {
    while (true) {
      const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error_ = errno;
      if (n <= 0) return false;
      *chunk = std::string_view(buffer_.data(), static_cast<size_t>(n));
      return true;
    }
  }
  int error() const { return error_; }

 private:
  static constexpr size_t kChunkBytes = 256 << 10;
  const int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// One connection of a load. The main thread splits the file into lanes; each lane's sender
// thread writes its queued text, and its reader thread collects ERR lines and the SYNC answer,
// so the server is never blocked writing to us.
class Lane {
 public:
  explicit Lane(std::unique_ptr<LineClient> conn) : conn_(std::move(conn)) {}

  void Start(const std::string& path, bool show_progress) {
    sender_ = std::thread([this] { SendLoop(); });
    reader_ = std::thread([this, path, show_progress] { ReadLoop(path, show_progress); });
  }

  // Appends one line (with its '\n') and the file line number it came from.
  void Add(std::string_view line, uint64_t file_line) {
    pending_.append(line);
    pending_lines_.push_back(file_line);
    if (pending_.size() >= kSendBytes) Hand();
  }

  // Sends what is pending, then SYNC, and waits for the answer. False if the connection failed.
  bool Finish() {
    pending_.append("SYNC\n");
    Hand();
    {
      std::unique_lock lock(mu_);
      closing_ = true;
      cv_.notify_all();
    }
    sender_.join();
    reader_.join();
    return !sync_reply_.empty();
  }

  bool failed() const { return send_failed_.load(); }
  const std::string& sync_reply() const { return sync_reply_; }
  const std::string& reader_error() const { return reader_error_; }
  // File line numbers of the lines the server rejected (valid after Finish).
  std::vector<uint64_t> RejectedFileLines() const {
    std::vector<uint64_t> out;
    for (uint64_t n : rejected_) {
      if (n >= 1 && n <= file_lines_.size()) out.push_back(file_lines_[n - 1]);
    }
    return out;
  }

 private:
  static constexpr size_t kSendBytes = 256 << 10;
  static constexpr size_t kQueuedBuffers = 8;  // bounds the memory a slow server makes us hold

  void Hand() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < kQueuedBuffers || send_failed_.load(); });
    queue_.push_back(std::move(pending_));
    // A buffer already sent, rather than a new one grown to kSendBytes: growing into fresh
    // memory (mmap'ed past 128 KiB) cost page faults and copies, and the client shares the
    // machine's cores with the server it loads (BENCHMARKS.md).
    if (spare_.empty()) {
      pending_ = std::string();
      pending_.reserve(kSendBytes + (kSendBytes >> 2));
    } else {
      pending_ = std::move(spare_.back());
      spare_.pop_back();
    }
    pending_.clear();
    // Before the text is sent: an ERR for one of these lines finds its file line number.
    file_lines_.insert(file_lines_.end(), pending_lines_.begin(), pending_lines_.end());
    pending_lines_.clear();
    cv_.notify_all();
  }

  void SendLoop() {
    while (true) {
      std::string text;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty()) return;
        text = std::move(queue_.front());
        queue_.pop_front();
        cv_.notify_all();
      }
      if (!send_failed_.load() && !conn_->Send(text).ok()) {
        send_failed_ = true;
        std::unique_lock lock(mu_);
        cv_.notify_all();
      }
      std::unique_lock lock(mu_);
      if (spare_.size() < kQueuedBuffers) spare_.push_back(std::move(text));
    }
  }

  void ReadLoop(const std::string& path, bool show_progress) {
    while (true) {
      auto line = conn_->ReadLine();
      if (!line.ok()) {
        reader_error_ = line.status().message();
        return;
      }
      if (line->rfind("ERR ", 0) == 0) {
        uint64_t line_no = 0;
        const auto parsed = std::from_chars(line->data() + 4, line->data() + line->size(), line_no);
        const char* clear = show_progress ? "\r\033[K" : "";
        if (parsed.ec != std::errc() || line_no == 0) {  // not about one line: "ERR write failed"
          std::fprintf(stderr, "%s%s: %s\n", clear, path.c_str(), line->c_str() + 4);
          continue;
        }
        // The server numbers this connection's lines; the user wants the file's numbers.
        uint64_t file_line = line_no;
        {
          std::unique_lock lock(mu_);
          rejected_.push_back(line_no);
          if (line_no <= file_lines_.size()) file_line = file_lines_[line_no - 1];
        }
        std::fprintf(stderr, "%s%s: line %llu%s\n", clear, path.c_str(),
                     static_cast<unsigned long long>(file_line), parsed.ptr);
      } else if (line->rfind("OK ", 0) == 0) {
        sync_reply_ = *line;
        return;
      }
    }
  }

  std::unique_ptr<LineClient> conn_;
  std::thread sender_, reader_;
  std::string pending_;                  // main thread only
  std::vector<uint64_t> pending_lines_;  // file line numbers of pending_'s lines
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::string> spare_;  // sent buffers, for Hand to fill again; under mu_
  bool closing_ = false;
  std::vector<uint64_t> file_lines_;  // of every handed line, in order; under mu_
  std::vector<uint64_t> rejected_;    // connection line numbers; under mu_
  std::atomic<bool> send_failed_{false};
  std::string sync_reply_, reader_error_;
};

}  // namespace

int RunLoad(const ServerAddress& server, const LoadOptions& options) {
  FILE* in = options.path == "-" ? stdin : std::fopen(options.path.c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "strata load: cannot open %s: %s\n", options.path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  // For the progress line; the input is read with read(2) from its descriptor, so stdio's
  // position is never moved (an fseek would leave the descriptor's offset wherever it liked).
  uint64_t total_bytes = 0;
  struct stat st;
  if (in != stdin && ::fstat(::fileno(in), &st) == 0 && S_ISREG(st.st_mode)) {
    total_bytes = static_cast<uint64_t>(st.st_size);
  }
  const bool show_progress = options.progress && ::isatty(STDERR_FILENO);
  std::vector<std::unique_ptr<Lane>> lanes;
  for (int i = 0; i < std::max(1, options.connections); ++i) {
    auto client = LineClient::Connect(server.host, server.port);
    if (!client.ok()) {
      std::fprintf(stderr, "strata load: %s\n", client.status().message().c_str());
      if (in != stdin) std::fclose(in);
      return 1;  // no lane started yet: closing the connections is all there is to do
    }
    lanes.push_back(std::make_unique<Lane>(std::move(*client)));
  }
  for (auto& lane : lanes) lane->Start(options.path, show_progress);

  // Points per file line, so rejected lines can be subtracted when their ERR arrives.
  std::vector<uint16_t> points_per_line;
  uint64_t points_sent = 0, bytes_sent = 0;
  auto add_line = [&](std::string_view line_with_newline) {
    const std::string_view line = line_with_newline.substr(0, line_with_newline.size() - 1);
    const LineShape shape = ScanLine(line);
    points_per_line.push_back(static_cast<uint16_t>(std::min<uint32_t>(shape.points, 65535)));
    points_sent += shape.points;
    bytes_sent += line_with_newline.size();
    // A series' lines share a connection, so they keep the file's order.
    const size_t lane =
        lanes.size() == 1 ? 0 : XXH3_64bits(line.data(), shape.series_end) % lanes.size();
    lanes[lane]->Add(line_with_newline, points_per_line.size());
  };

  const auto started = std::chrono::steady_clock::now();
  auto last_progress = started;
  InputChunks input(in);
  std::string carry;  // an incomplete last line of the previous chunk
  bool send_failed = false;
  std::string_view chunk;
  while (input.Next(&chunk)) {
    size_t start = 0;
    if (!carry.empty()) {
      const size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        carry.append(chunk);
        continue;
      }
      carry.append(chunk.substr(0, nl + 1));
      add_line(carry);
      carry.clear();
      start = nl + 1;
    }
    while (start < chunk.size()) {
      const size_t nl = chunk.find('\n', start);
      if (nl == std::string_view::npos) {
        carry.assign(chunk.substr(start));
        break;
      }
      add_line(chunk.substr(start, nl + 1 - start));
      start = nl + 1;
    }
    send_failed = std::any_of(lanes.begin(), lanes.end(), [](auto& l) { return l->failed(); });
    if (send_failed) break;
    auto now = std::chrono::steady_clock::now();
    if (show_progress && now - last_progress > std::chrono::milliseconds(500)) {
      last_progress = now;
      double secs = Seconds(now - started);
      std::fprintf(stderr, "\r\033[K%.1f MB", bytes_sent / 1e6);
      if (total_bytes) std::fprintf(stderr, " (%.0f%%)", 100.0 * bytes_sent / total_bytes);
      std::fprintf(stderr, "  %.2f M points/s", points_sent / secs / 1e6);
    }
  }
  if (in != stdin) std::fclose(in);
  const int read_error = input.error();
  if (!send_failed && !carry.empty() && read_error == 0) {
    carry.push_back('\n');
    add_line(carry);
  }
  bool synced = true;
  for (auto& lane : lanes) synced = lane->Finish() && synced;
  const double secs = Seconds(std::chrono::steady_clock::now() - started);
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  if (read_error != 0) {
    // What was read before the error was sent and synced; a partial last line was not.
    std::fprintf(stderr, "strata load: reading %s failed after %llu bytes: %s\n",
                 options.path.c_str(), static_cast<unsigned long long>(bytes_sent),
                 std::strerror(read_error));
    return 1;
  }

  if (!synced) {
    for (auto& lane : lanes) {
      if (lane->sync_reply().empty()) {
        std::fprintf(stderr, "strata load: connection lost before SYNC was answered: %s\n",
                     lane->reader_error().c_str());
        break;
      }
    }
    return 1;
  }
  unsigned long long accepted = 0, rejected = 0;
  long long system_time = 0;
  uint64_t accepted_points = points_sent;
  for (auto& lane : lanes) {
    unsigned long long lane_accepted = 0, lane_rejected = 0;
    long long lane_time = 0;
    std::sscanf(lane->sync_reply().c_str(), "OK %llu %llu %lld", &lane_accepted, &lane_rejected,
                &lane_time);
    accepted += lane_accepted;
    rejected += lane_rejected;
    system_time = std::max(system_time, lane_time);
    for (uint64_t file_line : lane->RejectedFileLines()) {
      accepted_points -= points_per_line[file_line - 1];
    }
  }
  std::printf("loaded %llu lines (%llu points) in %.2f s: %.0f points/s, %.0f lines/s; "
              "rejected %llu lines; system time %lld\n",
              accepted, static_cast<unsigned long long>(accepted_points), secs,
              accepted_points / secs, accepted / secs, rejected, system_time);
  return rejected == 0 ? 0 : 1;
}

}  // namespace strata::tools
