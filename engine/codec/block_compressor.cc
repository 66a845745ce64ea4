#include "engine/codec/block_compressor.h"

#include <lz4.h>
#include <zstd.h>

#include <climits>
#include <string>

namespace strata::engine::codec {
namespace {

Status CompressionCorruption(Compression c, std::string_view what) {
  std::string msg = "block compression ";
  msg += CompressionName(c);
  msg += ": ";
  msg += what;
  return Status::Corruption(std::move(msg));
}

// LZ4 cannot expand a byte into more than 255 output bytes (one literal-length or match-length
// byte adds at most 255); a raw_size beyond this bound is corruption, not a request to
// allocate.
constexpr size_t kLz4MaxRatio = 255;

Status DecompressLz4(std::string_view in, size_t raw_size, std::string* out) {
  constexpr Compression c = Compression::kLz4;
  if (in.size() > static_cast<size_t>(INT_MAX) || raw_size > static_cast<size_t>(INT_MAX)) {
    return CompressionCorruption(c, "block larger than 2 GiB");
  }
  if (raw_size > in.size() * kLz4MaxRatio + 16) {
    return CompressionCorruption(c, "recorded size " + std::to_string(raw_size) +
                                        " impossible for " + std::to_string(in.size()) +
                                        " compressed bytes");
  }
  out->resize(raw_size);
  const int n = LZ4_decompress_safe(in.data(), out->data(), static_cast<int>(in.size()),
                                    static_cast<int>(raw_size));
  if (n < 0) {
    out->clear();
    return CompressionCorruption(c, "malformed input");
  }
  if (static_cast<size_t>(n) != raw_size) {
    out->clear();
    return CompressionCorruption(
        c, "decompressed " + std::to_string(n) + " bytes, expected " + std::to_string(raw_size));
  }
  return Status::OK();
}

// Contexts reused per thread: ZSTD_compress and ZSTD_decompress create and free one (tens to
// hundreds of KiB) on every call, which cost more than decoding a small block. Null if the
// allocation failed (callers then use the one-shot functions).
template <typename Context, Context* (*kCreate)(), size_t (*kFree)(Context*)>
Context* ThreadContext() {
  struct Holder {
    Context* context = kCreate();
    ~Holder() { kFree(context); }
  };
  thread_local Holder holder;
  return holder.context;
}

Status DecompressZstd(std::string_view in, size_t raw_size, std::string* out) {
  constexpr Compression c = Compression::kZstd;
  // Check the frame's declared size before allocating for it. Compress writes one frame that
  // records its content size.
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return CompressionCorruption(c, "malformed frame");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return CompressionCorruption(c, "frame holds " + std::to_string(declared) +
                                        " bytes, expected " + std::to_string(raw_size));
  }
  out->resize(raw_size);
  ZSTD_DCtx* context = ThreadContext<ZSTD_DCtx, ZSTD_createDCtx, ZSTD_freeDCtx>();
  const size_t n =
      context != nullptr
          ? ZSTD_decompressDCtx(context, out->data(), raw_size, in.data(), in.size())
          : ZSTD_decompress(out->data(), raw_size, in.data(), in.size());
  if (ZSTD_isError(n)) {
    out->clear();
    return CompressionCorruption(c, std::string("malformed input: ") + ZSTD_getErrorName(n));
  }
  if (n != raw_size) {
    out->clear();
    return CompressionCorruption(
        c, "decompressed " + std::to_string(n) + " bytes, expected " + std::to_string(raw_size));
  }
  return Status::OK();
}

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

Status Compress(Compression c, std::string_view in, std::string* out, int zstd_level) {
  const size_t start = out->size();
  switch (c) {
    case Compression::kNone:
      out->append(in);
      return Status::OK();
    case Compression::kLz4: {
      if (in.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
        return Status::InvalidArgument("lz4: block of " + std::to_string(in.size()) +
                                       " bytes exceeds LZ4_MAX_INPUT_SIZE");
      }
      const int bound = LZ4_compressBound(static_cast<int>(in.size()));
      out->resize(start + static_cast<size_t>(bound));
      const int n =
          LZ4_compress_default(in.data(), out->data() + start, static_cast<int>(in.size()), bound);
      if (n <= 0) {
        out->resize(start);
        return Status::Internal("lz4: compression failed");
      }
      out->resize(start + static_cast<size_t>(n));
      return Status::OK();
    }
    case Compression::kZstd: {
      const size_t bound = ZSTD_compressBound(in.size());
      out->resize(start + bound);
      ZSTD_CCtx* context = ThreadContext<ZSTD_CCtx, ZSTD_createCCtx, ZSTD_freeCCtx>();
      const size_t n =
          context != nullptr
              ? ZSTD_compressCCtx(context, out->data() + start, bound, in.data(), in.size(),
                                  zstd_level)
              : ZSTD_compress(out->data() + start, bound, in.data(), in.size(), zstd_level);
      if (ZSTD_isError(n)) {
        out->resize(start);
        return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
      }
      out->resize(start + n);
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown compression " + std::to_string(static_cast<int>(c)));
}

Status Decompress(Compression c, std::string_view in, size_t raw_size, std::string* out) {
  switch (c) {
    case Compression::kNone:
      if (in.size() != raw_size) {
        out->clear();
        return CompressionCorruption(c, "stored " + std::to_string(in.size()) +
                                            " bytes, expected " + std::to_string(raw_size));
      }
      out->assign(in);
      return Status::OK();
    case Compression::kLz4:
      return DecompressLz4(in, raw_size, out);
    case Compression::kZstd:
      return DecompressZstd(in, raw_size, out);
  }
  out->clear();
  return Status::Corruption("block compression: unknown compression id " +
                            std::to_string(static_cast<int>(c)));
}

}  // namespace strata::engine::codec
