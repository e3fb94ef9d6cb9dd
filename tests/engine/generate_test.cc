// Synthetic models, generation, receipts and the FP32 reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/forward.h"
#include "engine/generate.h"
#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/receipt.h"
#include "engine/reference_forward.h"
#include "engine/sha256.h"
#include "engine/synth.h"
#include "engine/tokenizer.h"
#include "engine/tokenizer_unicode.h"
#include "kernels/cpu.h"
#include "kernels/quant.h"

namespace bitgate::engine {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  return (fs::temp_directory_path() / ("bitgate_gen_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::vector<uint8_t> ReadAll(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Fixture {
  std::string path;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tok;
};

Fixture MakeTiny(kernels::Format f, uint64_t seed, const std::string& tag, const LoadOptions& load = {}) {
  Fixture fx;
  fx.path = TempPath(tag + ".gguf");
  SynthOptions so;
  so.preset = *FindSynthPreset("tiny");
  so.format = f;
  so.seed = seed;
  EXPECT_TRUE(SynthesizeModel(so, fx.path).ok());
  auto m = Model::Load(fx.path, load);
  EXPECT_TRUE(m.ok()) << m.status().message();
  fx.model = std::move(m).value();
  auto vocab = VocabFromMetadata(fx.model->file().metadata());
  EXPECT_TRUE(vocab.ok());
  auto tok = Tokenizer::Create(std::move(vocab).value());
  EXPECT_TRUE(tok.ok());
  fx.tok = std::make_unique<Tokenizer>(std::move(tok).value());
  return fx;
}

TEST(Synth, DeterministicForASeed) {
  const std::string a = TempPath("a.gguf"), b = TempPath("b.gguf"), c = TempPath("c.gguf");
  SynthOptions so;
  so.preset = *FindSynthPreset("tiny");
  so.format = kernels::Format::kTQ2_0;
  so.seed = 7;
  ASSERT_TRUE(SynthesizeModel(so, a).ok());
  ASSERT_TRUE(SynthesizeModel(so, b).ok());
  so.seed = 8;
  ASSERT_TRUE(SynthesizeModel(so, c).ok());
  EXPECT_EQ(ReadAll(a), ReadAll(b));
  EXPECT_NE(ReadAll(a), ReadAll(c));
  for (const auto& p : {a, b, c}) fs::remove(p);
}

TEST(Synth, EveryTernaryFormatLoadsAndHasAWorkingTokenizer) {
  for (auto f : {kernels::Format::kTQ2_0, kernels::Format::kTQ1_0, kernels::Format::kI2_S, kernels::Format::kI2S,
                 kernels::Format::kTL1, kernels::Format::kTL2}) {
    Fixture fx = MakeTiny(f, 1, kernels::FormatName(f));
    ASSERT_TRUE(fx.model);
    EXPECT_EQ(fx.model->weights_format(), f);
    EXPECT_EQ(fx.model->config().arch, "bitnet-b1.58");
    const std::string text = "The gate keeps every sample.";
    const auto ids = fx.tok->Encode(text);
    EXPECT_EQ(ids.front(), fx.tok->bos_id());
    EXPECT_EQ(fx.tok->Decode(ids), text);
    EXPECT_FALSE(SynthesizeModel({*FindSynthPreset("tiny"), kernels::Format::kF16, 1}, TempPath("x.gguf")).ok());
    fs::remove(fx.path);
  }
}

// A tensor the graph does not read (a Q bias, RoPE factors) would change
// what the model computes in its own engine: the model is refused, naming
// it, rather than run without it.
TEST(Generate, ATensorTheGraphDoesNotReadIsRefused) {
  const std::string path = TempPath("extra.gguf"), with_bias = TempPath("extra-bias.gguf");
  SynthOptions so;
  so.preset = *FindSynthPreset("tiny");
  so.format = kernels::Format::kTQ2_0;
  ASSERT_TRUE(SynthesizeModel(so, path).ok());
  ASSERT_TRUE(Model::Load(path, {}).ok());
  {
    auto file = GgufFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status().message();
    GgufWriter w;
    ASSERT_TRUE(w.CopyFrom(*file).ok());
    const int64_t n_embd = (*file->GetTensor("blk.0.attn_q.weight"))->rows;
    ASSERT_TRUE(w.AddTensor("blk.0.attn_q.bias", {n_embd}, kernels::Format::kF32,
                            std::vector<uint8_t>(static_cast<size_t>(4 * n_embd), 0))
                    .ok());
    ASSERT_TRUE(w.WriteFile(with_bias).ok());
  }
  auto m = Model::Load(with_bias, {});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("tensor 'blk.0.attn_q.bias' is not part of the BitNet b1.58 graph"),
            std::string::npos)
      << m.status().message();
  fs::remove(path);
  fs::remove(with_bias);
}

// An Inf or NaN f16 block scale is refused at load, naming the tensor and
// the file offset: the SIMD paths (per-lane scaling) and the scalar one
// (one multiply per block) had turned it into NaN and Inf respectively.
TEST(Generate, ANonFiniteBlockScaleIsRefusedAtLoad) {
  for (const auto f : {kernels::Format::kTQ2_0, kernels::Format::kTQ1_0, kernels::Format::kI2S}) {
    const std::string path = TempPath("scale.gguf"), bad = TempPath("scale-bad.gguf");
    SynthOptions so;
    so.preset = *FindSynthPreset("tiny");
    so.format = f;
    ASSERT_TRUE(SynthesizeModel(so, path).ok());
    ASSERT_TRUE(Model::Load(path, {}).ok());
    uint64_t offset = 0;
    {
      auto file = GgufFile::Open(path);
      ASSERT_TRUE(file.ok());
      const GgufTensorInfo& t = **file->GetTensor("blk.0.ffn_up.weight");
      ASSERT_EQ(t.format, f);
      auto none = kernels::FirstNonFiniteBlockScale(f, t.data, t.rows, t.cols);
      ASSERT_TRUE(none.ok() && !*none);
      // the second block's scale (I2S: the first row's second scale)
      offset = t.file_offset + (f == kernels::Format::kTQ2_0   ? 66 + 64
                                : f == kernels::Format::kTQ1_0 ? 54 + 52
                                                               : t.cols / 4 + 2);
    }
    fs::copy_file(path, bad, fs::copy_options::overwrite_existing);
    {
      std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
      io.seekp(static_cast<std::streamoff>(offset));
      const char inf[2] = {0x00, 0x7C};  // f16 +Inf, little-endian
      io.write(inf, 2);
    }
    auto m = Model::Load(bad, {});
    ASSERT_FALSE(m.ok()) << kernels::FormatName(f);
    EXPECT_NE(m.status().message().find("tensor 'blk.0.ffn_up.weight': the " + std::string(kernels::FormatName(f)) +
                                        " block scale at file offset " + std::to_string(offset) +
                                        " is f16 0x7c00, not finite"),
              std::string::npos)
        << m.status().message();
    fs::remove(path);
    fs::remove(bad);
  }
}

TEST(Generate, DeterministicForASeedAndAnyThreadCount) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 2, "det");
  GenerateOptions g;
  g.prompt = "Once upon a time";
  g.max_tokens = 24;
  g.stop_at_eos = false;
  g.sampler.temperature = 0.9f;
  g.sampler.seed = 42;
  ThreadPool one(1), two(2);
  auto a = Generate(*fx.model, *fx.tok, &one, g);
  auto b = Generate(*fx.model, *fx.tok, &two, g);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->output_tokens, b->output_tokens);
  EXPECT_EQ(a->output_tokens.size(), 24u);
  EXPECT_EQ(a->stop_reason, "max_tokens");
  g.sampler.seed = 43;
  auto c = Generate(*fx.model, *fx.tok, &one, g);
  EXPECT_NE(a->output_tokens, c->output_tokens);
  fs::remove(fx.path);
}

