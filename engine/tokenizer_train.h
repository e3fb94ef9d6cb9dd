// Learning a byte-level BPE vocabulary from text, for synthetic models
// (`bitgate model synth` writes a GGUF whose tokenizer really works).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.h"
#include "kernels/base/status.h"

namespace bitgate::engine {

struct BpeTrainOptions {
  // Total vocabulary size: 256 byte tokens + learned merges + special
  // tokens, padded with <|reserved_special_token_N|> control tokens when
  // the text supports fewer merges (so a synthetic model can have exactly
  // the 128256 entries of BitNet b1.58 2B-4T).
  int32_t vocab_size = 512;
  // Control tokens appended after the learned ones; the first is BOS, the
  // second EOS, the third (if any) EOT.
  std::vector<std::string> special_tokens = {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"};
  // Merges need a pair seen at least this often.
  int64_t min_pair_count = 2;
};

// Deterministic: the same text and options give the same vocabulary on
// every platform (pairs ranked by count, ties by the smaller token ids).
// The result is a "gpt2" Vocab with LLaMA-3 pre-tokenization ("llama-bpe"),
// add_bos = true.
Result<Vocab> TrainBpe(std::string_view text, const BpeTrainOptions& opts);
Result<Vocab> TrainBpe(std::string_view text, int32_t vocab_size);

// The few-KB English text shipped with bitgate for training synthetic
// models' tokenizers (engine/data/bpe_corpus.txt, compiled in).
std::string_view BpeTrainingCorpus();

}  // namespace bitgate::engine
