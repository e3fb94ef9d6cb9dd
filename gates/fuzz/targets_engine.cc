// Engine fuzz targets: the GGUF reader (then the model configuration and
// tokenizer built from whatever metadata parsed) and the tokenizers on
// arbitrary text.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "engine/forward.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/model_config.h"
#include "engine/thread_pool.h"
#include "engine/synth.h"
#include "engine/tokenizer.h"
#include "gates/fuzz/fuzz_target.h"
#include "kernels/format.h"

#ifndef BITGATE_GOLDEN_MODELS_DIR
#define BITGATE_GOLDEN_MODELS_DIR ""
#endif

namespace bitgate::gates::fuzz {
namespace {

// 128-bit arithmetic checks 64-bit size computations without overflowing
// itself (__extension__: a GCC/Clang type outside ISO C++).
__extension__ typedef __int128 Int128;

namespace fs = std::filesystem;
using engine::GgufFile;

Result<Bytes> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::Error("cannot open " + path);
  Bytes bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
    return Status::Error("cannot read " + path);
  return bytes;
}

// The tiny synthetic model (byte-level BPE vocabulary, I2_S weights), made
// once per process: the seed that looks most like what users run.
const Result<Bytes>& SyntheticTinyModel() {
  static const Result<Bytes> bytes = []() -> Result<Bytes> {
    std::string dir = (std::filesystem::temp_directory_path() / "bitgate-fuzz-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr)
      return Status::Error("cannot create a temporary directory " + dir + ": " + std::strerror(errno));
    const std::string path = dir + "/tiny.gguf";
    engine::SynthOptions opts;
    opts.preset = *engine::FindSynthPreset("tiny");
    Status s = engine::SynthesizeModel(opts, path);
    Result<Bytes> out = s.ok() ? ReadFileBytes(path) : Result<Bytes>(s);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return out;
  }();
  return bytes;
}

// The golden SentencePiece-vocabulary models from llama.cpp, when the
// source tree is at hand (they are test data, not installed).
std::vector<std::string> GoldenModelPaths() {
  std::vector<std::string> paths;
  std::error_code ec;
  const fs::path dir(BITGATE_GOLDEN_MODELS_DIR);
  if (dir.empty() || !fs::is_directory(dir, ec)) return paths;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    // The 5 MB F32 model would make every execution copy megabytes of tensor
    // data the reader never looks at; the ternary ones (~0.6 MB) suffice.
    if (e.path().extension() == ".gguf" && fs::file_size(e.path(), ec) <= (2 << 20))
      paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());  // directory order is not deterministic
  return paths;
}

std::vector<std::string>& ExtraGgufSeeds() {
  static std::vector<std::string> paths;
  return paths;
}

Status GgufSeeds(std::vector<Bytes>* seeds) {
  for (const auto& path : ExtraGgufSeeds()) {
    auto b = ReadFileBytes(path);
    if (!b.ok()) return b.status();
    seeds->push_back(std::move(*b));
  }
  const auto& tiny = SyntheticTinyModel();
  if (!tiny.ok()) return tiny.status().WithContext("synthesizing the tiny model");
  seeds->push_back(*tiny);
  for (const auto& path : GoldenModelPaths()) {
    auto b = ReadFileBytes(path);
    if (!b.ok()) return b.status();
    seeds->push_back(std::move(*b));
  }
  return Status::Ok();
}

void RunGguf(std::span<const uint8_t> input, FuzzOutcome* out) {
  auto file = GgufFile::FromBuffer(input, /*copy=*/false);
  if (!file.ok()) {
    out->feature = StatusFeature(file.status());
    return;
  }
  const uint8_t* begin = input.data();
  const uint8_t* end = begin + input.size();
  if (file->data_offset() > input.size() || file->data_offset() % file->alignment() != 0) {
    out->failure = "data section offset " + std::to_string(file->data_offset()) +
                   " outside the buffer or unaligned";
    return;
  }
  uint64_t detail = HashMix(file->version(), file->tensors().size());
  for (const auto& t : file->tensors()) {
    const std::string where = "tensor '" + t.name + "' " + t.ShapeString();
    if (t.data.data() < begin || t.data.data() + t.data.size() > end) {
      out->failure = where + ": data outside the " + std::to_string(input.size()) + "-byte buffer";
      return;
    }
    if (static_cast<uint64_t>(t.data.data() - begin) != t.file_offset ||
        t.file_offset != file->data_offset() + t.offset) {
      out->failure = where + ": data span does not start at its file offset";
      return;
    }
    auto bytes = kernels::TensorBytes(t.format, t.rows, t.cols);
    if (!bytes.ok() || *bytes != t.n_bytes || static_cast<int64_t>(t.data.size()) != t.n_bytes) {
      out->failure = where + ": n_bytes " + std::to_string(t.n_bytes) + " disagrees with TensorBytes";
      return;
    }
    // Each factor is below 2^63, so one product step of two in-range
    // values fits in 128 bits; stop as soon as it leaves int64.
    Int128 product = 1;
    for (int64_t d : t.ne) {
      product *= d;
      if (product > INT64_MAX || product < -INT64_MAX) break;
    }
    if (t.ne.empty() || t.ne.size() > engine::kGgufMaxDims || product != t.n_elements ||
        t.cols != t.ne[0] || static_cast<Int128>(t.rows) * t.cols != t.n_elements) {
      out->failure = where + ": element count or matrix view disagrees with ne";
      return;
    }
    if (file->FindTensor(t.name) != &t) {
      out->failure = where + ": FindTensor does not return it";
      return;
    }
    detail = HashMix(detail, static_cast<uint64_t>(t.format));
  }
  // What a model load does next with the metadata: configuration, tokenizer.
  auto config = engine::ReadModelConfig(file->metadata());
  detail = HashMix(detail, StatusFeature(config.ok() ? Status::Ok() : config.status()));
  auto tok = engine::Tokenizer::FromMetadata(file->metadata());
  detail = HashMix(detail, StatusFeature(tok.ok() ? Status::Ok() : tok.status()));
  if (tok.ok()) {
    const auto ids = tok->Encode("Hello, world! 123 <s> \xc3\xbc\xe2\x96\x81", {.parse_special = true});
    for (int32_t id : ids) {
      if (id < 0 || id >= tok->vocab_size()) {
        out->failure = "tokenizer from fuzzed metadata produced id " + std::to_string(id) +
                       " outside a vocabulary of " + std::to_string(tok->vocab_size());
        return;
      }
    }
    (void)tok->Decode(ids, {.render_special = true});
  }
  out->feature = StatusFeature(Status::Ok(), detail);
}

size_t GgufHotPrefix(std::span<const uint8_t> input) {
  // Tensor data is opaque to the reader: spend mutations on the header.
  auto file = GgufFile::FromBuffer(input, /*copy=*/false);
  if (file.ok()) return static_cast<size_t>(file->data_offset());
  return std::min<size_t>(input.size(), 64 << 10);
}

// Model::Load takes a path: inputs go through one in-memory file per
// process, named by /proc/self/fd.
const std::string& MemFilePath() {
  static const std::string path = [] {
    const int fd = memfd_create("bitgate-fuzz-model", 0);
    return fd < 0 ? std::string() : "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}

// The whole load path (configuration, shape-checked tensor lookups, scale
// tensors, norms) on a fuzzed file, then one token through the forward pass.
void RunModel(std::span<const uint8_t> input, FuzzOutcome* out) {
  const std::string& path = MemFilePath();
  if (path.empty()) {
    out->failure = "memfd_create failed";
    return;
  }
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
  }
  auto model = engine::Model::Load(path);
  if (!model.ok()) {
    out->feature = StatusFeature(model.status());
    return;
  }
  const engine::Model& m = **model;
  const uint8_t* begin = m.file().raw_data();
  const uint8_t* end = begin + m.file().size();
  auto check = [&](const engine::Matrix& x, const std::string& what) -> bool {
    auto bytes = kernels::TensorBytes(x.format, x.rows, x.cols);
    const bool inside = !x.owned.empty() ? (x.data == x.owned.data() && x.bytes <= static_cast<int64_t>(x.owned.size()))
                                         : (x.data >= begin && x.data + x.bytes <= end);
    if (!bytes.ok() || *bytes != x.bytes || x.data == nullptr || !inside) {
      out->failure = "loaded model: " + what + " [" + std::to_string(x.rows) + ", " + std::to_string(x.cols) +
                     "] has " + std::to_string(x.bytes) + " bytes " + (inside ? "" : "outside its storage ") +
                     "(TensorBytes: " + (bytes.ok() ? std::to_string(*bytes) : bytes.status().message()) + ")";
      return false;
    }
    return true;
  };
  const auto& c = m.config();
  for (size_t l = 0; l < m.layers().size(); ++l) {
    const auto& L = m.layers()[l];
    const std::string p = "layer " + std::to_string(l) + " ";
    if (!check(L.wq, p + "wq") || !check(L.wk, p + "wk") || !check(L.wv, p + "wv") || !check(L.wo, p + "wo") ||
        !check(L.gate, p + "gate") || !check(L.up, p + "up") || !check(L.down, p + "down"))
      return;
    // [rows, cols] of each projection as the forward pass indexes them.
    const struct {
      const engine::Matrix& x;
      const char* name;
      int64_t rows, cols;
    } want[] = {{L.wq, "wq", c.n_embd, c.n_embd},  {L.wk, "wk", c.kv_dim(), c.n_embd},
                {L.wv, "wv", c.kv_dim(), c.n_embd}, {L.wo, "wo", c.n_embd, c.n_embd},
                {L.gate, "gate", c.n_ff, c.n_embd}, {L.up, "up", c.n_ff, c.n_embd},
                {L.down, "down", c.n_embd, c.n_ff}};
    for (const auto& w : want) {
      if (w.x.rows != w.rows || w.x.cols != w.cols) {
        out->failure = "loaded model: layer " + std::to_string(l) + " " + w.name + " is [" +
                       std::to_string(w.x.rows) + ", " + std::to_string(w.x.cols) + "], the configuration says [" +
                       std::to_string(w.rows) + ", " + std::to_string(w.cols) + "]";
        return;
      }
    }
  }
  if (!check(m.head(), "output head")) return;
  if (m.head().rows != c.n_vocab || m.head().cols != c.n_embd) {
    out->failure = "loaded model: the output head is [" + std::to_string(m.head().rows) + ", " +
                   std::to_string(m.head().cols) + "], the configuration says [" + std::to_string(c.n_vocab) + ", " +
                   std::to_string(c.n_embd) + "]";
    return;
  }
  engine::ThreadPool pool(1);
  engine::Session session(m, &pool, 2);
  std::vector<float> logits;
  const int32_t token = static_cast<int32_t>(input.size() % static_cast<size_t>(c.n_vocab));
  const Status s = session.Eval(std::span<const int32_t>(&token, 1), false, &logits);
  if (s.ok() && static_cast<int64_t>(logits.size()) != c.n_vocab) {
    out->failure = "forward pass returned " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                   std::to_string(c.n_vocab);
    return;
  }
  out->feature = StatusFeature(s, HashMix(static_cast<uint64_t>(m.weights_format()), m.head_tied()));
}

// The two tokenizer kinds: SentencePiece from a golden llama.cpp model
// (when present) and byte-level BPE from the synthetic model.
struct Tokenizers {
  std::vector<std::unique_ptr<engine::Tokenizer>> all;
};

const Result<Tokenizers>& GetTokenizers() {
  static const Result<Tokenizers> result = []() -> Result<Tokenizers> {
    Tokenizers t;
    std::vector<Bytes> models;
    if (const auto& tiny = SyntheticTinyModel(); tiny.ok()) {
      models.push_back(*tiny);
    } else {
      return tiny.status();
    }
    for (const auto& path : GoldenModelPaths()) {
      if (path.find("tq2_0") == std::string::npos) continue;  // one SPM vocabulary suffices
      auto b = ReadFileBytes(path);
      if (b.ok()) models.push_back(std::move(*b));
    }
    for (const auto& m : models) {
      auto f = GgufFile::FromBuffer(m);
      if (!f.ok()) return f.status();
      auto tok = engine::Tokenizer::FromMetadata(f->metadata());
      if (!tok.ok()) return tok.status();
      t.all.push_back(std::make_unique<engine::Tokenizer>(std::move(*tok)));
    }
    return t;
  }();
  return result;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = 0;
    uint32_t cp = 0;
    if ((c >> 5) == 6) {
      n = 1, cp = c & 0x1f;
    } else if ((c >> 4) == 14) {
      n = 2, cp = c & 0x0f;
    } else if ((c >> 3) == 30) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min_cp[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

std::string Escape(std::string_view s, size_t max_len = 80) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_len; ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max_len) out += "...";
  return out;
}

// Input: byte 0 selects the tokenizer (bit 0) and the encode options
// (bit 1 add_special, bit 2 parse_special); the rest is the text.
void RunTokenizer(std::span<const uint8_t> input, FuzzOutcome* out) {
  const auto& toks = GetTokenizers();
  if (!toks.ok() || toks->all.empty()) {
    out->failure = "no tokenizer: " + toks.status().message();
    return;
  }
  if (input.empty()) return;
  const uint8_t mode = input[0];
  const engine::Tokenizer& tok = *toks->all[(mode & 1) % toks->all.size()];
  const std::string_view text(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
  const engine::EncodeOptions eo{.add_special = (mode & 2) != 0, .parse_special = (mode & 4) != 0};
  const auto ids = tok.Encode(text, eo);
  const bool utf8 = ValidUtf8(text);
  const char* kind = tok.kind() == engine::TokenizerKind::kSpm ? "spm" : "bpe";
  for (int32_t id : ids) {
    if (id < 0 || id >= tok.vocab_size()) {
      out->failure = std::string(kind) + ": Encode produced id " + std::to_string(id) + " for \"" +
                     Escape(text) + "\"";
      return;
    }
  }
  const std::string decoded = tok.Decode(ids);
  // Special-token parsing turns "<s>" into a control token that decodes to
  // nothing, so exact round trips are promised without it only (and for
  // vocabularies without user-defined tokens, as both fuzzed ones are: text
  // after a matched one is a new SPM fragment with its own space). SPM writes
  // spaces as U+2581, so a literal U+2581 in the text decodes as a space:
  // inherent to SentencePiece (llama.cpp does the same), left out here.
  const bool spm_marker = tok.kind() == engine::TokenizerKind::kSpm &&
                          text.find("\xe2\x96\x81") != std::string_view::npos;
  if (!eo.parse_special && !spm_marker && decoded != text) {
    out->failure = std::string(kind) + ": Decode(Encode(text)) != text for " +
                   (utf8 ? "valid" : "invalid") + " UTF-8 \"" + Escape(text) + "\" (got \"" +
                   Escape(decoded) + "\")";
    return;
  }
  engine::DetokenizerStream stream(&tok);
  std::string streamed;
  for (int32_t id : ids) streamed += stream.Push(id);
  streamed += stream.Flush();
  if (streamed != decoded) {
    out->failure = std::string(kind) + ": streamed detokenization \"" + Escape(streamed) +
                   "\" != Decode \"" + Escape(decoded) + "\"";
    return;
  }
  size_t bucket = 0;
  while ((size_t{1} << bucket) < ids.size()) ++bucket;
  uint64_t f = HashMix(mode & 7, bucket);
  f = HashMix(f, utf8);
  if (!ids.empty()) f = HashMix(f, static_cast<uint64_t>(tok.type(ids.back())));
  out->feature = f;
}

Status TokenizerSeeds(std::vector<Bytes>* seeds) {
  const auto& toks = GetTokenizers();
  if (!toks.ok()) return toks.status();
  const char* texts[] = {
      "Hello world", "  leading spaces and trailing  ", "The quick brown fox, 1234567 times!",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80", "<s>control</s> <unk>",
      "\xff\xfe broken \xc3 utf8", "line\nbreak\ttab\r\n", "",
  };
  for (uint8_t mode = 0; mode < 8; ++mode) {
    for (const char* t : texts) {
      Bytes b{mode};
      b.insert(b.end(), t, t + std::char_traits<char>::length(t));
      seeds->push_back(std::move(b));
    }
  }
  return Status::Ok();
}

}  // namespace

void SetExtraGgufSeeds(std::vector<std::string> paths) { ExtraGgufSeeds() = std::move(paths); }

void AddEngineTargets(std::vector<FuzzTarget>* targets) {
  FuzzTarget gguf;
  gguf.name = "gguf";
  gguf.description = "GgufFile::FromBuffer, then ReadModelConfig and Tokenizer::FromMetadata";
  gguf.seeds = GgufSeeds;
  gguf.run = RunGguf;
  gguf.hot_prefix = GgufHotPrefix;
  gguf.dictionary = {"GGUF", "general.alignment", "tokenizer.ggml.tokens", "general.architecture",
                     "bitnet-b1.58", std::string("\0\0\0\0\0\0\0\0", 8), std::string("\xff\xff\xff\xff", 4)};
  gguf.max_input_bytes = 8 << 20;
  targets->push_back(std::move(gguf));

  FuzzTarget model;
  model.name = "model";
  model.description = "Model::Load on fuzzed GGUF files, then one token through the forward pass";
  model.seeds = GgufSeeds;  // the same files the reader starts from
  model.run = RunModel;
  model.hot_prefix = GgufHotPrefix;
  model.dictionary = targets->back().dictionary;
  model.max_input_bytes = 8 << 20;
  targets->push_back(std::move(model));

  FuzzTarget tok;
  tok.name = "tokenizer";
  tok.description = "SPM and BPE Encode/Decode/stream on arbitrary bytes (round trip, ids in range)";
  tok.seeds = TokenizerSeeds;
  tok.run = RunTokenizer;
  tok.dictionary = {"<s>", "</s>", "<unk>", "<|begin_of_text|>", " ", "\xe2\x96\x81", "\xc3\xa9", "'s", "123",
                    "\xf0\x9f\x98", "\r\n"};
  tok.max_input_bytes = 4096;
  targets->push_back(std::move(tok));
}

}  // namespace bitgate::gates::fuzz