TEST(Generate, StopStringEndsGenerationWithoutEmittingIt) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 2, "stop");
  GenerateOptions g;
  g.prompt = "Hello";
  g.max_tokens = 40;
  g.stop_at_eos = false;
  ThreadPool pool(1);
  auto full = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(full.ok());
  ASSERT_GE(full->text.size(), 6u);
  // Stop on a piece of what greedy decoding produces anyway: three bytes
  // from the fourth on that are whole UTF-8 characters (stop strings are
  // text; Generate refuses bytes that are not).
  auto is_text = [](const std::string& t) { return FirstInvalidUtf8(t) == std::string_view::npos; };
  size_t at = 3;
  while (at + 3 <= full->text.size() && !is_text(full->text.substr(at, 3))) ++at;
  ASSERT_LE(at + 3, full->text.size()) << "no three bytes of whole characters in: " << full->text;
  g.stop_strings = {full->text.substr(at, 3)};
  auto stopped = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->stop_reason, "stop_string");
  EXPECT_EQ(stopped->text, full->text.substr(0, stopped->text.size()));
  EXPECT_EQ(stopped->text.find(g.stop_strings[0]), std::string::npos);
  fs::remove(fx.path);
}

// A SentencePiece vocabulary's continuation keeps its leading space: the
// '▁' Encode adds belongs to the prompt, and "Once upon a" continues with
// " time", not "time". Every piece here starts with '▁'.
TEST(Generate, SentencePieceContinuationKeepsItsLeadingSpace) {
  Fixture fx = MakeTiny(kernels::Format::kTQ2_0, 6, "spm");
  Vocab v;
  v.model = "llama";
  v.add_bos = false;
  for (int64_t i = 0; i < fx.model->config().n_vocab; ++i) {
    v.tokens.push_back("\xe2\x96\x81w" + std::to_string(i));  // "▁w<i>"
    v.scores.push_back(-static_cast<float>(i));
  }
  auto tok = Tokenizer::Create(std::move(v));
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  ASSERT_EQ(tok->kind(), TokenizerKind::kSpm);
  GenerateOptions g;
  g.prompt_tokens = {3, 1, 4};
  g.max_tokens = 3;
  g.stop_at_eos = false;
  ThreadPool pool(1);
  auto r = Generate(*fx.model, *tok, &pool, g);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->output_tokens.size(), 3u);
  EXPECT_EQ(r->text, " w" + std::to_string(r->output_tokens[0]) + " w" + std::to_string(r->output_tokens[1]) +
                         " w" + std::to_string(r->output_tokens[2]));
  // a tokenizer whose list does not match the model's vocabulary is refused
  Vocab short_vocab = tok->vocab();
  short_vocab.tokens.pop_back();
  short_vocab.scores.pop_back();
  auto short_tok = Tokenizer::Create(std::move(short_vocab));
  ASSERT_TRUE(short_tok.ok());
  auto mismatch = Generate(*fx.model, *short_tok, &pool, g);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("but the model's vocabulary has"), std::string::npos)
      << mismatch.status().message();
  fs::remove(fx.path);
}

