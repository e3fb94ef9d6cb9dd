// Hostile and damaged GGUF input: every case must give a clear error (a
// message naming the problem), never a crash or a huge allocation. Run
// under the sanitize preset too.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "engine/gguf.h"

namespace bitgate::engine {
namespace {

std::vector<uint8_t> ReadGolden(const std::string& name) {
  std::ifstream in(std::string(BITGATE_TEST_DATA) + "/golden/models/" + name, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Emits GGUF bytes field by field, with any values (valid or not).
class RawGguf {
 public:
  template <typename T>
  RawGguf& Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
    return *this;
  }
  RawGguf& Str(const std::string& s) {
    Put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  RawGguf& Header(int64_t n_tensors, int64_t n_kv, uint32_t version = 3) {
    return Put<uint32_t>(0x46554747).Put<uint32_t>(version).Put<int64_t>(n_tensors).Put<int64_t>(n_kv);
  }
  RawGguf& KvU32(const std::string& k, uint32_t v) { return Str(k).Put<int32_t>(4).Put<uint32_t>(v); }
  RawGguf& Tensor(const std::string& name, std::vector<int64_t> ne, int32_t type, uint64_t offset) {
    Str(name).Put<uint32_t>(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) Put<int64_t>(d);
    return Put<int32_t>(type).Put<uint64_t>(offset);
  }
  RawGguf& PadTo(size_t alignment) {
    while (bytes.size() % alignment) bytes.push_back(0);
    return *this;
  }
  RawGguf& Zeros(size_t n) {
    bytes.insert(bytes.end(), n, 0);
    return *this;
  }
  std::vector<uint8_t> bytes;
};

std::string ErrorOf(const std::vector<uint8_t>& bytes) {
  auto f = GgufFile::FromBuffer(bytes, /*copy=*/false);
  return f.ok() ? std::string("<ok>") : f.status().message();
}

#define EXPECT_ERROR_HAS(bytes, needle) \
  EXPECT_NE(ErrorOf(bytes).find(needle), std::string::npos) << ErrorOf(bytes)

TEST(GgufBadInput, ValidMinimalFileParses) {
  RawGguf g;
  g.Header(1, 1).KvU32("k", 1).Tensor("t", {4}, 0, 0).PadTo(32).Zeros(16);
  EXPECT_EQ(ErrorOf(g.bytes), "<ok>");
}

// A file without tensors has no data section: a writer may stop at the
// infos, unpadded, and the offset reported is then the file's end, never
// past it (the 24-byte file had reported 32).
TEST(GgufBadInput, NoTensorsNoDataSectionPastTheEnd) {
  RawGguf g;
  g.Header(0, 0);
  auto f = GgufFile::FromBuffer(g.bytes, /*copy=*/false);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->data_offset(), 24u);
  g.PadTo(32);
  auto padded = GgufFile::FromBuffer(g.bytes, /*copy=*/false);
  ASSERT_TRUE(padded.ok()) << padded.status().message();
  EXPECT_EQ(padded->data_offset(), 32u);
}

TEST(GgufBadInput, HeaderErrors) {
  EXPECT_ERROR_HAS(std::vector<uint8_t>{}, "header (magic)");
  EXPECT_ERROR_HAS((std::vector<uint8_t>{'G', 'G', 'U', 'X', 3, 0, 0, 0}), "bad magic");
  RawGguf v1;
  v1.Header(0, 0, 1);
  EXPECT_ERROR_HAS(v1.bytes, "version 1 is not supported");
  RawGguf v4;
  v4.Header(0, 0, 4);
  EXPECT_ERROR_HAS(v4.bytes, "unsupported GGUF version 4");
  RawGguf be;
  be.Header(0, 0, 0x03000000);
  EXPECT_ERROR_HAS(be.bytes, "big-endian");
  RawGguf v2;
  v2.Header(0, 0, 2);
  EXPECT_EQ(ErrorOf(v2.bytes), "<ok>");
  RawGguf many_kv;
  many_kv.Header(0, int64_t(1) << 60);
  EXPECT_ERROR_HAS(many_kv.bytes, "key/value count");
  RawGguf neg_tensors;
  neg_tensors.Header(-1, 0);
  EXPECT_ERROR_HAS(neg_tensors.bytes, "tensor count -1");
  RawGguf many_tensors;
  many_tensors.Header(int64_t(1) << 40, 0).Zeros(100);
  EXPECT_ERROR_HAS(many_tensors.bytes, "tensor count");
  // 24 bytes a tensor passes the header's bound; a tensor info needs 32 of
  // what the key/values leave, checked before the infos are read (the
  // count once sized the tensor vector: gigabytes from a file of 24 x N).
  RawGguf count_fits_header;
  count_fits_header.Header(10, 0).Zeros(240);
  EXPECT_ERROR_HAS(count_fits_header.bytes, "header: tensor count 10 cannot fit in the 240 bytes after the key/values");
}

TEST(GgufBadInput, MetadataErrors) {
  RawGguf long_key;
  long_key.Header(0, 1).Put<uint64_t>(~uint64_t(0)).Zeros(16);
  EXPECT_ERROR_HAS(long_key.bytes, "string length 18446744073709551615");
  RawGguf long_str;
  long_str.Header(0, 1).Str("name").Put<int32_t>(8).Put<uint64_t>(1000).Zeros(16);
  EXPECT_ERROR_HAS(long_str.bytes, "key 'name': string length 1000");
  RawGguf bad_type;
  bad_type.Header(0, 1).Str("k").Put<int32_t>(13).Zeros(16);
  EXPECT_ERROR_HAS(bad_type.bytes, "key 'k': unknown value type 13");
  RawGguf huge_array;
  huge_array.Header(0, 1).Str("arr").Put<int32_t>(9).Put<int32_t>(6).Put<uint64_t>(uint64_t(1) << 62).Zeros(16);
  EXPECT_ERROR_HAS(huge_array.bytes, "key 'arr': array of 4611686018427387904 f32 runs past end");
  RawGguf huge_str_array;
  huge_str_array.Header(0, 1).Str("toks").Put<int32_t>(9).Put<int32_t>(8).Put<uint64_t>(uint64_t(1) << 61).Zeros(16);
  EXPECT_ERROR_HAS(huge_str_array.bytes, "strings cannot fit");
  RawGguf nested;
  nested.Header(0, 1).Str("n").Put<int32_t>(9).Put<int32_t>(9).Put<uint64_t>(1).Zeros(16);
  EXPECT_ERROR_HAS(nested.bytes, "nested arrays");
  RawGguf dup;
  dup.Header(0, 2).KvU32("k", 1).KvU32("k", 2);
  EXPECT_ERROR_HAS(dup.bytes, "duplicate key 'k'");
  RawGguf bad_bool;
  bad_bool.Header(0, 1).Str("b").Put<int32_t>(7).Put<uint8_t>(2);
  EXPECT_ERROR_HAS(bad_bool.bytes, "bool value 2");
  RawGguf align_type;
  align_type.Header(0, 1).Str("general.alignment").Put<int32_t>(6).Put<float>(32.0f);
  EXPECT_ERROR_HAS(align_type.bytes, "general.alignment has type f32, expected u32");
  RawGguf align_pow2;
  align_pow2.Header(0, 1).KvU32("general.alignment", 48);
  EXPECT_ERROR_HAS(align_pow2.bytes, "general.alignment 48 is not a power of two of at least 8");
  // A power of two below 8 let a tensor sit at an odd offset, its f16
  // block scales then read misaligned (undefined behaviour).
  for (uint32_t small : {1u, 2u, 4u}) {
    RawGguf g;
    g.Header(0, 1).KvU32("general.alignment", small);
    EXPECT_ERROR_HAS(g.bytes, "general.alignment " + std::to_string(small) + " is not a power of two of at least 8");
  }
  RawGguf align8;
  align8.Header(0, 1).KvU32("general.alignment", 8);
  EXPECT_ERROR_HAS(align8.bytes, "<ok>");
}

TEST(GgufBadInput, TensorInfoErrors) {
  auto one = [](std::vector<int64_t> ne, int32_t type, uint64_t offset, size_t data = 64) {
    RawGguf g;
    g.Header(1, 0).Tensor("blk.0.attn_q.weight", std::move(ne), type, offset).PadTo(32).Zeros(data);
    return g.bytes;
  };
  EXPECT_ERROR_HAS(one({4}, 0, 0), "<ok>");
  {
    RawGguf g;
    g.Header(1, 0).Str("t").Put<uint32_t>(5);
    for (int i = 0; i < 5; ++i) g.Put<int64_t>(1);
    g.Put<int32_t>(0).Put<uint64_t>(0).PadTo(32).Zeros(32);
    EXPECT_ERROR_HAS(g.bytes, "tensor 't': n_dims 5 not in 1..4");
  }
  EXPECT_ERROR_HAS(one({}, 0, 0), "n_dims 0");
  EXPECT_ERROR_HAS(one({4, -1}, 0, 0), "negative dimension ne[1] = -1");
  EXPECT_ERROR_HAS(one({int64_t(1) << 32, int64_t(1) << 32}, 0, 0), "overflows 64-bit");
  EXPECT_ERROR_HAS(one({2, int64_t(1) << 31, int64_t(1) << 31, 4}, 0, 0), "overflows 64-bit");
  // Elements fit but bytes do not (f32: 4 bytes each).
  EXPECT_ERROR_HAS(one({int64_t(1) << 22, int64_t(1) << 40}, 0, 0), "overflows 64-bit");
  // Rows longer than the kernels take.
  EXPECT_ERROR_HAS(one({int64_t(1) << 31, 2}, 0, 0), "exceeds the kernels' limit of 4194304");
  EXPECT_ERROR_HAS(one({4}, 2, 0), "unsupported ggml tensor type 2");  // Q4_0
  EXPECT_ERROR_HAS(one({4}, 12345, 0), "unsupported ggml tensor type 12345");
  // bitgate's first I2S layout: refused by name, not decoded with today's layout
  EXPECT_ERROR_HAS(one({256}, 4096, 0), "tensor 'blk.0.attn_q.weight': bitgate's first I2S layout (type 4096)");
  EXPECT_ERROR_HAS(one({100}, 35, 0), "not a multiple of 256");
  EXPECT_ERROR_HAS(one({4}, 0, 7), "offset 7 is not a multiple of the alignment 32");
  EXPECT_ERROR_HAS(one({4}, 0, 64), "tensor 'blk.0.attn_q.weight': offset 64 + 16 bytes past end of file");
  EXPECT_ERROR_HAS(one({32}, 0, 0), "offset 0 + 128 bytes past end of file");
  EXPECT_ERROR_HAS(one({4}, 0, ~uint64_t(0) & ~uint64_t(31)), "past end of file");
  {
    RawGguf g;
    g.Header(2, 0).Tensor("a", {4}, 0, 0).Tensor("a", {4}, 0, 32).PadTo(32).Zeros(64);
    EXPECT_ERROR_HAS(g.bytes, "tensor 'a': duplicate tensor name");
  }
  {
    RawGguf g;
    g.Header(2, 0).Tensor("a", {16}, 0, 0).Tensor("b", {4}, 0, 32).PadTo(32).Zeros(128);
    EXPECT_ERROR_HAS(g.bytes, "tensor 'b' at offset 32 overlaps tensor 'a'");
  }
}

// Every prefix of a real file is rejected with a message, never a crash.
TEST(GgufBadInput, TruncatedGoldenFileAtManyCutPoints) {
  const std::vector<uint8_t> full = ReadGolden("tiny-bitnet-tq2_0.gguf");
  ASSERT_EQ(full.size(), 659712u);
  auto whole = GgufFile::FromBuffer(full, false);
  ASSERT_TRUE(whole.ok());
  const uint64_t header_end = whole->data_offset();
  int cuts = 0;
  for (uint64_t cut = 0; cut < full.size(); cut += (cut < header_end + 64 ? 1 : 997)) {
    auto f = GgufFile::FromBuffer(std::span<const uint8_t>(full.data(), cut), false);
    ASSERT_FALSE(f.ok()) << "cut at " << cut;
    ASSERT_FALSE(f.status().message().empty());
    ++cuts;
  }
  auto last = GgufFile::FromBuffer(std::span<const uint8_t>(full.data(), full.size() - 1), false);
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.status().message().find("blk.1.ffn_down.weight"), std::string::npos);
  EXPECT_GT(cuts, 9000);
}

// Byte mutations of the header and metadata: any outcome but a crash.
// Whatever parses must still have every tensor inside the file.
TEST(GgufBadInput, MutatedGoldenHeaderNeverCrashes) {
  std::vector<uint8_t> bytes = ReadGolden("tiny-bitnet-tq2_0.gguf");
  auto whole = GgufFile::FromBuffer(bytes, false);
  ASSERT_TRUE(whole.ok());
  const uint64_t header_end = whole->data_offset();
  const uint8_t kValues[] = {0x00, 0xff, 0x7f, 0x80};
  int errors = 0;
  for (uint64_t pos = 0; pos < header_end; ++pos) {
    const uint8_t saved = bytes[pos];
    for (uint8_t v : kValues) {
      if (v == saved) continue;
      bytes[pos] = v;
      auto f = GgufFile::FromBuffer(bytes, false);
      if (!f.ok()) {
        ++errors;
        ASSERT_FALSE(f.status().message().empty());
        continue;
      }
      for (const auto& t : f->tensors()) {
        ASSERT_LE(t.file_offset + t.data.size(), bytes.size()) << t.name;
      }
    }
    bytes[pos] = saved;
  }
  EXPECT_GT(errors, 1000);
}

}  // namespace
}  // namespace bitgate::engine
