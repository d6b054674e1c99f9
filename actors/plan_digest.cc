#include "actors/plan_digest.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

namespace rad {

std::string plan_sha256(const v1::Plan& plan) {
  std::string bytes;
  {
    // Deterministic: map fields (an exec story's environment) in key order,
    // or the same plan could digest differently from one submit to the next.
    google::protobuf::io::StringOutputStream out{&bytes};
    google::protobuf::io::CodedOutputStream coded{&out};
    coded.SetSerializationDeterministic(true);
    plan.SerializeToCodedStream(&coded);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string{reinterpret_cast<const char*>(digest), size};
}

}  // namespace rad
