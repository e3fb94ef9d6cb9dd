// Tokenizers: the golden SentencePiece vocabulary (known encodings taken
// from the golden token sequence), byte-level BPE trained on the shipped
// corpus, round trips on arbitrary and invalid UTF-8, streaming.
#include "engine/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/gguf_writer.h"
#include "engine/sampling.h"
#include "engine/tokenizer_train.h"
#include "engine/tokenizer_unicode.h"

namespace bitgate::engine {
namespace {

Tokenizer GoldenSpm() {
  auto f = GgufFile::Open(std::string(BITGATE_TEST_DATA) + "/golden/models/tiny-bitnet-tq2_0.gguf");
  EXPECT_TRUE(f.ok()) << f.status().message();
  auto t = Tokenizer::FromMetadata(f->metadata());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(*t);
}

const Tokenizer& TrainedBpe() {
  static const Tokenizer kTok = [] {
    auto v = TrainBpe(BpeTrainingCorpus(), 700);
    EXPECT_TRUE(v.ok()) << v.status().message();
    auto t = Tokenizer::Create(std::move(*v));
    EXPECT_TRUE(t.ok()) << t.status().message();
    return std::move(*t);
  }();
  return kTok;
}

// Random valid UTF-8 over all planes (excluding U+2581, which SentencePiece
// normalization deliberately equates with a space).
std::string RandomUtf8(Rng& rng, int n_chars) {
  std::string s;
  for (int i = 0; i < n_chars; ++i) {
    uint32_t cp;
    switch (rng.NextU64() % 4) {
      case 0: cp = static_cast<uint32_t>(rng.NextU64() % 0x80); break;
      case 1: cp = static_cast<uint32_t>(0x80 + rng.NextU64() % 0x780); break;
      case 2: cp = static_cast<uint32_t>(0x800 + rng.NextU64() % 0xF800); break;
      default: cp = static_cast<uint32_t>(0x10000 + rng.NextU64() % 0x100000); break;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0x2581) cp = ' ';
    AppendUtf8(cp, &s);
  }
  return s;
}

std::string RandomBytes(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(rng.NextU64() & 0xFF));
  return s;
}

TEST(SpmTokenizer, GoldenVocabularyBasics) {
  Tokenizer t = GoldenSpm();
  EXPECT_EQ(t.kind(), TokenizerKind::kSpm);
  EXPECT_EQ(t.vocab_size(), 327);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_TRUE(t.vocab().add_bos);
  EXPECT_EQ(t.TokenToPiece(312), " the");
  EXPECT_EQ(t.TokenToPiece(3 + 'A'), "A");  // <0x41>
  EXPECT_EQ(t.TokenToPiece(1), "");
  EXPECT_EQ(t.TokenToPiece(1, /*render_special=*/true), "<s>");
  EXPECT_EQ(t.TokenToPiece(9999), "");
  EXPECT_EQ(t.EndOfGenerationIds(), std::vector<int32_t>{2});
}

// The golden token sequence (tests/data/golden/README, run.json) is
// "<s> the cat is" followed by byte tokens and single pieces: decoding it
// and encoding the text again must give the same ids, as llama.cpp's
// tokenizer would (highest-score merges: ▁c, ▁i, ▁t, ▁is, he, ▁the, at).
TEST(SpmTokenizer, KnownEncodings) {
  Tokenizer t = GoldenSpm();
  EXPECT_EQ(t.Encode("the cat is"), (std::vector<int32_t>{1, 312, 288, 325, 317}));
  const std::vector<int32_t> golden = {1, 312, 288, 325, 317, 40, 50, 60, 70, 300, 301, 302, 303, 5, 6, 7};
  const std::string text = t.Decode(golden);
  EXPECT_EQ(text, "the cat is%/9C o p q r\x02\x03\x04");
  EXPECT_EQ(t.Encode(text), golden);
  EXPECT_EQ(t.Encode("the cat is", {.add_special = false}), (std::vector<int32_t>{312, 288, 325, 317}));
  EXPECT_EQ(t.Encode(""), std::vector<int32_t>{1});
  // Characters outside the vocabulary fall back to byte tokens.
  EXPECT_EQ(t.Encode("\xc3\xa9", {.add_special = false}),
            (std::vector<int32_t>{259, 3 + 0xC3, 3 + 0xA9}));
}

TEST(SpmTokenizer, SpecialTokensParsedOnlyWhenAsked) {
  Tokenizer t = GoldenSpm();
  const auto plain = t.Encode("<s>the</s>", {.add_special = false});
  for (int32_t id : plain) EXPECT_FALSE(t.IsControl(id));
  const auto parsed = t.Encode("<s>the</s>", {.add_special = false, .parse_special = true});
  EXPECT_EQ(parsed, (std::vector<int32_t>{1, 312, 2}));
  EXPECT_EQ(t.Decode(parsed), "the");
  EXPECT_EQ(t.Decode(parsed, {.render_special = true}), "<s> the</s>");
}

// End-of-turn control tokens stop generation even when the metadata names
// only EOS (LLaMA 3's <|eot_id|> in BitNet b1.58 2B-4T); the same text as a
// normal token does not.
TEST(SpmTokenizer, EndOfTurnControlTokensEndGeneration) {
  Vocab v = GoldenSpm().vocab();
  v.tokens[300] = "<|eot_id|>";
  v.types[300] = TokenType::kControl;
  v.tokens[301] = "<|im_end|>";
  v.types[301] = TokenType::kControl;
  auto t = Tokenizer::Create(v);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->EndOfGenerationIds(), (std::vector<int32_t>{2, 300, 301}));
  v.types[300] = TokenType::kNormal;
  v.types[301] = TokenType::kUserDefined;
  auto plain = Tokenizer::Create(v);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->EndOfGenerationIds(), std::vector<int32_t>{2});
}

