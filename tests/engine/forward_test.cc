// The forward pass against llama.cpp's logits for the golden tiny models,
// plus cache, batching and threading invariants.
//
// Tolerances (tests/data/golden/README.md): llama.cpp quantizes TQ
// activations to q8_K per 256-block and keeps an f16 KV cache; we quantize
// per token row and keep f32, so TQ logits may differ by up to ~0.1 (limit
// 0.15) with argmax agreeing on at least 15 of 16 positions; the F32 model
// has no activation quantization and must agree within 5e-3.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "engine/forward.h"
#include "engine/model.h"
#include "engine/gguf_writer.h"
#include "kernels/quant.h"

#include <functional>

namespace bitgate::engine {
namespace {

const std::vector<int32_t> kTokens = {1, 312, 288, 325, 317, 40, 50, 60, 70, 300, 301, 302, 303, 5, 6, 7};

std::string ModelPath(const std::string& name) {
  return std::string(BITGATE_TEST_DATA) + "/golden/models/" + name;
}

std::vector<float> ReadLogits(const std::string& name) {
  std::ifstream in(ModelPath(name), std::ios::binary);
  std::vector<float> v(16 * 327);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  EXPECT_TRUE(in.good()) << name;
  return v;
}

int Argmax(const float* row, int n) {
  return static_cast<int>(std::max_element(row, row + n) - row);
}

std::vector<float> RunAll(const Model& m, int threads) {
  ThreadPool pool(threads);
  Session s(m, &pool, 64);
  std::vector<float> logits;
  EXPECT_TRUE(s.Eval(kTokens, true, &logits).ok());
  return logits;
}

struct GoldenCase {
  const char* model;
  double max_diff;
  int min_argmax_agree;
};

class GoldenLogits : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenLogits, MatchLlamaCpp) {
  const GoldenCase c = GetParam();
  auto m = Model::Load(ModelPath(std::string(c.model) + ".gguf"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const auto ref = ReadLogits(std::string(c.model) + ".logits.f32");
  const auto got = RunAll(**m, 1);
  ASSERT_EQ(got.size(), ref.size());
  double max_diff = 0;
  int agree = 0;
  for (int t = 0; t < 16; ++t) {
    for (int v = 0; v < 327; ++v) max_diff = std::max(max_diff, std::fabs(double(got[t * 327 + v]) - ref[t * 327 + v]));
    agree += Argmax(&got[t * 327], 327) == Argmax(&ref[t * 327], 327);
  }
  std::printf("%s: max |diff| %.5f, argmax agree %d/16\n", c.model, max_diff, agree);
  EXPECT_LE(max_diff, c.max_diff);
  EXPECT_GE(agree, c.min_argmax_agree);
}

INSTANTIATE_TEST_SUITE_P(Tiny, GoldenLogits,
                         ::testing::Values(GoldenCase{"tiny-bitnet-tq2_0", 0.15, 15},
                                           GoldenCase{"tiny-bitnet-tq1_0", 0.15, 15},
                                           GoldenCase{"tiny-bitnet-f32", 5e-3, 15}),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) {
                           std::string s = p.param.model;
                           for (char& ch : s) ch = (ch == '-') ? '_' : ch;
                           return s;
                         });

TEST(Forward, IncrementalDecodingEqualsFullRecompute) {
  auto m = Model::Load(ModelPath("tiny-bitnet-tq2_0.gguf"));
  ASSERT_TRUE(m.ok());
  const auto full = RunAll(**m, 1);
  ThreadPool pool(1);
  Session s(**m, &pool, 64);
  std::vector<float> logits;
  // first 10 tokens as one batch, then one at a time
  ASSERT_TRUE(s.Eval(std::span(kTokens).first(10), true, &logits).ok());
  for (int t = 0; t < 10; ++t)
    for (int v = 0; v < 327; ++v) ASSERT_EQ(logits[t * 327 + v], full[t * 327 + v]) << t << " " << v;
  for (int t = 10; t < 16; ++t) {
    ASSERT_TRUE(s.Eval(std::span(kTokens).subspan(t, 1), false, &logits).ok());
    for (int v = 0; v < 327; ++v) ASSERT_NEAR(logits[v], full[t * 327 + v], 1e-4) << t << " " << v;
  }
}

TEST(Forward, IdenticalForAnyThreadCount) {
  auto m = Model::Load(ModelPath("tiny-bitnet-tq2_0.gguf"));
  ASSERT_TRUE(m.ok());
  const auto one = RunAll(**m, 1);
  EXPECT_EQ(one, RunAll(**m, 2));
  EXPECT_EQ(one, RunAll(**m, 3));
}

TEST(Forward, RepackedWeightsStayClose) {
  for (auto f : {kernels::Format::kI2_S, kernels::Format::kI2S, kernels::Format::kTL1, kernels::Format::kTL2}) {
    LoadOptions opts;
    opts.weights_format = f;
    auto m = Model::Load(ModelPath("tiny-bitnet-tq2_0.gguf"), opts);
    ASSERT_TRUE(m.ok()) << m.status().message();
    const auto ref = ReadLogits("tiny-bitnet-tq2_0.logits.f32");
    const auto got = RunAll(**m, 2);
    double max_diff = 0;
    for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(got[i]) - ref[i]));
    // The golden weights are one magnitude per tensor, so every format
    // represents them exactly; only activation handling differs.
    EXPECT_LE(max_diff, 0.15) << kernels::FormatName(f);
  }
}

