// How a PeerRecord maps to columns of the `peers` table, and back.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>
#include <vector>

#include "serve/store/peer_record.h"
#include "serve/store/sqlite_connection.h"
#include "util/bytes.h"
#include "util/error.h"

namespace wgd::serve::sqlite {

// The columns decode_peer reads, in its order.
inline constexpr std::string_view kPeerColumns =
    "id, name, public_key, private_key, preshared_key, ipv4, ipv6, client_allowed_ips, dns, "
    "persistent_keepalive, description, enabled, expires_at, managed_by, created_at, "
    "updated_at, revision";

// A row read with kPeerColumns; extra_allowed_ips (peer_routes) is left empty. A column that
// does not decode is reported as corruption (EIO) naming the peer and column, never the value.
Result<PeerRecord> decode_peer(const Statement& row);

// The base64 text of a secret, wiped when it goes out of scope (after SQLite copied it).
class SecretText {
 public:
  explicit SecretText(std::string s) : s_(std::move(s)) {}
  SecretText(const SecretText&) = delete;
  SecretText& operator=(const SecretText&) = delete;
  ~SecretText() { sodium_memzero(s_.data(), s_.size()); }
  std::string_view view() const { return s_; }

 private:
  std::string s_;
};
std::optional<SecretText> secret_text(const std::optional<crypto::Secret<crypto::kKeySize>>& k);

inline ByteSpan address_bytes(const IpAddress& a) {
  return {a.bytes(), a.byte_length()};
}
std::optional<ByteSpan> address_bytes(const std::optional<IpAddress>& a);

// Short lists kept as comma-separated text (no entry can contain a comma).
std::string join_list(const std::vector<IpPrefix>& prefixes);
std::string join_list(const std::vector<std::string>& items);

}  // namespace wgd::serve::sqlite