// A NaN score would leave the SentencePiece merge order undefined (the
// priority queue compares scores); infinities order and are kept.
TEST(SpmTokenizer, NanScoresAreRefusedInfinitiesKept) {
  Vocab v = GoldenSpm().vocab();
  ASSERT_GT(v.scores.size(), 300u);
  v.scores[300] = std::numeric_limits<float>::infinity();
  v.scores[301] = -std::numeric_limits<float>::infinity();
  EXPECT_TRUE(Tokenizer::Create(v).ok());
  v.scores[300] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Tokenizer::Create(v).status().message(), "tokenizer: tokenizer.ggml.scores[300] is NaN");
}

// Which token texts in the input become their tokens, as in llama.cpp:
// user-defined ones always, control and unknown ones only with
// parse_special (user-defined ones had needed it too).
TEST(SpmTokenizer, UserDefinedTokensMatchWithoutParseSpecial) {
  Vocab v = GoldenSpm().vocab();
  v.tokens[300] = "<ud>";
  v.types[300] = TokenType::kUserDefined;
  v.tokens[301] = "<|ctl|>";
  v.types[301] = TokenType::kControl;
  int32_t unk = -1;
  for (size_t i = 0; i < v.types.size(); ++i)
    if (v.types[i] == TokenType::kUnknown) unk = static_cast<int32_t>(i);
  ASSERT_GE(unk, 0);
  auto t = Tokenizer::Create(v);
  ASSERT_TRUE(t.ok()) << t.status().message();
  const std::string text = "the<ud>the<|ctl|>" + v.tokens[static_cast<size_t>(unk)];
  auto count = [](const std::vector<int32_t>& ids, int32_t id) { return std::count(ids.begin(), ids.end(), id); };
  const auto plain = t->Encode(text, {.add_special = false, .parse_special = false});
  EXPECT_EQ(count(plain, 300), 1);
  EXPECT_EQ(count(plain, 301), 0);
  EXPECT_EQ(count(plain, unk), 0);
  const auto parsed = t->Encode(text, {.add_special = false, .parse_special = true});
  EXPECT_EQ(count(parsed, 300), 1);
  EXPECT_EQ(count(parsed, 301), 1);
  EXPECT_EQ(count(parsed, unk), 1);
}