// Control-token texts in a prompt become those tokens (chat templates), as
// llama.cpp's CLI does, unless parse_special is off.
TEST(Generate, PromptControlTokenTextsAreParsed) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 9, "special");
  const int32_t eos = fx.tok->eos_id();
  ASSERT_GE(eos, 0);
  const std::string eos_text = fx.tok->TokenToPiece(eos, /*render_special=*/true);
  ASSERT_FALSE(eos_text.empty());
  GenerateOptions g;
  g.prompt = "hi" + eos_text;
  g.max_tokens = 1;
  ThreadPool pool(1);
  auto parsed = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->prompt_tokens.back(), eos);
  g.parse_special = false;
  auto plain = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  for (int32_t id : plain->prompt_tokens) EXPECT_NE(id, eos);
  fs::remove(fx.path);
}

// The cache holds the prompt and every sampled token but the last (never
// evaluated): a request that fills the context exactly is accepted.
TEST(Generate, ContextHoldsPromptPlusMaxTokensMinusOne) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 7, "ctx");
  const int64_t n_ctx = fx.model->config().n_ctx;
  GenerateOptions g;
  g.prompt_tokens = {1, 2};
  g.max_tokens = static_cast<int32_t>(n_ctx - 1);  // 2 + (n_ctx - 1) - 1 = n_ctx positions
  g.stop_at_eos = false;
  ThreadPool pool(2);
  auto r = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(static_cast<int64_t>(r->output_tokens.size()), n_ctx - 1);
  g.max_tokens += 1;
  auto over = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("exceed the model's context"), std::string::npos);
  fs::remove(fx.path);
}

// A context smaller than the run needs is refused before anything is
// generated (it failed when the cache filled, losing the text streamed so
// far), and so is a stop string a receipt could not record (not UTF-8).
TEST(Generate, ContextTooSmallAndNonUtf8StopStringsAreRefusedUpFront) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 7, "ctx-small");
  GenerateOptions g;
  g.prompt_tokens = {1, 2, 3};
  g.max_tokens = 6;  // 3 + 6 - 1 = 8 positions
  g.stop_at_eos = false;
  ThreadPool pool(1);
  g.n_ctx = 7;
  auto small = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().message(),
            "generate: a context of 7 tokens holds less than the 3 prompt tokens and 6 new ones need (8)");
  g.n_ctx = 8;
  auto exact = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_TRUE(exact.ok()) << exact.status().message();
  EXPECT_EQ(exact->output_tokens.size(), 6u);

  g.n_ctx = 0;
  g.stop_strings = {"ok", std::string("\xc3\xa9"), std::string("a\xff")};
  auto bad = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "generate: stop string 3 is not valid UTF-8 (byte 2)");
  g.stop_strings = {std::string("\xc3")};  // half of a two-byte character
  ASSERT_FALSE(Generate(*fx.model, *fx.tok, &pool, g).ok());
  fs::remove(fx.path);
}

