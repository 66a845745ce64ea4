#pragma once

// Server: accepts TCP connections and runs one Session per connection on its own thread, with
// blocking reads and writes (a slow engine slows the reads: backpressure). Thread per
// connection keeps every session's code straight-line; the connection limit bounds the threads.
// Thread-safety: Start and Stop from one owner thread; port() is thread-safe after Start.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <thread>

#include "compaction/compactor.h"
#include "engine/engine.h"
#include "server/limits.h"
#include "util/mutex.h"
#include "util/status.h"

namespace strata::server {

class Server {
 public:
  // engine, and compactor when given (it serves COMPACT and the compaction rows of STATS),
  // must outlive the server.
  Server(engine::Engine& engine, ServerOptions options,
         compaction::Compactor* compactor = nullptr);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; writes options.port_file if set. IOError if the address is
  // taken or invalid.
  Status Start();
  uint16_t port() const { return port_.load(); }

  // Stops accepting, ends every connection after the batch it is handling (its pending writes
  // are committed), and joins all threads. Idempotent.
  void Stop();

 private:
  struct Connection;
  void AcceptLoop();
  void Serve(Connection* connection);
  void ReapFinished() EXCLUSIVE_LOCKS_REQUIRED(mu_);

  engine::Engine& engine_;
  const ServerOptions options_;
  compaction::Compactor* const compactor_;
  std::atomic<uint16_t> port_{0};
  std::atomic<bool> stopping_{false};
  int listen_fd_ = -1;  // owned; closed by Stop
  std::thread accept_thread_;

  Mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_ GUARDED_BY(mu_);
};

}  // namespace strata::server