TEST(SpmTokenizer, RoundTripsArbitraryAndInvalidUtf8) {
  Tokenizer t = GoldenSpm();
  Rng rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string s = (i % 2 == 0) ? RandomUtf8(rng, 1 + i % 40) : RandomBytes(rng, 1 + i % 40);
    const std::vector<int32_t> ids = t.Encode(s);
    ASSERT_EQ(t.Decode(ids), s) << "case " << i;
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < t.vocab_size());
  }
  for (const std::string& s : std::vector<std::string>{" ", "  leading", "trailing  ", "\n\n", std::string("\0a\0", 3),
                              std::string("\xff\xfe\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80")}) {
    EXPECT_EQ(t.Decode(t.Encode(s)), s);
  }
}

TEST(SpmTokenizer, StreamingDecodeHoldsSplitCharacters) {
  Tokenizer t = GoldenSpm();
  const std::string text = "the caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 is";
  const auto ids = t.Encode(text);
  DetokenizerStream stream(&t);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string piece = stream.Push(id);
    // Every emitted chunk is complete UTF-8.
    EXPECT_EQ(CompleteUtf8Prefix(piece), piece.size());
    streamed += piece;
  }
  streamed += stream.Flush();
  EXPECT_EQ(streamed, text);
  // The first byte of 'é' alone is held back.
  DetokenizerStream s2(&t);
  EXPECT_EQ(s2.Push(3 + 0xC3), "");
  EXPECT_EQ(s2.Push(3 + 0xA9), "\xc3\xa9");
  EXPECT_EQ(s2.Push(3 + 0xE2), "");
  EXPECT_EQ(s2.Flush(), "\xe2");
}

TEST(BpeTokenizer, TrainingIsDeterministicAndSized) {
  auto a = TrainBpe(BpeTrainingCorpus(), 700);
  auto b = TrainBpe(BpeTrainingCorpus(), 700);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->merges, b->merges);
  EXPECT_EQ(a->tokens.size(), 700u);
  EXPECT_GT(a->merges.size(), 400u);
  EXPECT_EQ(a->tokens[a->bos_id], "<|begin_of_text|>");
  EXPECT_EQ(a->tokens[a->eos_id], "<|end_of_text|>");
  EXPECT_EQ(a->tokens[a->eot_id], "<|eot_id|>");
  // Byte tokens first, in GPT-2 byte-level form: ' ' is 'Ġ' (U+0120).
  EXPECT_EQ(a->tokens[' '], "\xc4\xa0");
  EXPECT_EQ(a->tokens['a'], "a");
  // The first merge is the corpus's most frequent pair.
  EXPECT_EQ(a->merges[0], "\xc4\xa0 t");  // " t"
  // Padding to an exact size with reserved control tokens (2B-4T: 128256).
  auto big = TrainBpe("tiny text tiny text", 128256);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->tokens.size(), 128256u);
  EXPECT_EQ(big->types.back(), TokenType::kControl);
  // 128k control tokens must not make special-token parsing slow or wrong.
  auto big_tok = Tokenizer::Create(std::move(*big));
  ASSERT_TRUE(big_tok.ok());
  const auto reserved = big_tok->TokenId("<|reserved_special_token_100|>");
  ASSERT_TRUE(reserved.has_value());
  const auto ids = big_tok->Encode("tiny<|reserved_special_token_100|>text<|end_of_text|>",
                                   {.add_special = true, .parse_special = true});
  EXPECT_EQ(ids.front(), big_tok->bos_id());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *reserved), 1);
  EXPECT_EQ(ids.back(), big_tok->eos_id());
  EXPECT_EQ(big_tok->Decode(ids), "tinytext");
  EXPECT_FALSE(TrainBpe("x", 100).ok());
}

