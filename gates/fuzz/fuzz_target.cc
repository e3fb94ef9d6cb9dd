#include "gates/fuzz/fuzz_target.h"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

namespace bitgate::gates::fuzz {

uint64_t HashMix(uint64_t a, uint64_t b) {
  // splitmix64's finalizer over a combination: cheap and well mixed.
  uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t HashBytes(std::span<const uint8_t> bytes, uint64_t seed) {
  // FNV-1a over 8-byte words: corpus entries reach megabytes (GGUF seeds)
  // and are hashed on every new feature, so bytewise hashing showed up first
  // in profiles.
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < bytes.size(); ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
  return HashMix(h, bytes.size());
}

uint64_t StatusFeature(const Status& status, uint64_t ok_detail) {
  if (status.ok()) return HashMix(0x6f6b, ok_detail);
  // Digits and quoted text (names, "last read: '...'" excerpts) vary per
  // input without meaning another code path.
  // nlohmann::json quotes the input it stopped at ("last read: '...'"),
  // quotes and all: everything from there on is input, not path.
  std::string_view message = status.message();
  message = message.substr(0, message.find("last read"));
  std::string shape;
  char quote = 0;
  for (char c : message) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      shape += c;
    } else if (c < '0' || c > '9') {
      shape += c;
    }
  }
  return HashBytes({reinterpret_cast<const uint8_t*>(shape.data()), shape.size()}, 1);
}

namespace {

bool Contains(std::span<const uint8_t> in, std::string_view needle) {
  const std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
  return s.find(needle) != std::string_view::npos;
}

}  // namespace

// Targets with known bugs, so the gate's own tests can prove that a failed
// invariant, a crash and a hang each fail it and leave a working reproducer.
// The triggers are short dictionary tokens so a few thousand mutations find
// them.
void AddPlantedTargets(std::vector<FuzzTarget>* targets) {
  auto seeds = [](std::vector<Bytes>* s) {
    const std::string text = "an innocent seed input";
    s->emplace_back(text.begin(), text.end());
    return Status::Ok();
  };
  FuzzTarget inv;
  inv.name = "planted_invariant";
  inv.description = "self-test: the invariant fails on inputs containing \"BUG!\"";
  inv.seeds = seeds;
  inv.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = HashBytes(in.first(std::min<size_t>(in.size(), 2)));
    if (Contains(in, "BUG!")) out->failure = "planted invariant: input contains BUG!";
  };
  inv.dictionary = {"BUG!"};
  inv.planted = true;
  inv.max_input_bytes = 256;
  targets->push_back(inv);

  FuzzTarget crash = inv;
  crash.name = "planted_crash";
  crash.description = "self-test: SIGSEGV on inputs containing \"BOOM\"";
  crash.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = HashBytes(in.first(std::min<size_t>(in.size(), 2)));
    if (Contains(in, "BOOM")) std::raise(SIGSEGV);
  };
  crash.dictionary = {"BOOM"};
  targets->push_back(crash);

  FuzzTarget hang = inv;
  hang.name = "planted_hang";
  hang.description = "self-test: loops forever on inputs containing \"HANG\"";
  hang.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = HashBytes(in.first(std::min<size_t>(in.size(), 2)));
    if (Contains(in, "HANG")) {
      volatile uint64_t spin = 0;  // volatile: an infinite loop without side effects is UB
      for (;;) spin = spin + 1;
    }
  };
  hang.dictionary = {"HANG"};
  targets->push_back(hang);

  // A heap read one past the end: silent in a plain build, an
  // AddressSanitizer report (kind "sanitizer") under --preset sanitize/fuzz.
  FuzzTarget oob = inv;
  oob.name = "planted_oob";
  oob.description = "self-test: reads past a heap buffer on inputs containing \"OOB!\" (needs ASan)";
  oob.run = [](std::span<const uint8_t> in, FuzzOutcome* out) {
    out->feature = HashBytes(in.first(std::min<size_t>(in.size(), 2)));
    if (Contains(in, "OOB!")) {
      std::vector<uint8_t> copy(in.begin(), in.end());
      volatile const uint8_t* p = copy.data();
      out->feature ^= p[copy.size()];
    }
  };
  oob.dictionary = {"OOB!"};
  targets->push_back(oob);
}

const std::vector<FuzzTarget>& AllTargets() {
  static const std::vector<FuzzTarget> targets = [] {
    std::vector<FuzzTarget> t;
    AddEngineTargets(&t);
    AddKernelTargets(&t);
    AddIngestTargets(&t);
    AddPlantedTargets(&t);
    return t;
  }();
  return targets;
}

const FuzzTarget* FindTarget(std::string_view name) {
  for (const auto& t : AllTargets()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace bitgate::gates::fuzz
