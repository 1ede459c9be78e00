#!/bin/sh
# Regenerates the compiled-in copy of schemas/launch-spec.v1.schema.json
# (libspec/src/schema_text.cpp). launch_spec_test checks both are equal.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
schema="$root/schemas/launch-spec.v1.schema.json"
out="$root/libspec/src/schema_text.cpp"
if grep -q ')tlaunch_schema' "$schema"; then
  echo "the schema contains the raw-string delimiter )tlaunch_schema" >&2
  exit 1
fi
{
  echo '// Generated from schemas/launch-spec.v1.schema.json: the compiled-in copy of the schema.'
  echo '// tests/unit/launch_spec_test.cpp checks that it equals the file; to regenerate after editing'
  echo '// the schema, run: tests/unit/launch_spec_regen_schema.sh'
  echo '#include "tlaunch/spec/launch_spec.h"'
  echo
  echo 'namespace tlaunch::host::spec {'
  echo
  echo 'const char* launch_spec_schema_text() {'
  printf '  return R"tlaunch_schema('
  cat "$schema"
  echo ')tlaunch_schema";'
  echo '}'
  echo
  echo '}  // namespace tlaunch::host::spec'
} > "$out.tmp"
mv "$out.tmp" "$out"