TEST(BpeTokenizer, EncodesCorpusCompactlyAndRoundTrips) {
  const Tokenizer& t = TrainedBpe();
  EXPECT_EQ(t.kind(), TokenizerKind::kBpe);
  const std::string_view corpus = BpeTrainingCorpus();
  const auto ids = t.Encode(corpus);
  EXPECT_EQ(ids.front(), t.bos_id());
  EXPECT_LT(ids.size(), corpus.size() / 3);  // merges make it compact
  EXPECT_EQ(t.Decode(ids), corpus);
  const auto the = t.Encode(" the", {.add_special = false});
  EXPECT_EQ(the.size(), 1u);
  EXPECT_EQ(t.Decode(the), " the");
  Rng rng(11);
  for (int i = 0; i < 300; ++i) {
    const std::string s = (i % 2 == 0) ? RandomUtf8(rng, 1 + i % 50) : RandomBytes(rng, 1 + i % 50);
    ASSERT_EQ(t.Decode(t.Encode(s)), s) << "case " << i;
  }
  const auto special = t.Encode("<|begin_of_text|>hi<|eot_id|>", {.add_special = false, .parse_special = true});
  EXPECT_EQ(special.front(), t.bos_id());
  EXPECT_EQ(special.back(), t.vocab().eot_id);
  EXPECT_EQ(t.Decode(special), "hi");
  EXPECT_EQ(t.EndOfGenerationIds(), (std::vector<int32_t>{t.eos_id(), t.vocab().eot_id}));
}

TEST(BpeTokenizer, VocabSurvivesGgufRoundTrip) {
  const Tokenizer& t = TrainedBpe();
  GgufWriter w;
  w.metadata().Set("general.architecture", GgufValue::String("bitnet-b1.58"));
  VocabToMetadata(t.vocab(), &w.metadata());
  auto buf = w.WriteToBuffer();
  ASSERT_TRUE(buf.ok());
  auto f = GgufFile::FromBuffer(*buf);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(*f->metadata().GetString("tokenizer.ggml.model"), "gpt2");
  auto t2 = Tokenizer::FromMetadata(f->metadata());
  ASSERT_TRUE(t2.ok()) << t2.status().message();
  EXPECT_EQ(t2->vocab().tokens, t.vocab().tokens);
  EXPECT_EQ(t2->vocab().merges, t.vocab().merges);
  EXPECT_EQ(t2->bos_id(), t.bos_id());
  const std::string text = "Every evening at a quarter past six, 42 ships.";
  EXPECT_EQ(t2->Encode(text), t.Encode(text));
}

// Without tokenizer.ggml.add_bos_token, BOS follows llama.cpp's defaults:
// on for SentencePiece and for the LLaMA-3 pre-tokenizers, off for other
// BPE vocabularies; the key, when present, decides.
TEST(Tokenizer, AddBosDefaultsFollowLlamaCpp) {
  GgufMetadata md;
  md.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  md.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "<|begin_of_text|>"}));
  md.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(2));
  auto add_bos = [&] {
    auto v = VocabFromMetadata(md);
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() && v->add_bos;
  };
  EXPECT_FALSE(add_bos());  // no pre-tokenizer named
  for (const char* pre : {"llama-bpe", "llama3", "llama-v3", "falcon3"}) {
    md.Set("tokenizer.ggml.pre", GgufValue::String(pre));
    EXPECT_TRUE(add_bos()) << pre;
  }
  md.Set("tokenizer.ggml.pre", GgufValue::String("gpt-2"));
  EXPECT_FALSE(add_bos());
  md.Set("tokenizer.ggml.pre", GgufValue::String("llama-bpe"));
  md.Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(false));
  EXPECT_FALSE(add_bos());
}