// Generate checks its sampler settings itself (only the CLI and receipt
// replay did): top_p 0 from the library API failed later as "every logit
// is NaN".
TEST(Generate, SamplerSettingsAreChecked) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 4, "sampler-settings");
  GenerateOptions g;
  g.prompt = "Settings";
  g.max_tokens = 2;
  g.sampler.temperature = 0.8f;
  g.sampler.top_p = 0.0f;
  ThreadPool pool(1);
  auto r = Generate(*fx.model, *fx.tok, &pool, g);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "generate: top_p 0.000000 not in (0, 1]");
  fs::remove(fx.path);
}

// A model value out of range (an infinite embedding element) made every
// logit NaN; generation stops with an error naming where the non-finite
// values entered, instead of emitting token -1.
TEST(Generate, NonFiniteModelValueIsAnError) {
  const std::string path = TempPath("nan.gguf");
  SynthOptions so;
  so.preset = *FindSynthPreset("tiny");
  so.format = kernels::Format::kI2_S;
  so.seed = 8;
  ASSERT_TRUE(SynthesizeModel(so, path).ok());
  uint64_t row_offset = 0;
  {
    auto file = GgufFile::Open(path);
    ASSERT_TRUE(file.ok());
    auto embd = file->GetTensor("token_embd.weight");
    ASSERT_TRUE(embd.ok());
    ASSERT_EQ((*embd)->format, kernels::Format::kF16);
    row_offset = (*embd)->file_offset + 2 * static_cast<uint64_t>((*embd)->cols) * 5;  // token 5
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(row_offset));
    const char inf_f16[2] = {0x00, 0x7c};
    f.write(inf_f16, 2);
  }
  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto vocab = VocabFromMetadata((*model)->file().metadata());
  ASSERT_TRUE(vocab.ok());
  auto tok = Tokenizer::Create(std::move(vocab).value());
  ASSERT_TRUE(tok.ok());
  GenerateOptions g;
  g.prompt_tokens = {5};
  g.max_tokens = 1;
  ThreadPool pool(1);
  auto r = Generate(**model, *tok, &pool, g);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("non-finite input to blk.0.attn_q/k/v (batch row 0, element 0 = "),
            std::string::npos)
      << r.status().message();
  fs::remove(path);
}

// The receipt of a 2-thread generation of `prompt` (no EOS stop).
nlohmann::json ReceiptOf(const Fixture& fx, const std::string& prompt, int32_t max_tokens) {
  GenerateOptions g;
  g.prompt = prompt;
  g.max_tokens = max_tokens;
  g.stop_at_eos = false;
  ThreadPool pool(2);
  auto r = Generate(*fx.model, *fx.tok, &pool, g);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? MakeReceipt(*fx.model, Sha256Hex(fx.model->file().bytes()), g, *r) : nlohmann::json();
}

void ExpectReplays(const nlohmann::json& receipt) {
  VerifyOptions vo;
  vo.replay = true;
  auto rep = VerifyReceipt(receipt, vo);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_TRUE(rep->ok()) << (rep->failures.empty() ? "" : rep->failures[0]);
}

class ReceiptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx_ = MakeTiny(kernels::Format::kTQ2_0, 3, "receipt");
    g_.prompt = "Receipts prove what ran";
    g_.max_tokens = 8;
    g_.stop_at_eos = false;
    ThreadPool pool(2);
    auto r = Generate(*fx_.model, *fx_.tok, &pool, g_);
    ASSERT_TRUE(r.ok());
    receipt_ = MakeReceipt(*fx_.model, Sha256Hex(fx_.model->file().bytes()), g_, *r);
  }
  void TearDown() override { fs::remove(fx_.path); }
  VerifyReport Verify(const nlohmann::json& j, bool replay = false) {
    VerifyOptions vo;
    vo.replay = replay;
    auto rep = VerifyReceipt(j, vo);
    EXPECT_TRUE(rep.ok()) << rep.status().message();
    return rep.ok() ? *rep : VerifyReport{};
  }
  Fixture fx_;
  GenerateOptions g_;
  nlohmann::json receipt_;
};

