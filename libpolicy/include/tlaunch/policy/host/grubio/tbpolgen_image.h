// Image digests exactly as tb_polgen computes them (tb_polgen/commands.c hash_file()): the file is
// read through zlib's gzopen()/gzread(), so gzip data is decompressed transparently and any other
// file is hashed as it is (docs/reference/tb_polgen.md §2.3, docs/reference/upstream-quirks.md#q7).
// Unlike upstream, a stream zlib cannot decode (docs/reference/upstream-quirks.md#q5: upstream
// passes gzread's -1 to EVP_DigestUpdate and crashes) or that ends early
// (docs/reference/upstream-quirks.md#q6: upstream hashes the prefix) is an error, never a digest.
//
// This is deliberately not GRUB's decompression (gzip/xz/lzop, `tlaunch hash --as-loaded grub`):
// tb_polgen's byte-identical output depends on zlib's gzread semantics (multi-member gzip, trailing
// garbage after a member ignored, xz/lzop files hashed compressed).
#pragma once

#include <string>

#include "tlaunch/policy/hash_alg.h"
#include "tlaunch/policy/host/io/error.h"

namespace tlaunch::host {

// Failure codes: kNotFound (no such file: tb_polgen says "File F does not exist"), kIo (cannot
// open or read), kBadValue (corrupt compressed data), kTruncated (compressed data ends early),
// kUnsupported (no OpenSSL digest for alg). Messages name the file.
Expected<Digest> hash_image_gzread(const std::string& path, HashAlg alg);

}  // namespace tlaunch::host