TEST(Forward, ContextOverflowAndBadTokensAreErrors) {
  auto m = Model::Load(ModelPath("tiny-bitnet-tq2_0.gguf"));
  ASSERT_TRUE(m.ok());
  ThreadPool pool(1);
  Session s(**m, &pool, 8);
  std::vector<float> logits;
  EXPECT_FALSE(s.Eval(kTokens, false, &logits).ok());
  const std::vector<int32_t> bad = {1, 99999};
  const Status st = s.Eval(bad, false, &logits);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("outside the vocabulary"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace bitgate::engine

namespace bitgate::engine {
namespace {

// Rewrites the golden TQ2_0 model with one change; returns the new file's
// path (the caller removes it).
std::string WriteVariant(const std::function<void(const GgufFile&, GgufWriter*)>& edit, bool copy_tensors = true) {
  auto src = GgufFile::Open(ModelPath("tiny-bitnet-tq2_0.gguf"));
  EXPECT_TRUE(src.ok());
  GgufWriter w;
  for (const auto& [k, v] : src->metadata().entries()) w.metadata().Set(k, v);
  if (copy_tensors) {
    for (const auto& t : src->tensors()) {
      EXPECT_TRUE(w.AddTensorRef(t.name, t.ne, t.format, t.data).ok());
    }
  }
  edit(*src, &w);
  // ctest runs every test as its own process, two at a time: one file each.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path =
      ::testing::TempDir() + "variant-" + info->name() + "-" + std::to_string(getpid()) + ".gguf";
  EXPECT_TRUE(w.WriteFile(path).ok());
  return path;
}

// The same, loaded: the load's status.
Status LoadVariant(const std::function<void(const GgufFile&, GgufWriter*)>& edit, bool copy_tensors = true) {
  const std::string path = WriteVariant(edit, copy_tensors);
  auto m = Model::Load(path);
  Status result = m.ok() ? Status::Ok() : m.status();
  m = Status::Error("unloaded");  // unmap before the file goes
  std::remove(path.c_str());
  return result;
}

// Every tensor of `src` copied, `name`'s bytes passed through `change`.
// `t` as F16 with its first weight +Inf (row 0, column 0).
std::vector<uint8_t> F16WithInf(const GgufTensorInfo& t) {
  std::vector<float> x(static_cast<size_t>(t.rows * t.cols));
  EXPECT_TRUE(kernels::Dequantize(t.format, t.data, t.rows, t.cols, x.data()).ok());
  x[0] = std::numeric_limits<float>::infinity();
  std::vector<uint8_t> bytes(x.size() * 2);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint16_t h = kernels::FloatToHalf(x[i]);
    std::memcpy(bytes.data() + 2 * i, &h, 2);
  }
  return bytes;
}

void CopyChanging(const GgufFile& src, GgufWriter* w, const std::string& name,
                  const std::function<void(const GgufTensorInfo&, GgufWriter*)>& change) {
  bool found = false;
  for (const auto& t : src.tensors()) {
    if (t.name == name) {
      change(t, w);
      found = true;
    } else {
      ASSERT_TRUE(w->AddTensorRef(t.name, t.ne, t.format, t.data).ok());
    }
  }
  ASSERT_TRUE(found) << name;
}

void ExpectLoadError(const Status& s, const std::string& needle) {
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(ModelBadInput, MissingKeyIsNamed) {
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) { w->metadata().Erase("bitnet.block_count"); }),
                  "bitnet.block_count");
}

TEST(ModelBadInput, UnknownArchitectureIsRejected) {
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) {
                    w->metadata().Set("general.architecture", GgufValue::String("llama"));
                  }),
                  "not a BitNet b1.58 architecture");
}