TEST_F(ReceiptTest, AGenuineReceiptVerifiesAndReplays) {
  const VerifyReport rep = Verify(receipt_, true);
  EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures[0]);
  EXPECT_GE(rep.checks.size(), 10u);
  EXPECT_TRUE(receipt_["kernels"].contains("gemv.tq2_0." + std::string(kernels::IsaKernelSuffix(*kernels::SelectedIsa()))));
}

// `bitgate generate` repacks the head to Q8_0 by default: the receipt says
// so, the Q8_0 kernels appear in it, and the replay loads the same head.
TEST(Receipt, Q8HeadReceiptRecordsAndReplaysItsHead) {
  LoadOptions load;
  load.head_format = kernels::Format::kQ8_0;
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 4, "q8head", load);
  const auto receipt = ReceiptOf(fx, "A head in eight bits", 12);
  EXPECT_EQ(receipt["model"]["head_format"], "q8_0");
  bool q8_ran = false;
  for (const auto& [id, calls] : receipt["kernels"].items()) q8_ran |= id.rfind("gemv.q8_0.", 0) == 0;
  EXPECT_TRUE(q8_ran) << receipt["kernels"].dump();
  ExpectReplays(receipt);
  fs::remove(fx.path);
}

TEST_F(ReceiptTest, TamperedClaimsFail) {
  auto j = receipt_;
  j["tokens"]["output"][0] = j["tokens"]["output"][0].get<int>() + 1;
  EXPECT_FALSE(Verify(j).ok());  // digest no longer matches
  j = receipt_;
  j["timings"]["decode_tokens_per_second"] = j["timings"]["decode_tokens_per_second"].get<double>() * 2;
  EXPECT_FALSE(Verify(j).ok());
  j = receipt_;
  j["kernels"] = nlohmann::json::object();
  EXPECT_FALSE(Verify(j).ok());
  j = receipt_;
  j["kernels"]["gemv.tq2_0.sve2"] = 3;
  EXPECT_FALSE(Verify(j).ok());
  j = receipt_;
  j["model"]["sha256"] = std::string(64, '0');
  EXPECT_FALSE(Verify(j).ok());
  j = receipt_;
  j["model"]["weights_format"] = "tl2";  // no TL2 kernel ran
  EXPECT_FALSE(Verify(j).ok());
}

TEST_F(ReceiptTest, ReplayCatchesForgedTokens) {
  auto j = receipt_;
  auto out = j["tokens"]["output"].get<std::vector<int32_t>>();
  out.back() = (out.back() + 1) % 512;
  j["tokens"]["output"] = out;
  j["tokens"]["digest"] = TokenDigest(out);  // consistent forgery
  const VerifyReport rep = Verify(j, true);
  ASSERT_EQ(rep.failures.size(), 1u);
  EXPECT_NE(rep.failures[0].find("replay"), std::string::npos);
}

// Claims a replay cannot see: shapes and the file's own format are checked
// against the model file itself, with or without a replay.
TEST_F(ReceiptTest, ModelClaimsAreCheckedAgainstTheFile) {
  EXPECT_EQ(receipt_["model"]["file_weights_format"], "tq2_0");
  auto j = receipt_;
  j["model"]["n_layer"] = 30;
  j["model"]["n_embd"] = 2560;
  VerifyReport rep = Verify(j);
  ASSERT_EQ(rep.failures.size(), 1u);
  EXPECT_NE(rep.failures[0].find("n_embd (file: "), std::string::npos) << rep.failures[0];
  EXPECT_NE(rep.failures[0].find("n_layer (file: " + std::to_string(fx_.model->config().n_layer) + ")"),
            std::string::npos)
      << rep.failures[0];
  j = receipt_;
  j["model"]["arch"] = "llama";
  EXPECT_FALSE(Verify(j).ok());
  j = receipt_;
  j["model"]["file_weights_format"] = "tl2";
  rep = Verify(j);
  ASSERT_EQ(rep.failures.size(), 1u);
  EXPECT_NE(rep.failures[0].find("file weight format"), std::string::npos) << rep.failures[0];
  // an older receipt without the field verifies, with a note saying so
  j = receipt_;
  j["model"].erase("file_weights_format");
  rep = Verify(j);
  EXPECT_TRUE(rep.ok());
  ASSERT_FALSE(rep.notes.empty());
}

