// The standalone fuzz driver: a main() for a fuzz target in builds without libFuzzer (the
// plain gcc build, where ctest runs it as fuzz.<name>). It runs every input it is given,
// then a fixed number of deterministic mutations of them, so a run finishes in a known
// number of executions and does the same on every machine.
//
//   <name>_fuzz [--mutations N] [--seed S] [--max-len BYTES] [--crash-dir DIR] PATH...
//
// A PATH is a file or a directory of files (a corpus). When the target crashes, fails a
// check or a sanitizer stops it, the input is saved as DIR/<name>.crash (the current
// directory by default) to reproduce with `<name>_fuzz DIR/<name>.crash`.
// Exit status: 0 all inputs ran; 2 bad command line or unreadable input; a crash otherwise.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "driver/mutator.h"
#include "fuzz_check.h"

// Sanitizers call this (when present) just before they end the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

// UBSan's defaults when it is linked in. With gcc its runtime is not ASan's and ignores the
// death callback above, so a report must end in abort(), which on_fatal_signal() sees.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

namespace {

namespace fs = std::filesystem;

struct Options {
  uint64_t mutations = 0;
  uint64_t seed = 1;
  size_t max_len = 1 << 20;
  std::string crash_dir = ".";
  std::vector<std::string> paths;
};

// What the crash handlers need. Signal handlers can only reach globals; these are written
// before each input runs and read only when the process is about to die.
const uint8_t* g_current_input = nullptr;
size_t g_current_size = 0;
char g_crash_path[4096] = "";

void save_current_input() {
  static volatile sig_atomic_t saved = 0;  // a signal during the sanitizer's report: once is enough
  if (saved || !g_current_input) return;
  saved = 1;
  const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < g_current_size) {
    const ssize_t n = write(fd, g_current_input + done, g_current_size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  constexpr char kSaved[] = "fuzz driver: the failing input is saved as ";
  (void)!write(STDERR_FILENO, kSaved, sizeof kSaved - 1);
  (void)!write(STDERR_FILENO, g_crash_path, strlen(g_crash_path));
  (void)!write(STDERR_FILENO, "\n", 1);
}

void on_fatal_signal(int sig) {
  save_current_input();
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_crash_handlers() {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_fatal_signal);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(save_current_input);
}

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "fuzz driver: error: %s\n", what.c_str());
  std::fprintf(stderr, "usage: FUZZER [--mutations N] [--seed S] [--max-len BYTES] [--crash-dir DIR] PATH...\n");
  std::exit(2);
}

uint64_t parse_count(std::string_view option, const char* text) {
  uint64_t v = 0;
  const std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    usage_error(std::string(option) + " wants a number, not '" + std::string(s) + "'");
  return v;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--mutations") o.mutations = parse_count(arg, value());
    else if (arg == "--seed") o.seed = parse_count(arg, value());
    else if (arg == "--max-len") o.max_len = parse_count(arg, value());
    else if (arg == "--crash-dir") o.crash_dir = value();
    else if (arg.starts_with("--")) usage_error("unknown option " + std::string(arg));
    else o.paths.emplace_back(arg);
  }
  if (o.paths.empty()) usage_error("no inputs (give a corpus directory or files)");
  if (o.max_len == 0) usage_error("--max-len must be at least 1");
  return o;
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every regular file named, or inside a directory named, in a stable order.
std::vector<std::vector<uint8_t>> load_inputs(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> in_dir;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file()) in_dir.push_back(entry.path());
      if (ec) usage_error("cannot list " + p + ": " + ec.message());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.emplace_back(p);
    }
  }
  std::vector<std::vector<uint8_t>> inputs;
  for (const fs::path& f : files) inputs.push_back(read_file(f));
  return inputs;
}

void run_one(const std::vector<uint8_t>& input) {
  g_current_input = input.data();
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_current_input = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  const std::string name = fs::path(argv[0]).filename().string();
  const std::string crash_path = (fs::path(options.crash_dir) / (name + ".crash")).string();
  if (crash_path.size() >= sizeof g_crash_path) usage_error("--crash-dir is too long");
  std::memcpy(g_crash_path, crash_path.c_str(), crash_path.size() + 1);
  install_crash_handlers();

  const std::vector<std::vector<uint8_t>> corpus = load_inputs(options.paths);
  for (const auto& input : corpus) run_one(input);

  rw::fuzz::Mutator mutator(options.seed);
  const std::vector<uint8_t> empty;
  for (uint64_t i = 0; i < options.mutations; ++i) {
    const auto& base = corpus.empty() ? empty : corpus[mutator.below(corpus.size())];
    const auto& donor = corpus.empty() ? empty : corpus[mutator.below(corpus.size())];
    run_one(mutator.mutate(base, donor, options.max_len));
  }
  std::printf("%s: %zu inputs and %llu mutations (seed %llu) ran without a failure\n", name.c_str(), corpus.size(),
              static_cast<unsigned long long>(options.mutations), static_cast<unsigned long long>(options.seed));
  return 0;
}
