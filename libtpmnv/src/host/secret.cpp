#include "tlaunch/tpmnv/secret.h"

#include <string.h>

#include <utility>

#include "tlaunch/policy/host/io/secret.h"

namespace tlaunch::tpmnv {

Secret::Secret(const uint8_t* data, size_t size) {
  size_ = size > kCapacity ? kCapacity : size;
  for (size_t i = 0; i < size_; ++i) bytes_[i] = data[i];
}

Secret::~Secret() { clear(); }

Secret::Secret(Secret&& other) noexcept { *this = std::move(other); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    for (size_t i = 0; i < other.size_; ++i) bytes_[i] = other.bytes_[i];
    size_ = other.size_;
    other.clear();
  }
  return *this;
}

void Secret::clear() {
  explicit_bzero(bytes_, sizeof(bytes_));
  size_ = 0;
}

host::Expected<Secret> read_secret(const std::string& spec, const std::string& what,
                                   AuthSource* source) {
  AuthSource local;
  AuthSource& src = source ? *source : local;
  src = AuthSource{};
  if (spec.empty()) {
    src.description = "empty authorization";
    return Secret();
  }
  host::SecretRequest req;
  req.what = what;
  req.max_size = Secret::kCapacity;  // TPM2B_AUTH holds at most 64 bytes, the largest digest
  host::SecretOrigin origin;
  host::Expected<host::SecretBytes> s = host::read_secret(spec, req, &origin);
  src.description = origin.description;
  src.visible_in_ps = origin.visible_in_ps;
  if (!s) return s.failure();
  return Secret(s->data(), s->size());
}

}  // namespace tlaunch::tpmnv
