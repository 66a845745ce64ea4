#include "tools/line_client.h"

#include <boost/asio.hpp>

namespace strata::tools {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct LineClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  std::string buffer;  // received bytes not yet returned as lines
};

LineClient::LineClient() : impl_(std::make_unique<Impl>()) {}
LineClient::~LineClient() = default;

Result<std::unique_ptr<LineClient>> LineClient::Connect(const std::string& host, uint16_t port) {
  std::unique_ptr<LineClient> client(new LineClient());
  boost::system::error_code ec;
  tcp::resolver resolver(client->impl_->io);
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (!ec) asio::connect(client->impl_->socket, endpoints, ec);
  if (ec) {
    return Status::Unavailable("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
  }
  client->impl_->socket.set_option(tcp::no_delay(true), ec);
  return client;
}

Status LineClient::Send(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(impl_->socket, asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return Status::IOError("send failed: " + ec.message());
  return Status::OK();
}

Result<std::string> LineClient::ReadLine() {
  boost::system::error_code ec;
  size_t n = asio::read_until(impl_->socket, asio::dynamic_buffer(impl_->buffer), '\n', ec);
  if (ec && n == 0) {
    return Status::Unavailable(ec == asio::error::eof ? "server closed the connection"
                                                      : "receive failed: " + ec.message());
  }
  std::string line = impl_->buffer.substr(0, n - 1);
  impl_->buffer.erase(0, n);
  return line;
}

void LineClient::CloseSend() {
  boost::system::error_code ignored;  // nothing useful to do if the socket is already gone
  impl_->socket.shutdown(tcp::socket::shutdown_send, ignored);
}

Result<std::vector<std::string>> LineClient::Command(std::string_view line) {
  std::string text(line);
  text.push_back('\n');
  STRATA_RETURN_IF_ERROR(Send(text));
  // Everything but a query answers with one line; a query ends with END or ERR.
  std::string_view first = line.substr(0, line.find(' '));
  auto upper = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string keyword = upper(first);
  const bool tabular = keyword == "SELECT" || keyword == "SHOW" || keyword == "EXPLAIN" ||
                       keyword == "STATS";
  std::vector<std::string> lines;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(std::string reply, ReadLine());
    lines.push_back(reply);
    if (!tabular || reply.rfind("END ", 0) == 0 || reply.rfind("ERR", 0) == 0) return lines;
  }
}

}  // namespace strata::tools
