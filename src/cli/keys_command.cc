// wgd genkey | pubkey | genpsk: the same input and output as `wg genkey/pubkey/genpsk`.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "cli/command.h"
#include "crypto/key_codec.h"
#include "crypto/random.h"
#include "crypto/x25519.h"

namespace wgd::cli {
namespace {

constexpr const char* kBadKey = "Key is not the correct length or format";

// As wg: a key written to a regular file that others can read is probably a mistake.
void warn_if_world_accessible() {
  struct stat st;
  if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
    std::fputs("Warning: writing to world accessible file.\n"
               "Consider setting the umask to 077 and trying again.\n",
               stderr);
}

void print_key(std::span<const std::uint8_t, 32> key) {
  std::string text = crypto::key_to_base64(key);
  std::puts(text.c_str());
  std::fill(text.begin(), text.end(), '\0');
}

int genkey() {
  warn_if_world_accessible();
  crypto::PrivateKey key = crypto::x25519_generate();
  print_key(key.span());
  return 0;
}

int genpsk() {
  warn_if_world_accessible();
  crypto::PresharedKey key;
  crypto::random_bytes(key.span());
  print_key(key.span());
  return 0;
}

// Reads exactly one base64 key from stdin: 44 characters, then only whitespace (or NUL).
int pubkey() {
  char buf[45] = {};
  if (std::fread(buf, 1, 44, stdin) != 44) {
    std::fprintf(stderr, "wgd: %s\n", kBadKey);
    return 1;
  }
  for (;;) {
    const int c = std::getc(stdin);
    if (c == EOF) break;
    if (c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
      continue;
    std::fprintf(stderr, "wgd: Trailing characters found after key\n");
    return 1;
  }
  auto key = crypto::secret_key_from_base64(std::string_view(buf, 44));
  sodium_memzero(buf, sizeof buf);
  if (!key) {
    std::fprintf(stderr, "wgd: %s\n", kBadKey);
    return 1;
  }
  print_key(crypto::x25519_public(*key));
  return 0;
}

}  // namespace

void register_key_commands(CLI::App& app) {
  app.add_subcommand("genkey", "Generate a new private key and write it to stdout")
      ->callback([] { exit_code() = genkey(); });
  app.add_subcommand("genpsk", "Generate a new preshared key and write it to stdout")
      ->callback([] { exit_code() = genpsk(); });
  app.add_subcommand("pubkey", "Read a private key from stdin and write its public key to stdout")
      ->callback([] { exit_code() = pubkey(); });
}

}  // namespace wgd::cli