TEST(Tokenizer, MetadataErrorsAreClear) {
  GgufMetadata md;
  EXPECT_EQ(Tokenizer::FromMetadata(md).status().message(), "missing key tokenizer.ggml.model");
  md.Set("tokenizer.ggml.model", GgufValue::String("bert"));
  EXPECT_EQ(Tokenizer::FromMetadata(md).status().message(), "missing key tokenizer.ggml.tokens");
  md.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b"}));
  EXPECT_NE(Tokenizer::FromMetadata(md).status().message().find("unsupported tokenizer model 'bert'"),
            std::string::npos);
  md.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  const float scores[] = {0.0f};
  md.Set("tokenizer.ggml.scores", GgufValue::F32Array(scores));
  EXPECT_NE(Tokenizer::FromMetadata(md).status().message().find("scores has 1 entries for 2 tokens"),
            std::string::npos);
  md.Erase("tokenizer.ggml.scores");
  // Default SPM ids (bos 1, eos 2) must exist in a 2-token vocabulary.
  EXPECT_NE(Tokenizer::FromMetadata(md).status().message().find("eos token id 2 outside"),
            std::string::npos);
  md.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(1));
  EXPECT_TRUE(Tokenizer::FromMetadata(md).ok());
  md.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  md.Set("tokenizer.ggml.merges", GgufValue::StringArray({"ab"}));
  EXPECT_NE(Tokenizer::FromMetadata(md).status().message().find("is not 'left right'"),
            std::string::npos);
}