// Repacking is lossless for ternary weights, so a receipt claiming another
// format replays to the same tokens; the kernel counts give it away.
TEST_F(ReceiptTest, ReplayComparesTheKernelCounts) {
  auto j = receipt_;
  nlohmann::json forged = nlohmann::json::object();
  for (const auto& [id, calls] : receipt_["kernels"].items()) {
    std::string renamed = id;
    if (const auto at = renamed.find("tq2_0"); at != std::string::npos) renamed.replace(at, 5, "tl2");
    forged[renamed] = uint64_t{1};
  }
  j["model"]["weights_format"] = "tl2";
  j["kernels"] = forged;
  VerifyReport rep = Verify(j);  // self-consistent without a replay
  EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures[0]);
  rep = Verify(j, true);
  ASSERT_EQ(rep.failures.size(), 1u);
  EXPECT_NE(rep.failures[0].find("recorded kernels"), std::string::npos) << rep.failures[0];
  // the genuine receipt's counts match its replay; timings are only a note
  rep = Verify(receipt_, true);
  EXPECT_TRUE(rep.ok()) << (rep.failures.empty() ? "" : rep.failures[0]);
  bool timing_note = false;
  for (const auto& n : rep.notes) timing_note |= n.find("timings are checked for consistency only") == 0;
  EXPECT_TRUE(timing_note);
}

// A run on weights repacked at load (`--weights-format`) records both
// formats and replays.
TEST(Receipt, RepackedWeightsRecordBothFormatsAndReplay) {
  LoadOptions load;
  load.weights_format = kernels::Format::kTL2;
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 5, "repacked", load);
  const auto receipt = ReceiptOf(fx, "Weights repacked at load", 6);
  EXPECT_EQ(receipt["model"]["weights_format"], "tl2");
  EXPECT_EQ(receipt["model"]["file_weights_format"], "i2_s");
  ExpectReplays(receipt);
  fs::remove(fx.path);
}

TEST_F(ReceiptTest, MalformedReceiptsAreErrors) {
  EXPECT_FALSE(VerifyReceipt(nlohmann::json::object(), {}).ok());
  auto j = receipt_;
  j["schema"] = "other/1";
  EXPECT_FALSE(VerifyReceipt(j, {}).ok());
  j = receipt_;
  j["tokens"]["output"] = "not a list";
  EXPECT_FALSE(VerifyReceipt(j, {}).ok());
}

// nlohmann's get<> converts numbers unchecked: output ids 4294967301 or
// 5.7 read as 5 verified against the digest of [5], and a max_tokens of
// 2^32 + 2 replayed as 2. Every number must now hold its type's value.
TEST_F(ReceiptTest, LossyNumbersAreErrors) {
  auto error_of = [&](const nlohmann::json& j, bool replay = false) {
    VerifyOptions vo;
    vo.replay = replay;
    auto rep = VerifyReceipt(j, vo);
    return rep.ok() ? std::string("<ok>") : rep.status().message();
  };
  for (const nlohmann::json& bad : {nlohmann::json(4294967301ull), nlohmann::json(5.7), nlohmann::json(true)}) {
    auto j = receipt_;
    j["tokens"]["output"] = nlohmann::json::array({bad});
    j["tokens"]["output_count"] = 1;
    j["tokens"]["digest"] = TokenDigest({5});
    EXPECT_NE(error_of(j).find("receipt: field 'tokens.output' is [" + bad.dump() + "]"), std::string::npos)
        << error_of(j);
  }
  auto j = receipt_;
  j["run"]["max_tokens"] = 4294967298ull;
  EXPECT_NE(error_of(j, true).find("field 'run.max_tokens' is 4294967298"), std::string::npos) << error_of(j, true);
  j = receipt_;
  j["run"]["seed"] = -1;
  EXPECT_NE(error_of(j, true).find("field 'run.seed' is -1"), std::string::npos) << error_of(j, true);
}

