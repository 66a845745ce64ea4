#include "server/server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <string>

#include "server/session.h"
#include "util/logging.h"
#include "util/thread_name.h"

namespace strata::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Server::Connection {
  asio::io_context io;  // sockets need one; blocking calls never run it
  tcp::socket socket{io};
  std::thread thread;
  std::atomic<bool> finished{false};
};

Server::Server(engine::Engine& engine, ServerOptions options, compaction::Compactor* compactor)
    : engine_(engine), options_(std::move(options)), compactor_(compactor) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  // Asio reports errors by exception; they are converted here, at the library boundary.
  try {
    asio::io_context io;
    tcp::acceptor acceptor(io);
    tcp::endpoint endpoint(asio::ip::make_address(options_.address), options_.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor.local_endpoint().port();
    listen_fd_ = acceptor.release();
  } catch (const std::exception& e) {
    return Status::IOError("cannot listen on " + options_.address + ":" +
                           std::to_string(options_.port) + ": " + e.what());
  }
  if (!options_.port_file.empty()) {
    STRATA_RETURN_IF_ERROR(
        WriteFileAtomically(*Env::Default(), options_.port_file, std::to_string(port_.load())));
  }
  STRATA_LOG(kInfo, "stratad listening on {}:{}", options_.address, port_.load());
  accept_thread_ = std::thread([this] {
    SetCurrentThreadName("strata-accept");
    AcceptLoop();
  });
  return Status::OK();
}

void Server::AcceptLoop() {
  while (!stopping_.load()) {
    // poll with a timeout so Stop() is noticed without closing the fd under a blocked accept.
    struct pollfd pfd {
      listen_fd_, POLLIN, 0
    };
    int ready = ::poll(&pfd, 1, 200);
    if (ready <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next poll

    auto connection = std::make_unique<Connection>();
    boost::system::error_code ec;
    connection->socket.assign(tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      continue;
    }
    connection->socket.set_option(tcp::no_delay(true), ec);

    MutexLock lock(&mu_);
    ReapFinished();
    if (connections_.size() >= options_.max_connections) {
      std::string reply =
          "ERR too many connections (limit " + std::to_string(options_.max_connections) + ")\n";
      asio::write(connection->socket, asio::buffer(reply), ec);
      continue;  // the socket closes with the connection object
    }
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread([this, raw] {
      SetCurrentThreadName("strata-conn");
      Serve(raw);
    });
  }
}

void Server::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->finished.load()) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::Serve(Connection* connection) {
  Session session(engine_, options_, compactor_);
  std::string buffer(64 << 10, '\0');
  std::string reply;
  boost::system::error_code ec;
  session.SetDrain([&](std::string* out) {
    asio::write(connection->socket, asio::buffer(*out), ec);
    out->clear();
    return !ec;
  });
  bool open = true;
  while (open) {
    size_t n = connection->socket.read_some(asio::buffer(buffer), ec);
    reply.clear();
    if (ec) {
      session.Finish(&reply);
      open = false;
    } else {
      // Bytes already waiting in the socket mean the client is streaming: let the session
      // batch them into the same commit.
      const bool more_coming = connection->socket.available(ec) > 0 && !ec;
      open = session.Receive(std::string_view(buffer.data(), n), &reply, more_coming);
    }
    if (!reply.empty()) {
      asio::write(connection->socket, asio::buffer(reply), ec);
      if (ec) open = false;  // client went away; its committed writes stand
    }
  }
  connection->socket.shutdown(tcp::socket::shutdown_both, ec);
  connection->socket.close(ec);
  connection->finished.store(true);
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  MutexLock lock(&mu_);
  for (auto& c : connections_) {
    // shutdown(2) is safe while another thread blocks in read: the read returns end of stream,
    // and the session commits what it has before the thread exits.
    if (!c->finished.load()) ::shutdown(c->socket.native_handle(), SHUT_RD);
  }
  for (auto& c : connections_) c->thread.join();
  connections_.clear();
}

}  // namespace strata::server
