// Generated from schemas/launch-spec.v1.schema.json: the compiled-in copy of the schema.
// tests/unit/launch_spec_test.cpp checks that it equals the file; to regenerate after editing
// the schema, run: tests/unit/launch_spec_regen_schema.sh
#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

const char* launch_spec_schema_text() {
  return R"tlaunch_schema({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://tlaunch.invalid/schemas/launch-spec.v1.schema.json",
  "title": "tlaunch launch spec, version 1",
  "description": "One file that describes a measured launch: the tboot VLP (type, hash algorithm, PCRs), the boot entries GRUB loads (launcher, kernel, initrd, extra modules, SINIT ACMs) with their exact command lines, the TPM NV indices, optional LCP and the GRUB settings. Relative file paths are relative to the directory of the spec file. Read by tlaunch build, grub, apply and doctor.",
  "type": "object",
  "required": ["version", "policy", "launcher", "entries"],
  "additionalProperties": false,
  "properties": {
    "$schema": {"type": "string"},
    "version": {"const": 1, "description": "Format version of this document."},
    "description": {"type": "string", "description": "Free text, ignored."},
    "policy": {"$ref": "#/$defs/policy"},
    "pcr_map": {
      "enum": ["da", "legacy", "loc0"],
      "default": "da",
      "description": "PCR mapping of the launcher (vlp.md 6.4). TPM 2.0 always uses the details/authorities (da) mapping; loc0 is the launcher's own: DA with PCR 17/18/19-22 moved to 11/12/13, which locality 0 may extend (platforms without a measured launch; launcher/README.md \"PCR mappings\"). The launcher's command line must say the same (pcr_map=)."
    },
    "all_banks": {
      "type": "boolean",
      "default": false,
      "description": "The launcher runs with all_banks=on: every allocated PCR bank it can hash (SHA-1, SHA-256/384/512) gets that bank's own digest of each measurement, while modules are verified with /policy/hash_alg. reference.json then predicts every bank of /banks. The launcher's command line must say the same (all_banks=)."
    },
    "banks": {
      "type": "array",
      "items": {"$ref": "#/$defs/bank"},
      "minItems": 1,
      "uniqueItems": true,
      "default": ["sha256"],
      "description": "PCR banks for which reference.json lists digests, measurements and predicted PCR values."
    },
    "launcher": {"$ref": "#/$defs/launcher"},
    "entries": {
      "type": "array",
      "items": {"$ref": "#/$defs/entry"},
      "minItems": 1,
      "maxItems": 64,
      "description": "Boot entries. Module i of every entry is verified by VLP entry mod_num i, which lists the hashes of all entries."
    },
    "sinits": {
      "type": "array",
      "items": {"$ref": "#/$defs/file_module"},
      "maxItems": 16,
      "default": [],
      "description": "SINIT ACMs loaded by every entry (module2 --nounzip) after the measured modules. tboot and the tlaunch launcher remove them from the module list before numbering (tboot remove_txt_modules, vlp.md 6.1), so they take no module number and the VLP does not name them; each file must be a SINIT ACM by tboot's rules (is_sinit_acmod: ACM header, Intel chipset module, ACM UUID v3, SINIT type), or build refuses it."
    },
    "lcp": {"$ref": "#/$defs/lcp"},
    "nv": {"$ref": "#/$defs/nv"},
    "grub": {"$ref": "#/$defs/grub"}
  },
  "$defs": {
    "bank": {"enum": ["sha1", "sha256", "sha384", "sha512"]},
    "pcr": {
      "description": "A PCR index 0..23 or \"none\" (do not extend).",
      "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 23},
        {"const": "none"}
      ]
    },
    "cmdline": {
      "type": "string",
      "maxLength": 1023,
      "pattern": "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$",
      "description": "The exact command line GRUB hands over (only the arguments, never the path). Control characters other than TAB are not allowed; tb_polgen's limit is 1023 bytes."
    },
    "grub_path": {
      "type": "string",
      "pattern": "^(\\([^)]*\\))?/[^\\u0000-\\u001f\\u007f]*$",
      "description": "The path GRUB opens, relative to its root device, optionally with a (device) prefix. Default: grub.path_prefix + \"/\" + the file's base name."
    },
    "policy": {
      "type": "object",
      "required": ["type"],
      "additionalProperties": false,
      "properties": {
        "type": {
          "enum": ["nonfatal", "continue", "halt"],
          "description": "VLP policy type (TB_POLTYPE_CONT_NON_FATAL, _CONT_VERIFY_FAIL, _HALT)."
        },
        "hash_alg": {
          "enum": ["sha256", "sha384", "sha512"],
          "default": "sha256",
          "description": "VLP hash algorithm; the launcher must measure with it (tboot extpol)."
        },
        "extend_pcr17": {
          "type": "boolean",
          "default": true,
          "description": "policy_control bit 0 (TB_POLCTL_EXTEND_PCR17): fold the policy's digest into the PCR 17 measurement."
        },
        "other_modules": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "pcr": {"$ref": "#/$defs/pcr"}
          },
          "description": "When present, a last VLP entry with mod_num ANY and hash type ANY accepts modules the entries do not describe, extending them into pcr. Absent: such modules fail with TB_ERR_MODULES_NOT_IN_POLICY."
        }
      }
    },
    "launcher": {
      "type": "object",
      "required": ["file"],
      "additionalProperties": false,
      "properties": {
        "file": {"type": "string", "minLength": 1},
        "grub_path": {"$ref": "#/$defs/grub_path"},
        "cmdline": {"$ref": "#/$defs/cmdline"},
        "nounzip": {"type": "boolean"}
      }
    },
    "module": {
      "type": "object",
      "required": ["file"],
      "additionalProperties": false,
      "properties": {
        "file": {"type": "string", "minLength": 1, "description": "Host path of the file to hash (relative to the spec)."},
        "grub_path": {"$ref": "#/$defs/grub_path"},
        "cmdline": {"$ref": "#/$defs/cmdline"},
        "pcr": {"$ref": "#/$defs/pcr"},
        "verify": {
          "enum": ["image", "any"],
          "default": "image",
          "description": "image: the module's measurement must be one of the VLP entry's hashes (TB_HTYPE_IMAGE); any: no check (TB_HTYPE_ANY)."
        },
        "as_loaded": {
          "enum": ["grub", "raw"],
          "default": "grub",
          "description": "How the reference digest is computed: grub = the bytes GRUB's module2 hands over (decompressed unless --nounzip); raw = the file's bytes, which requires that GRUB does not decompress it."
        },
        "nounzip": {"type": "boolean", "description": "Load with module2 --nounzip (default: grub.nounzip)."}
      }
    },
    "file_module": {
      "type": "object",
      "required": ["file"],
      "additionalProperties": false,
      "properties": {
        "file": {"type": "string", "minLength": 1},
        "grub_path": {"$ref": "#/$defs/grub_path"}
      }
    },
    "entry": {
      "type": "object",
      "required": ["title", "kernel"],
      "additionalProperties": false,
      "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\u0000-\\u001f\\u007f]*$"},
        "id": {"type": "string", "pattern": "^[A-Za-z0-9._+-]{1,64}$", "description": "GRUB menuentry --id."},
        "kernel": {"$ref": "#/$defs/module", "description": "Module 0."},
        "initrd": {"$ref": "#/$defs/module", "description": "Module 1."},
        "modules": {
          "type": "array",
          "items": {"$ref": "#/$defs/module"},
          "maxItems": 32,
          "description": "Further measured modules, numbered after the kernel and the initrd."
        }
      }
    },
    "nv_index": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "handle": {
          "type": "string",
          "pattern": "^0[xX][0-9A-Fa-f]{8}$",
          "description": "Must equal the catalogue handle of nv.handle_set (the launcher reads only that one); stated to make the spec explicit."
        },
        "size": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "Index data size in bytes."},
        "attributes": {
          "type": "string",
          "pattern": "^([A-Za-z_]+(=[A-Za-z0-9_]+)?( *\\| *[A-Za-z_]+(=[A-Za-z0-9_]+)?)*|0[xX][0-9A-Fa-f]{1,8})$",
          "description": "TPMA_NV as tpm2-tools names joined by | (ownerwrite|authread|...) or hex. Default: the catalogue's attributes."
        }
      }
    },
    "nv": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "handle_set": {
          "enum": ["tcg", "legacy"],
          "default": "tcg",
          "description": "tcg: 0x01C101xx (SINIT tpm_nv_index_set = 1); legacy: Intel's 0x01200001... (nv.md 2)."
        },
        "vlp": {"$ref": "#/$defs/nv_index"},
        "error": {
          "description": "The launch error index: true (define with the catalogue settings), false (do not define) or index settings.",
          "anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/nv_index"}]
        },
        "po": {"$ref": "#/$defs/nv_index"}
      }
    },
    "lcp": {
      "type": "object",
      "required": ["lists"],
      "additionalProperties": false,
      "description": "Optional Intel TXT Launch Control Policy (platform owner): lists of elements, signed or not, the policy for the PO index and the data file GRUB loads.",
      "properties": {
        "version": {"enum": ["3.0", "3.1", "3.2"], "default": "3.2"},
        "hash_alg": {"enum": ["sha256", "sha384", "sha512"], "default": "sha256", "description": "PolicyHashAlg."},
        "min_sinit_version": {"type": "integer", "minimum": 0, "maximum": 255, "default": 0},
        "control": {"type": "integer", "minimum": 0, "maximum": 4294967295, "default": 0},
        "data_file": {"$ref": "#/$defs/grub_path", "description": "GRUB path of the policy data file. Default: grub.path_prefix/lcp.data"},
        "lists": {
          "type": "array",
          "minItems": 1,
          "maxItems": 8,
          "items": {"$ref": "#/$defs/lcp_list"},
          "description": "LCP_POLICY_LIST2/2_1 lists, in data-file order (LCP_MAX_LISTS = 8)."
        }
      }
    },
    "lcp_list": {
      "type": "object",
      "required": ["elements"],
      "additionalProperties": false,
      "properties": {
        "version": {"enum": ["0x300", "0x200", "0x201"], "default": "0x300"},
        "elements": {"type": "array", "minItems": 1, "maxItems": 32, "items": {"$ref": "#/$defs/lcp_element"}},
        "signing": {"$ref": "#/$defs/lcp_signing"}
      }
    },
    "lcp_element": {
      "type": "object",
      "required": ["type"],
      "additionalProperties": false,
      "properties": {
        "type": {"enum": ["mle", "vlp", "custom", "file"], "description": "mle: MLE2 element with the MLE hash of the launcher image (or of \"file\") with the launcher's command line, as lcp2_mlehash computes it; vlp: the VLP built from this spec wrapped in a CUSTOM2 element with the tboot UUID (tboot's fallback policy source); custom: CUSTOM2 element with \"uuid\" and the bytes of \"file\"; file: a ready-made element file."},
        "hash_alg": {"enum": ["sha256", "sha384", "sha512"], "default": "sha256", "description": "mle: the MLE hash algorithm."},
        "min_sinit_version": {"type": "integer", "minimum": 0, "maximum": 255, "default": 0, "description": "mle: SINITMinVersion."},
        "control": {"type": "integer", "minimum": 0, "maximum": 4294967295, "default": 1, "description": "PolEltControl (lcptools default 1)."},
        "uuid": {"type": "string", "description": "custom: \"tboot\" or {0xaabbccdd, 0xeeff, 0xgghh, 0xiijj, {0xkk, ...}} as lcp2_crtpolelt takes it."},
        "file": {"type": "string", "minLength": 1}
      }
    },
    "lcp_signing": {
      "type": "object",
      "required": ["alg"],
      "additionalProperties": false,
      "properties": {
        "alg": {"enum": ["rsa", "rsapss", "ecdsa"]},
        "hash_alg": {"enum": ["sha256", "sha384"]},
        "public_key": {"type": "string", "minLength": 1},
        "private_key": {"type": "string", "minLength": 1, "description": "PEM private key (alg rsa only: PKCS#1 v1.5 is deterministic, RSA-PSS and ECDSA are not). Without private_key and signature the build writes lcp-list-<i>.tbs, the bytes to sign, and stops."},
        "passphrase": {"type": "string", "pattern": "^(file|env):.+$", "description": "Where the key passphrase is: file:PATH or env:NAME (never the secret itself)."},
        "signature": {"type": "string", "minLength": 1, "description": "Detached signature made elsewhere over the list's to-be-signed bytes."},
        "revocation_counter": {"type": "integer", "minimum": 0, "maximum": 65535}
      }
    },
    "grub": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "submenu": {"type": "string", "minLength": 1, "pattern": "^[^\\u0000-\\u001f\\u007f]*$", "description": "Put the entries in a submenu with this title."},
        "path_prefix": {
          "type": "string",
          "pattern": "^(\\([^)]*\\))?(/[^\\u0000-\\u001f\\u007f]*)?$",
          "default": "/boot",
          "description": "Prefix of the default grub_path of every file (\"\" when /boot is its own partition)."
        },
        "root": {
          "type": "object",
          "additionalProperties": false,
          "maxProperties": 1,
          "properties": {
            "device": {"type": "string", "pattern": "^[A-Za-z0-9,._-]+$", "description": "set root='DEVICE' (e.g. hd0,msdos1)."},
            "fs_uuid": {"type": "string", "pattern": "^[A-Za-z0-9-]+$", "description": "search --no-floppy --fs-uuid --set=root UUID"},
            "label": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$", "description": "search --no-floppy --label --set=root LABEL"}
          }
        },
        "insmod": {
          "type": "array",
          "items": {"type": "string", "pattern": "^[a-z0-9_]+$"},
          "uniqueItems": true,
          "description": "Extra GRUB modules to load first (e.g. part_gpt, ext2)."
        },
        "nounzip": {"type": "boolean", "default": false, "description": "Load every module with module2 --nounzip (per-module nounzip overrides)."},
        "classes": {
          "type": "array",
          "items": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
          "default": ["gnu-linux", "gnu", "os", "tlaunch"]
        },
        "messages": {"type": "boolean", "default": true, "description": "echo 'Loading ...' lines as grub-mkconfig writes them."}
      }
    }
  }
}
)tlaunch_schema";
}

}  // namespace tlaunch::host::spec