// Generate evaluates every output token but the last, so the steps are one
// fewer than the tokens; the counts must match their lists, a receipt
// without decode steps cannot claim a decode rate, and a replay must stop
// for the recorded reason.
TEST_F(ReceiptTest, CountsStepsAndStopReasonMustAgree) {
  auto fails_with = [&](const nlohmann::json& j, const std::string& needle, bool replay = false) {
    const VerifyReport rep = Verify(j, replay);
    for (const auto& f : rep.failures)
      if (f.find(needle) != std::string::npos) return true;
    return false;
  };
  ASSERT_FALSE(fails_with(receipt_, "", true));
  auto j = receipt_;
  j["timings"]["decode_steps"] = j["tokens"]["output"].size();
  j["timings"]["decode_tokens_per_second"] =
      static_cast<double>(j["tokens"]["output"].size()) / j["timings"]["decode_seconds"].get<double>();
  EXPECT_TRUE(fails_with(j, "decode steps are one fewer than the output tokens"));
  j = receipt_;
  j["tokens"]["prompt_count"] = j["tokens"]["prompt"].size() + 1;
  EXPECT_TRUE(fails_with(j, "prompt token count matches the id list"));
  j = receipt_;
  j["tokens"]["output"] = nlohmann::json::array({j["tokens"]["output"][0]});
  j["tokens"]["output_count"] = 1;
  j["tokens"]["digest"] = TokenDigest(j["tokens"]["output"].get<std::vector<int32_t>>());
  j["timings"]["decode_steps"] = 0;
  j["timings"]["decode_tokens_per_second"] = 123.0;
  EXPECT_TRUE(fails_with(j, "decode tokens/s equals decode steps / decode seconds"));
  j = receipt_;
  j["run"]["stop_reason"] = "eos";
  EXPECT_TRUE(fails_with(j, "replay stops for the recorded reason (eos)", true));
  j = receipt_;
  j["model"]["path"] = "/nonexistent/model.gguf";
  const VerifyReport rep = Verify(j);
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_EQ(rep.notes[0], "model file not checked: the recorded path /nonexistent/model.gguf does not exist (--model FILE names it)");
  // The largest step count is compared, not incremented (INT64_MAX + 1 was
  // undefined behaviour; UBSan in the sanitizer pass would report it).
  j = receipt_;
  j["timings"]["decode_steps"] = INT64_MAX;
  j["timings"]["decode_tokens_per_second"] =
      static_cast<double>(INT64_MAX) / j["timings"]["decode_seconds"].get<double>();
  EXPECT_TRUE(fails_with(j, "decode steps are one fewer than the output tokens"));
}

// The recorded model path is the receipt's word: a device or a FIFO there
// is a failure, never hashed (/dev/zero hashed forever) or opened.
TEST_F(ReceiptTest, AModelPathThatIsNotARegularFileFails) {
  for (const bool replay : {false, true}) {
    auto j = receipt_;
    j["model"]["path"] = "/dev/zero";
    const VerifyReport rep = Verify(j, replay);
    ASSERT_EQ(rep.failures.size(), 1u) << replay;
    EXPECT_EQ(rep.failures[0], "model path is not a regular file: /dev/zero");
  }
  VerifyOptions vo;
  vo.model_path = fs::temp_directory_path().string();  // a directory given with --model
  auto rep = VerifyReceipt(receipt_, vo);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  ASSERT_EQ(rep->failures.size(), 1u);
  EXPECT_EQ(rep->failures[0], "model path is not a regular file: " + vo.model_path);
}

// A replay runs the receipt's own settings, so they are checked as
// `generate` checks its options: "threads": 100000 aborted the process
// (std::terminate from a thread that could not start), top_p 0 failed as
// "token id -1 is outside the vocabulary", a string threw out of the
// verifier.
TEST_F(ReceiptTest, ReplayChecksTheRecordedRunSettings) {
  auto replay_error = [&](const char* key, const nlohmann::json& value) {
    auto j = receipt_;
    j["run"][key] = value;
    VerifyOptions vo;
    vo.replay = true;
    auto rep = VerifyReceipt(j, vo);
    return rep.ok() ? std::string("<ok>") : rep.status().message();
  };
  ASSERT_EQ(replay_error("threads", "many"), "receipt: run settings: 'threads' is \"many\", not an integer in [1, 1024]");
  ASSERT_EQ(replay_error("threads", 0), "receipt: run settings: 'threads' is 0, not an integer in [1, 1024]");
  EXPECT_EQ(replay_error("threads", 100000), "receipt: run settings: 'threads' is 100000, not an integer in [1, 1024]");
  EXPECT_EQ(replay_error("top_p", 0.0), "receipt: run settings: top_p 0.000000 not in (0, 1]");
  EXPECT_EQ(replay_error("temperature", -1.0),
            "receipt: run settings: temperature -1.000000 must be finite and >= 0");
  EXPECT_EQ(replay_error("threads", 2), "<ok>");
}

