#include "serve/store/peer_record.h"

#include "serve/store/peer_spec.h"

namespace wgd::serve {

PeerRecord PeerRecord::clone() const {
  PeerRecord r;
  r.id = id;
  r.name = name;
  r.public_key = public_key;
  if (private_key) r.private_key = private_key->clone();
  if (preshared_key) r.preshared_key = preshared_key->clone();
  r.ipv4 = ipv4;
  r.ipv6 = ipv6;
  r.extra_allowed_ips = extra_allowed_ips;
  r.client_allowed_ips = client_allowed_ips;
  r.dns = dns;
  r.persistent_keepalive = persistent_keepalive;
  r.description = description;
  r.enabled = enabled;
  r.expires_at = expires_at;
  r.managed_by = managed_by;
  r.created_at = created_at;
  r.updated_at = updated_at;
  r.revision = revision;
  return r;
}

std::vector<IpPrefix> PeerRecord::server_allowed_ips() const {
  std::vector<IpPrefix> out;
  out.reserve(extra_allowed_ips.size() + 2);
  if (ipv4) out.push_back({*ipv4, 32});
  if (ipv6) out.push_back({*ipv6, 128});
  out.insert(out.end(), extra_allowed_ips.begin(), extra_allowed_ips.end());
  return out;
}

KeyMaterial KeyMaterial::clone() const {
  KeyMaterial k;
  k.public_key = public_key;
  if (private_key) k.private_key = private_key->clone();
  return k;
}

}  // namespace wgd::serve
