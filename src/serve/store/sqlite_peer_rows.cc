#include "serve/store/sqlite_peer_rows.h"

#include "crypto/key_codec.h"

namespace wgd::serve::sqlite {
namespace {

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

Error corrupt(std::int64_t id, std::string_view column) {
  return Error{fmt::format("peer {}: the stored {} is not valid (database corrupted or edited "
                           "by hand)",
                           id, column),
               EIO};
}

Result<std::optional<IpAddress>> decode_address(const Statement& row, int col, std::int64_t id,
                                                std::string_view column, std::size_t len) {
  if (row.is_null(col)) return std::nullopt;
  ByteSpan b = row.blob(col);
  if (b.size() != len) return std::unexpected(corrupt(id, column));
  return IpAddress::from_bytes(len == 4 ? IpAddress::Family::kV4 : IpAddress::Family::kV6,
                               b.data());
}

Result<std::optional<crypto::PrivateKey>> decode_secret(const Statement& row, int col,
                                                        std::int64_t id, std::string_view column) {
  if (row.is_null(col)) return std::nullopt;
  SecretText text(row.text(col));
  auto key = crypto::secret_key_from_base64(text.view());
  if (!key) return std::unexpected(corrupt(id, column));
  return std::optional(std::move(*key));
}

}  // namespace

Result<PeerRecord> decode_peer(const Statement& row) {
  PeerRecord r;
  r.id = row.int64(0);
  r.name = row.text(1);
  auto pub = crypto::key_from_base64(row.text(2));
  if (!pub) return std::unexpected(corrupt(r.id, "public_key"));
  r.public_key = *pub;
  auto priv = decode_secret(row, 3, r.id, "private_key");
  if (!priv) return std::unexpected(priv.error());
  r.private_key = std::move(*priv);
  auto psk = decode_secret(row, 4, r.id, "preshared_key");
  if (!psk) return std::unexpected(psk.error());
  r.preshared_key = std::move(*psk);
  auto v4 = decode_address(row, 5, r.id, "ipv4", 4);
  if (!v4) return std::unexpected(v4.error());
  r.ipv4 = *v4;
  auto v6 = decode_address(row, 6, r.id, "ipv6", 16);
  if (!v6) return std::unexpected(v6.error());
  r.ipv6 = *v6;
  for (const std::string& p : split_list(row.text(7))) {
    auto prefix = IpPrefix::parse(p);
    if (!prefix) return std::unexpected(corrupt(r.id, "client_allowed_ips"));
    r.client_allowed_ips.push_back(*prefix);
  }
  r.dns = split_list(row.text(8));
  if (auto k = row.optional_int64(9)) {
    if (*k < 1 || *k > 65535) return std::unexpected(corrupt(r.id, "persistent_keepalive"));
    r.persistent_keepalive = static_cast<std::uint16_t>(*k);
  }
  r.description = row.text(10);
  r.enabled = row.int64(11) != 0;
  r.expires_at = row.optional_int64(12);
  r.managed_by = row.text(13);
  r.created_at = row.int64(14);
  r.updated_at = row.int64(15);
  r.revision = row.int64(16);
  return r;
}

std::optional<SecretText> secret_text(const std::optional<crypto::Secret<crypto::kKeySize>>& k) {
  if (!k) return std::nullopt;
  return std::optional<SecretText>(std::in_place, crypto::key_to_base64(k->span()));
}

std::optional<ByteSpan> address_bytes(const std::optional<IpAddress>& a) {
  if (!a) return std::nullopt;
  return address_bytes(*a);
}

std::string join_list(const std::vector<IpPrefix>& prefixes) {
  std::string out;
  for (const IpPrefix& p : prefixes) {
    if (!out.empty()) out += ',';
    out += p.to_string();
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

}  // namespace wgd::serve::sqlite
