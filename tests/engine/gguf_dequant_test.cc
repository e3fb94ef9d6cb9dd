// The golden models dequantize bit-exactly: every tensor read through
// GgufFile and kernels::Dequantize hashes to tensors.json's sha256_f32
// (the reference tools' float32 output), and the three files (F32, TQ1_0,
// TQ2_0) give identical weights.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/sha256.h"
#include "kernels/quant.h"

namespace bitgate::engine {
namespace {

std::string GoldenPath(const std::string& model, const std::string& ext) {
  return std::string(BITGATE_TEST_DATA) + "/golden/models/" + model + ext;
}

std::vector<float> DequantizeTensor(const GgufTensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.n_elements));
  const Status s = kernels::Dequantize(t.format, t.data, t.rows, t.cols, out.data());
  EXPECT_TRUE(s.ok()) << t.name << ": " << s.message();
  return out;
}

class GoldenDequantTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenDequantTest, Sha256F32MatchesTensorsJson) {
  const std::string model = GetParam();
  std::ifstream in(GoldenPath(model, ".tensors.json"));
  const nlohmann::json j = nlohmann::json::parse(in);
  auto f = GgufFile::Open(GoldenPath(model, ".gguf"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  for (const auto& jt : j["tensors"]) {
    const std::string name = jt["name"].get<std::string>();
    SCOPED_TRACE(name);
    auto t = f->GetTensor(name);
    ASSERT_TRUE(t.ok());
    const std::vector<float> values = DequantizeTensor(**t);
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(values.data()),
                                         values.size() * sizeof(float));
    EXPECT_EQ(Sha256Hex(bytes), jt["sha256_f32"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenDequantTest,
                         ::testing::Values("tiny-bitnet-tq2_0", "tiny-bitnet-tq1_0", "tiny-bitnet-f32"),
                         [](const auto& param_info) {
                           std::string s = param_info.param;
                           for (char& c : s) if (c == '-') c = '_';
                           return s;
                         });

TEST(GoldenDequant, AllThreeFilesHoldTheSameWeights) {
  auto f32 = GgufFile::Open(GoldenPath("tiny-bitnet-f32", ".gguf"));
  auto tq1 = GgufFile::Open(GoldenPath("tiny-bitnet-tq1_0", ".gguf"));
  auto tq2 = GgufFile::Open(GoldenPath("tiny-bitnet-tq2_0", ".gguf"));
  ASSERT_TRUE(f32.ok() && tq1.ok() && tq2.ok());
  for (const auto& t : f32->tensors()) {
    SCOPED_TRACE(t.name);
    const auto a = DequantizeTensor(t);
    EXPECT_EQ(a, DequantizeTensor(**tq1->GetTensor(t.name)));
    EXPECT_EQ(a, DequantizeTensor(**tq2->GetTensor(t.name)));
  }
}

}  // namespace
}  // namespace bitgate::engine