TEST(ModelBadInput, InconsistentHeadsAreRejected) {
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) {
                    w->metadata().Set("bitnet.attention.head_count_kv", GgufValue::U32(3));
                  }),
                  "head_count_kv");
}

TEST(ModelBadInput, MissingTensorIsNamed) {
  ExpectLoadError(LoadVariant(
                      [](const GgufFile& src, GgufWriter* w) {
                        for (const auto& t : src.tensors()) {
                          if (t.name != "blk.1.ffn_down.weight") {
                            ASSERT_TRUE(w->AddTensorRef(t.name, t.ne, t.format, t.data).ok());
                          }
                        }
                      },
                      /*copy_tensors=*/false),
                  "blk.1.ffn_down.weight");
}

TEST(ModelBadInput, MismatchedShapeIsNamed) {
  ExpectLoadError(LoadVariant(
                      [](const GgufFile& src, GgufWriter* w) {
                        for (const auto& t : src.tensors()) {
                          auto ne = t.ne;
                          if (t.name == "blk.0.ffn_up.weight") ne = {512, 256};  // transposed: same bytes
                          ASSERT_TRUE(w->AddTensorRef(t.name, ne, t.format, t.data).ok());
                        }
                      },
                      /*copy_tensors=*/false),
                  "blk.0.ffn_up.weight");
}

TEST(ModelBadInput, HugeDimensionsAreOutOfRange) {
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) {
                    w->metadata().Set("bitnet.embedding_length", GgufValue::U64(uint64_t{1} << 40));
                  }),
                  "out of range");
}

}  // namespace
}  // namespace bitgate::engine

namespace bitgate::engine {
namespace {

TEST(ModelBadInput, NonFiniteNormWeightIsRejected) {
  ExpectLoadError(LoadVariant(
                      [](const GgufFile& src, GgufWriter* w) {
                        for (const auto& t : src.tensors()) {
                          if (t.name == "output_norm.weight") {
                            std::vector<uint8_t> bad(t.data.begin(), t.data.end());
                            const float inf = INFINITY;
                            std::memcpy(bad.data() + 8, &inf, 4);
                            ASSERT_TRUE(w->AddTensor(t.name, t.ne, t.format, std::move(bad)).ok());
                          } else {
                            ASSERT_TRUE(w->AddTensorRef(t.name, t.ne, t.format, t.data).ok());
                          }
                        }
                      },
                      /*copy_tensors=*/false),
                  "output_norm.weight' element 2 is not finite");
}

// An infinite RMS epsilon zeroed every logit, an infinite RoPE base every
// rotation; both loaded and "generated". The key and the file are named.
TEST(ModelBadInput, NonFiniteEpsilonAndRopeBaseAreRejected) {
  for (const char* key : {"bitnet.attention.layer_norm_rms_epsilon", "bitnet.rope.freq_base"}) {
    const Status inf =
        LoadVariant([&](const GgufFile&, GgufWriter* w) { w->metadata().Set(key, GgufValue::F32(INFINITY)); });
    ExpectLoadError(inf, std::string("metadata key ") + key + " = inf must be finite and > 0");
    ExpectLoadError(inf, "variant-NonFiniteEpsilonAndRopeBaseAreRejected");  // the file
    const Status zero =
        LoadVariant([&](const GgufFile&, GgufWriter* w) { w->metadata().Set(key, GgufValue::F32(0.0f)); });
    ExpectLoadError(zero, std::string("metadata key ") + key + " = 0.000000 must be finite and > 0");
  }
}

}  // namespace
}  // namespace bitgate::engine