// Quantized engine vs the FP32 reference on synthetic models: the ternary
// weights are represented exactly, so only int8 activation rounding
// separates them. Bounds from 5 seeds of the tiny preset.
TEST(Reference, QuantizedForwardTracksFp32Reference) {
  for (auto f : {kernels::Format::kI2_S, kernels::Format::kTQ2_0, kernels::Format::kTL2}) {
    Fixture fx = MakeTiny(f, 11, std::string("ref_") + kernels::FormatName(f));
    const auto tokens = fx.tok->Encode("The quick brown fox jumps over the lazy dog and keeps running.");
    auto ref = ReferenceLogits(*fx.model, tokens);
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    ThreadPool pool(1);
    Session s(*fx.model, &pool, static_cast<int64_t>(tokens.size()));
    std::vector<float> got;
    ASSERT_TRUE(s.Eval(tokens, true, &got).ok());
    const auto a = CompareLogits(*ref, got, fx.model->config().n_vocab, tokens);
    std::printf("%s: top1 %.3f, mean KL %.2e, max |diff| %.4f, ppl %.2f vs %.2f\n", kernels::FormatName(f),
                a.top1_agreement, a.mean_kl, a.max_abs_diff, a.ppl_ref, a.ppl_test);
    EXPECT_GE(a.top1_agreement, 0.9);
    EXPECT_LE(a.mean_kl, 5e-3);
    EXPECT_NEAR(a.ppl_test / a.ppl_ref, 1.0, 0.02);
    fs::remove(fx.path);
  }
}

TEST(Reference, MatchesGoldenF32Logits) {
  auto m = Model::Load(std::string(BITGATE_TEST_DATA) + "/golden/models/tiny-bitnet-f32.gguf");
  ASSERT_TRUE(m.ok());
  const std::vector<int32_t> tokens = {1, 312, 288, 325, 317, 40, 50, 60, 70, 300, 301, 302, 303, 5, 6, 7};
  auto ref = ReferenceLogits(**m, tokens);
  ASSERT_TRUE(ref.ok());
  std::ifstream in(std::string(BITGATE_TEST_DATA) + "/golden/models/tiny-bitnet-f32.logits.f32", std::ios::binary);
  std::vector<float> golden(16 * 327);
  in.read(reinterpret_cast<char*>(golden.data()), static_cast<std::streamsize>(golden.size() * 4));
  const auto a = CompareLogits(golden, *ref, 327, tokens);
  EXPECT_LE(a.max_abs_diff, 5e-3);
  EXPECT_EQ(a.top1_agreement, 1.0);
}

}  // namespace
}  // namespace bitgate::engine

namespace bitgate::engine {
namespace {

// The cost of storing the output head as Q8_0 instead of F16, measured on
// the tiny synthetic model against the FP32 reference (docs/ENGINE.md).
TEST(Reference, Q8HeadCostsLittleAccuracy) {
  Fixture fx = MakeTiny(kernels::Format::kI2_S, 11, "q8head");
  LoadOptions lo;
  lo.head_format = kernels::Format::kQ8_0;
  auto q8 = Model::Load(fx.path, lo);
  ASSERT_TRUE(q8.ok()) << q8.status().message();
  EXPECT_EQ((*q8)->head().format, kernels::Format::kQ8_0);
  const auto tokens = fx.tok->Encode("The quick brown fox jumps over the lazy dog and keeps running.");
  auto ref = ReferenceLogits(*fx.model, tokens);
  ASSERT_TRUE(ref.ok());
  ThreadPool pool(1);
  Session s(**q8, &pool, static_cast<int64_t>(tokens.size()));
  std::vector<float> got;
  ASSERT_TRUE(s.Eval(tokens, true, &got).ok());
  const auto a = CompareLogits(*ref, got, fx.model->config().n_vocab, tokens);
  std::printf("q8_0 head: top1 %.3f, mean KL %.2e, max |diff| %.4f, ppl %.2f vs %.2f\n", a.top1_agreement,
              a.mean_kl, a.max_abs_diff, a.ppl_ref, a.ppl_test);
  EXPECT_GE(a.top1_agreement, 0.9);
  EXPECT_LE(a.mean_kl, 5e-3);
  fs::remove(fx.path);
}

}  // namespace
}  // namespace bitgate::engine
