// GGUF reader and writer: round trips, the golden models (tensors.json
// produced by the reference tools), byte-identical re-writing.
#include "engine/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/gguf_writer.h"
#include "engine/sha256.h"

namespace bitgate::engine {
namespace {

const char* const kGoldenModels[] = {"tiny-bitnet-tq2_0", "tiny-bitnet-tq1_0", "tiny-bitnet-f32"};

std::string GoldenPath(const std::string& model, const std::string& ext) {
  return std::string(BITGATE_TEST_DATA) + "/golden/models/" + model + ext;
}

nlohmann::json LoadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

GgufWriter MakeSampleWriter() {
  GgufWriter w;
  auto& md = w.metadata();
  md.Set("general.architecture", GgufValue::String("bitnet"));
  md.Set("test.u8", GgufValue::U8(200));
  md.Set("test.i8", GgufValue::I8(-100));
  md.Set("test.u16", GgufValue::U16(60000));
  md.Set("test.i16", GgufValue::I16(-30000));
  md.Set("test.u32", GgufValue::U32(4000000000u));
  md.Set("test.i32", GgufValue::I32(-2000000000));
  md.Set("test.u64", GgufValue::U64(18000000000000000000ull));
  md.Set("test.i64", GgufValue::I64(-9000000000000000000ll));
  md.Set("test.f32", GgufValue::F32(1.5f));
  md.Set("test.f64", GgufValue::F64(-2.25));
  md.Set("test.bool", GgufValue::Bool(true));
  md.Set("test.str", GgufValue::String(std::string("h\xc3\xa9llo\0x", 8)));
  md.Set("test.strs", GgufValue::StringArray({"a", "", "\xe2\x96\x81the"}));
  const int32_t ints[] = {1, -2, 3};
  md.Set("test.i32s", GgufValue::I32Array(ints));
  const float floats[] = {0.5f, -1.0f};
  md.Set("test.f32s", GgufValue::F32Array(floats));
  md.Set("test.empty", GgufValue::StringArray({}));
  md.Set("general.alignment", GgufValue::U32(64));
  std::vector<uint8_t> f32(4 * 3 * 2);
  for (size_t i = 0; i < f32.size(); ++i) f32[i] = static_cast<uint8_t>(i);
  EXPECT_TRUE(w.AddTensor("a", {3, 2}, kernels::Format::kF32, f32).ok());
  std::vector<uint8_t> tq2(66 * 2, 0x55);
  EXPECT_TRUE(w.AddTensor("b.weight", {256, 2, 1}, kernels::Format::kTQ2_0, tq2).ok());
  std::vector<uint8_t> f16(2 * 5, 7);
  EXPECT_TRUE(w.AddTensor("c", {5}, kernels::Format::kF16, f16).ok());
  return w;
}

TEST(GgufRoundTrip, AllValueTypesAndTensors) {
  GgufWriter w = MakeSampleWriter();
  auto buf = w.WriteToBuffer();
  ASSERT_TRUE(buf.ok()) << buf.status().message();
  auto f = GgufFile::FromBuffer(*buf);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_TRUE(f->metadata() == w.metadata());
  const auto& md = f->metadata();
  EXPECT_EQ(*md.GetU32("test.u32"), 4000000000u);
  EXPECT_EQ(*md.GetI32("test.i32"), -2000000000);
  EXPECT_EQ(*md.GetI64("test.i64"), -9000000000000000000ll);
  EXPECT_EQ(*md.GetU64("test.u64"), 18000000000000000000ull);
  EXPECT_EQ(*md.GetI32("test.i8"), -100);
  EXPECT_EQ(*md.GetU32("test.u16"), 60000u);
  EXPECT_FLOAT_EQ(*md.GetF32("test.f32"), 1.5f);
  EXPECT_DOUBLE_EQ(*md.GetF64("test.f64"), -2.25);
  EXPECT_TRUE(*md.GetBool("test.bool"));
  EXPECT_EQ(*md.GetString("test.str"), std::string("h\xc3\xa9llo\0x", 8));
  auto strs = md.GetStringArray("test.strs");
  ASSERT_TRUE(strs.ok());
  ASSERT_EQ(strs->size(), 3u);
  EXPECT_EQ((*strs)[2], "\xe2\x96\x81the");
  EXPECT_EQ(*md.GetI32Array("test.i32s"), (std::vector<int32_t>{1, -2, 3}));
  EXPECT_EQ(*md.GetF32Array("test.f32s"), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(md.GetStringArray("test.empty")->size(), 0u);

  ASSERT_EQ(f->tensors().size(), 3u);
  const auto* b = f->FindTensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->format, kernels::Format::kTQ2_0);
  EXPECT_EQ(b->ggml_type, 35);
  EXPECT_EQ(b->ne, (std::vector<int64_t>{256, 2, 1}));
  EXPECT_EQ(b->rows, 2);
  EXPECT_EQ(b->cols, 256);
  EXPECT_EQ(b->n_bytes, 132);
  EXPECT_EQ(b->file_offset % 64, 0u);
  EXPECT_EQ(b->data[0], 0x55);
  EXPECT_EQ(b->data.data(), f->raw_data() + b->file_offset);
  EXPECT_EQ(f->FindTensor("a")->data[5], 5);
  EXPECT_EQ(f->FindTensor("zzz"), nullptr);
  EXPECT_NE(f->GetTensor("zzz").status().message().find("missing tensor zzz"), std::string::npos);

  // Write again from what was read: identical bytes.
  GgufWriter w2;
  ASSERT_TRUE(w2.CopyFrom(*f).ok());
  auto buf2 = w2.WriteToBuffer();
  ASSERT_TRUE(buf2.ok());
  EXPECT_EQ(*buf, *buf2);
}

TEST(GgufMetadata, AccessorErrorsNameKeyAndTypes) {
  GgufWriter w = MakeSampleWriter();
  const auto& md = w.metadata();
  EXPECT_EQ(md.GetU32("nope").status().message(), "missing key nope");
  EXPECT_EQ(md.GetU32("test.str").status().message(), "key test.str has type string, expected u32");
  EXPECT_EQ(md.GetString("test.u32").status().message(), "key test.u32 has type u32, expected string");
  EXPECT_EQ(md.GetStringArray("test.i32s").status().message(),
            "key test.i32s has type array[i32], expected array[string]");
  EXPECT_FALSE(md.GetU32("test.i32").ok());  // negative does not fit u32
  EXPECT_FALSE(md.GetI32("test.u32").ok());  // 4e9 does not fit i32
  EXPECT_EQ(*md.GetU32Or("absent", 7), 7u);
  EXPECT_FALSE(md.GetU32Or("test.str", 7).ok());
  GgufMetadata m2;
  EXPECT_TRUE(m2.Add("k", GgufValue::U8(1)).ok());
  EXPECT_FALSE(m2.Add("k", GgufValue::U8(2)).ok());
  EXPECT_EQ(md.Find("test.strs")->ToDisplayString(2), "[\"a\", \"\", ... (3 total)]");
}

// An f64 read as f32 beyond the f32 range is an error: the conversion is
// undefined (in practice +-inf, which the model's checks then had to catch).
TEST(GgufMetadata, F64OutsideTheF32RangeIsAnError) {
  GgufMetadata md;
  md.Set("big", GgufValue::F64(1e300));
  md.Set("fits", GgufValue::F64(-2.25));
  const double values[] = {0.5, -1e40};
  std::vector<uint8_t> raw(sizeof values);
  std::memcpy(raw.data(), values, sizeof values);
  md.Set("arr", GgufValue::ScalarArray(GgufType::kF64, raw));
  EXPECT_EQ(md.GetF32("big").status().message(), "key big: f64 value 1e+300 is outside the f32 range");
  EXPECT_EQ(*md.GetF32("fits"), -2.25f);
  EXPECT_EQ(md.GetF32Array("arr").status().message(), "key arr[1]: f64 value -1e+40 is outside the f32 range");
}

TEST(GgufWriter, RejectsBadTensors) {
  GgufWriter w;
  std::vector<uint8_t> small(10);
  EXPECT_FALSE(w.AddTensor("x", {3, 2}, kernels::Format::kF32, small).ok());
  EXPECT_FALSE(w.AddTensor("x", {100}, kernels::Format::kTQ2_0, std::vector<uint8_t>(66)).ok());
  EXPECT_FALSE(w.AddTensor("x", {1, 1, 1, 1, 1}, kernels::Format::kF32, std::vector<uint8_t>(4)).ok());
  ASSERT_TRUE(w.AddTensor("x", {1}, kernels::Format::kF32, std::vector<uint8_t>(4)).ok());
  EXPECT_FALSE(w.AddTensor("x", {1}, kernels::Format::kF32, std::vector<uint8_t>(4)).ok());
  w.metadata().Set("general.alignment", GgufValue::U32(24));
  EXPECT_FALSE(w.WriteToBuffer().ok());
}

TEST(GgufWriter, WriteFileIsAtomicAndReadable) {
  GgufWriter w = MakeSampleWriter();
  const std::string path = ::testing::TempDir() + "/bitgate_gguf_writer_test-" + std::to_string(getpid()) + ".gguf";
  ASSERT_TRUE(w.WriteFile(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->tensors().size(), 3u);
  // No temp file left behind.
  EXPECT_NE(access((path + ".tmp." + std::to_string(getpid())).c_str(), F_OK), 0);
  std::remove(path.c_str());
  auto missing = GgufFile::Open(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot open"), std::string::npos);
}

class GoldenModelTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenModelTest, TensorsMatchTensorsJson) {
  const std::string model = GetParam();
  const nlohmann::json j = LoadJson(GoldenPath(model, ".tensors.json"));
  auto f = GgufFile::Open(GoldenPath(model, ".gguf"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->size(), j["file_size"].get<uint64_t>());
  EXPECT_EQ(Sha256Hex(f->bytes()), j["file_sha256"].get<std::string>());
  EXPECT_EQ(f->version(), j["gguf_version"].get<uint32_t>());
  EXPECT_EQ(f->alignment(), j["alignment"].get<uint32_t>());
  EXPECT_EQ(f->data_offset(), j["data_section_offset"].get<uint64_t>());
  EXPECT_EQ(f->metadata().size(), j["metadata"]["GGUF.kv_count"].get<size_t>());
  // Every non-tokenizer scalar in the JSON header matches our metadata.
  for (const auto& [key, value] : j["metadata"].items()) {
    if (key.rfind("GGUF.", 0) == 0) continue;
    const GgufValue* v = f->metadata().Find(key);
    ASSERT_NE(v, nullptr) << key;
    if (value.is_string()) {
      EXPECT_EQ(*f->metadata().GetString(key), value.get<std::string>()) << key;
    } else if (value.is_number_float()) {
      EXPECT_EQ(*f->metadata().GetF64(key), value.get<double>()) << key;
    } else {
      EXPECT_EQ(*f->metadata().GetI64(key), value.get<int64_t>()) << key;
    }
  }
  const auto& tensors = j["tensors"];
  ASSERT_EQ(f->tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& jt = tensors[i];
    const GgufTensorInfo& t = f->tensors()[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, jt["name"].get<std::string>());
    EXPECT_EQ(t.ne, jt["ne"].get<std::vector<int64_t>>());
    EXPECT_EQ(t.ggml_type, jt["ggml_type_id"].get<int>());
    EXPECT_EQ(t.n_elements, jt["n_elements"].get<int64_t>());
    EXPECT_EQ(t.file_offset, jt["data_offset"].get<uint64_t>());
    EXPECT_EQ(t.n_bytes, jt["n_bytes"].get<int64_t>());
    EXPECT_EQ(Sha256Hex(t.data), jt["sha256_raw"].get<std::string>());
  }
  // Shape-checked lookup, as a model loader uses it.
  EXPECT_TRUE(f->GetTensor("blk.0.attn_k.weight", {256, 128}).ok());
  EXPECT_TRUE(f->GetTensor("output_norm.weight", {256, 1}).ok());
  EXPECT_EQ(f->GetTensor("blk.0.attn_k.weight", {256, 256}).status().message(),
            "tensor 'blk.0.attn_k.weight' has shape [256, 128], expected [256, 256]");
  EXPECT_EQ(f->GetTensor("output.weight", {256, 327}).status().message(), "missing tensor output.weight");
  // The tokenizer keys are there for the tokenizer tests.
  EXPECT_EQ(*f->metadata().GetString("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(f->metadata().GetStringArray("tokenizer.ggml.tokens")->size(), 327u);
}

TEST_P(GoldenModelTest, RewriteIsByteIdentical) {
  const std::string path = GoldenPath(GetParam(), ".gguf");
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  GgufWriter w;
  ASSERT_TRUE(w.CopyFrom(*f).ok());
  auto out = w.WriteToBuffer();
  ASSERT_TRUE(out.ok()) << out.status().message();
  const std::vector<uint8_t> original = ReadAll(path);
  ASSERT_EQ(out->size(), original.size());
  EXPECT_TRUE(*out == original);
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenModelTest, ::testing::ValuesIn(kGoldenModels),
                         [](const auto& param_info) {
                           std::string s = param_info.param;
                           for (char& c : s) if (c == '-') c = '_';
                           return s;
                         });

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  EXPECT_EQ(Sha256Hex({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace bitgate::engine