namespace bitgate::engine {
namespace {

// A NaN tensor scale (I2_S keeps one f32 for the whole tensor) made every
// output of the projection NaN, and the next quantizer read NaN as 0: the
// layer's attention silently dropped out. It is a load error now.
TEST(ModelBadInput, NonFiniteTensorScaleIsRejected) {
  ExpectLoadError(
      LoadVariant(
          [](const GgufFile& src, GgufWriter* w) {
            CopyChanging(src, w, "blk.0.attn_q.weight", [](const GgufTensorInfo& t, GgufWriter* out) {
              std::vector<float> x(static_cast<size_t>(t.rows * t.cols));
              ASSERT_TRUE(kernels::Dequantize(t.format, t.data, t.rows, t.cols, x.data()).ok());
              std::vector<uint8_t> bytes(static_cast<size_t>(*kernels::TensorBytes(kernels::Format::kI2_S, t.rows, t.cols)));
              ASSERT_TRUE(kernels::Quantize(kernels::Format::kI2_S, x.data(), t.rows, t.cols, bytes).ok());
              const float nan = NAN;
              std::memcpy(bytes.data() + bytes.size() - 32, &nan, 4);
              ASSERT_TRUE(out->AddTensor(t.name, t.ne, kernels::Format::kI2_S, std::move(bytes)).ok());
            });
          },
          /*copy_tensors=*/false),
      "blk.0.attn_q.weight': its i2_s tensor scale (f32 at file offset ");
}

// The vocabulary size comes from <arch>.vocab_size or, without that key,
// the token list: a mismatch with the embedding names the one it used.
TEST(ModelBadInput, VocabularyMismatchNamesItsSource) {
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) {
                    w->metadata().Set("bitnet.vocab_size", GgufValue::U32(100));
                  }),
                  "token_embd.weight has 327 rows but the vocabulary (bitnet.vocab_size) has 100");
  ExpectLoadError(LoadVariant([](const GgufFile&, GgufWriter* w) {
                    w->metadata().Erase("bitnet.vocab_size");
                    w->metadata().Set("tokenizer.ggml.tokens", GgufValue::StringArray(std::vector<std::string>(100, "x")));
                  }),
                  "token_embd.weight has 327 rows but the vocabulary (the length of tokenizer.ggml.tokens) has 100");
}

// A NaN block scale (TQ2_0: an f16 per 256 weights) cannot be screened at
// load without reading every block; the forward pass stops at the next
// quantized input instead of reading the NaN outputs as 0, and names it.
TEST(Forward, NonFiniteActivationIsAnError) {
  const std::string path = WriteVariant(
      [](const GgufFile& src, GgufWriter* w) {
        // An infinite F16 weight: a NaN or Inf block scale would be refused
        // at load (ANonFiniteBlockScaleIsRefusedAtLoad), a weight value is
        // not, and this check is what stops it.
        CopyChanging(src, w, "blk.0.ffn_up.weight", [](const GgufTensorInfo& t, GgufWriter* out) {
          ASSERT_TRUE(out->AddTensor(t.name, t.ne, kernels::Format::kF16, F16WithInf(t)).ok());
        });
      },
      /*copy_tensors=*/false);
  {
    auto m = Model::Load(path);
    ASSERT_TRUE(m.ok()) << m.status().message();
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      Session s(**m, &pool, 64);
      std::vector<float> logits;
      const Status st = s.Eval(kTokens, true, &logits);
      ASSERT_FALSE(st.ok());
      EXPECT_NE(st.message().find("non-finite input to blk.0.ffn_down (batch row 0, element "), std::string::npos)
          << st.message();
    }
  }
  std::remove(path.c_str());
}

// The output head has no projection after it: a non-finite weight there
// gave non-finite logits that the sampler skipped. Its output is checked.
TEST(Forward, NonFiniteHeadOutputIsAnError) {
  const std::string path = WriteVariant([](const GgufFile& src, GgufWriter* w) {
    const GgufTensorInfo* e = src.FindTensor("token_embd.weight");
    ASSERT_NE(e, nullptr);
    ASSERT_TRUE(w->AddTensor("output.weight", e->ne, kernels::Format::kF16, F16WithInf(*e)).ok());
  });
  {
    auto m = Model::Load(path);
    ASSERT_TRUE(m.ok()) << m.status().message();
    ThreadPool pool(2);
    Session s(**m, &pool, 64);
    std::vector<float> logits;
    const Status st = s.Eval(kTokens, false, &logits);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("non-finite output of the output head (batch row 0, token id 0 = "), std::string::npos)
        << st.message();
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bitgate::engine