TEST(PreTokenizer, Llama3Splits) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(PreTokenizeLlama3("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(PreTokenizeLlama3("I'm here, they'LL go"), (V{"I", "'m", " here", ",", " they", "'LL", " go"}));
  EXPECT_EQ(PreTokenizeLlama3("12345 x"), (V{"123", "45", " x"}));
  EXPECT_EQ(PreTokenizeLlama3("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(PreTokenizeLlama3("x\n\ny"), (V{"x", "\n\n", "y"}));
  EXPECT_EQ(PreTokenizeLlama3("hi!!! "), (V{"hi", "!!!", " "}));
  EXPECT_EQ(PreTokenizeLlama3("x  \n  y"), (V{"x", "  \n", " ", " y"}));
  EXPECT_EQ(PreTokenizeLlama3(" (ok)\n"), (V{" (", "ok", ")\n"}));
  EXPECT_EQ(PreTokenizeLlama3("caf\xc3\xa9 \xe2\x82\xac" "5"), (V{"caf\xc3\xa9", " \xe2\x82\xac", "5"}));
  EXPECT_EQ(PreTokenizeLlama3(""), V{});
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    const std::string s = (i % 2) ? RandomBytes(rng, 64) : RandomUtf8(rng, 64);
    std::string joined;
    for (auto p : PreTokenizeLlama3(s)) {
      ASSERT_FALSE(p.empty());
      joined += p;
    }
    ASSERT_EQ(joined, s);
  }
}

// Expected splits computed by Python's `regex` module running the real
// LLaMA-3 and GPT-2 patterns (Khmer and Devanagari marks, Cyrillic
// thousands sign, Arabic-Indic and CJK text, superscripts, Roman numerals,
// Unicode spaces, emoji).
struct SplitCase {
  const char* text;
  std::vector<std::string_view> llama3;
  std::vector<std::string_view> gpt2;
};

TEST(PreTokenizer, MatchesTheRegexOnNonAsciiText) {
  const SplitCase kCases[] = {
    {"\xe1\x9e\x80\xe1\x9e\xb6\xe1\x9e\x93\xe1\x9f\x8b\xe1\x9e\x8f\xe1\x9f\x82\xe1\x9e\x96\xe1\x9e\xb7\xe1\x9e\x9f\xe1\x9f\x81\xe1\x9e\x9f",
     {"\xe1\x9e\x80", "\xe1\x9e\xb6\xe1\x9e\x93", "\xe1\x9f\x8b\xe1\x9e\x8f", "\xe1\x9f\x82\xe1\x9e\x96", "\xe1\x9e\xb7\xe1\x9e\x9f", "\xe1\x9f\x81\xe1\x9e\x9f"},
     {"\xe1\x9e\x80", "\xe1\x9e\xb6", "\xe1\x9e\x93", "\xe1\x9f\x8b", "\xe1\x9e\x8f", "\xe1\x9f\x82", "\xe1\x9e\x96", "\xe1\x9e\xb7", "\xe1\x9e\x9f", "\xe1\x9f\x81", "\xe1\x9e\x9f"}},
    {"\xd0\x8d\xd3\x8a\xd0\xae\xd3\xb0\xd2\x86\xd3\xa8\xd0\x89\xd2\x82\xd0\xa1\xd1\x93",
     {"\xd0\x8d\xd3\x8a\xd0\xae\xd3\xb0", "\xd2\x86\xd3\xa8\xd0\x89", "\xd2\x82\xd0\xa1\xd1\x93"},
     {"\xd0\x8d\xd3\x8a\xd0\xae\xd3\xb0", "\xd2\x86", "\xd3\xa8\xd0\x89", "\xd2\x82", "\xd0\xa1\xd1\x93"}},
    {"\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87\x20\xe0\xa4\xa6\xe0\xa5\x81\xe0\xa4\xa8\xe0\xa4\xbf\xe0\xa4\xaf\xe0\xa4\xbe\x20\xe0\xa5\xa7\xe0\xa5\xa8\xe0\xa5\xa9\xe0\xa5\xaa",
     {"\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8", "\xe0\xa5\x8d\xe0\xa4\xa4", "\xe0\xa5\x87", "\x20\xe0\xa4\xa6", "\xe0\xa5\x81\xe0\xa4\xa8", "\xe0\xa4\xbf\xe0\xa4\xaf", "\xe0\xa4\xbe", "\x20", "\xe0\xa5\xa7\xe0\xa5\xa8\xe0\xa5\xa9", "\xe0\xa5\xaa"},
     {"\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8", "\xe0\xa5\x8d", "\xe0\xa4\xa4", "\xe0\xa5\x87", "\x20\xe0\xa4\xa6", "\xe0\xa5\x81", "\xe0\xa4\xa8", "\xe0\xa4\xbf", "\xe0\xa4\xaf", "\xe0\xa4\xbe", "\x20\xe0\xa5\xa7\xe0\xa5\xa8\xe0\xa5\xa9\xe0\xa5\xaa"}},
    {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7\x20\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85\x20\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5",
     {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "\x20\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85", "\x20", "\xd9\xa1\xd9\xa2\xd9\xa3", "\xd9\xa4\xd9\xa5"},
     {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "\x20\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85", "\x20\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5"}},
    {"\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8\x61\x70\x70\x6c\x65\xe5\xb7\xa5\xe4\xbd\x9c\x31\x33\x31\x34\x31\x35\x31\xe5\xa4\xa9\xef\xbd\x9e",
     {"\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8\x61\x70\x70\x6c\x65\xe5\xb7\xa5\xe4\xbd\x9c", "\x31\x33\x31", "\x34\x31\x35", "\x31", "\xe5\xa4\xa9", "\xef\xbd\x9e"},
     {"\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8\x61\x70\x70\x6c\x65\xe5\xb7\xa5\xe4\xbd\x9c", "\x31\x33\x31\x34\x31\x35\x31", "\xe5\xa4\xa9", "\xef\xbd\x9e"}},
    {"\x57\x65\x27\x56\x65\x20\x61\x27\x6c\x4c\x20\x33\x33\x33\x33\x20\x78\xc2\xb2\xc2\xb3\x20\xe2\x85\xab\x20\xe2\x85\xb7",
     {"\x57\x65", "\x27\x56\x65", "\x20\x61", "\x27\x6c\x4c", "\x20", "\x33\x33\x33", "\x33", "\x20\x78", "\xc2\xb2\xc2\xb3", "\x20", "\xe2\x85\xab", "\x20", "\xe2\x85\xb7"},
     {"\x57\x65", "\x27", "\x56\x65", "\x20\x61", "\x27", "\x6c\x4c", "\x20\x33\x33\x33\x33", "\x20\x78", "\xc2\xb2\xc2\xb3", "\x20\xe2\x85\xab", "\x20\xe2\x85\xb7"}},
    {"\x20\xc2\xa0\xe2\x80\x83\x78\xe3\x80\x80\x79",
     {"\x20\xc2\xa0", "\xe2\x80\x83\x78", "\xe3\x80\x80\x79"},
     {"\x20\xc2\xa0", "\xe2\x80\x83", "\x78", "\xe3\x80\x80", "\x79"}},
    {"\xf0\x9f\xa6\x99\xf0\x9f\xa6\x99\x20\x33\x2e\x33\x20\x2e\x2e\x2e\x21\x21\x21\x20\x27\x74\x6f\x6c\x64\x0a\x0a\x20\x20\x78",
     {"\xf0\x9f\xa6\x99\xf0\x9f\xa6\x99", "\x20", "\x33", "\x2e", "\x33", "\x20\x2e\x2e\x2e\x21\x21\x21", "\x20\x27", "\x74\x6f\x6c\x64", "\x0a\x0a", "\x20", "\x20\x78"},
     {"\xf0\x9f\xa6\x99\xf0\x9f\xa6\x99", "\x20\x33", "\x2e", "\x33", "\x20\x2e\x2e\x2e\x21\x21\x21", "\x20\x27", "\x74\x6f\x6c\x64", "\x0a\x0a\x20", "\x20\x78"}},
  };
  for (const SplitCase& c : kCases) {
    EXPECT_EQ(PreTokenizeLlama3(c.text), c.llama3) << c.text;
    EXPECT_EQ(PreTokenizeGpt2(c.text), c.gpt2) << c.text;
  }
}

TEST(Unicode, CodepointClasses) {
  EXPECT_TRUE(IsUnicodeLetter(0xE9));     // é
  EXPECT_TRUE(IsUnicodeLetter(0x4E2D));   // 中
  EXPECT_FALSE(IsUnicodeLetter(0x093F));  // Devanagari vowel sign (Mc)
  EXPECT_TRUE(IsUnicodeNumber(0x0967));   // Devanagari one
  EXPECT_TRUE(IsUnicodeNumber(0x216B));   // Roman numeral twelve (Nl)
  EXPECT_TRUE(IsUnicodeNumber(0xB2));     // superscript two (No)
  EXPECT_FALSE(IsUnicodeLetter(0x1F999)); // emoji
  EXPECT_FALSE(IsUnicodeNumber(0x1F999));
  EXPECT_TRUE(IsUnicodeWhitespace(0x3000));
  EXPECT_FALSE(IsUnicodeWhitespace(0x200B));  // zero width space is not White_Space
  EXPECT_FALSE(IsUnicodeLetter(kInvalidCodepoint));
}

TEST(Unicode, Utf8DecodingRejectsMalformedInput) {
  EXPECT_EQ(DecodeUtf8("\xc3\xa9", 0).cp, 0xE9u);
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x98\x80", 0).cp, 0x1F600u);
  for (std::string bad : std::vector<std::string>{"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\x80", "\xff",
                          "\xe2\x82"}) {
    const Utf8Char c = DecodeUtf8(bad, 0);
    EXPECT_EQ(c.cp, kInvalidCodepoint) << bad.size();
    EXPECT_EQ(c.len, 1);
  }
  EXPECT_EQ(CompleteUtf8Prefix("ab\xe2\x82"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xe2\x82\xac"), 5u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xff"), 3u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(CodepointToByte(ByteToCodepoint(static_cast<uint8_t>(b))), b);
  EXPECT_EQ(ByteToCodepoint(' '), 0x120u);
  EXPECT_EQ(CodepointToByte(0x2581), -1);
}

}  // namespace
}  // namespace bitgate::engine
