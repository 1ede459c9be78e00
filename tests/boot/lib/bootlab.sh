# shellcheck shell=bash
# The boot lab's shell library: GRUB ISOs, swtpm (TCP for provisioning from the host, unixio for
# QEMU), QEMU runs and serial-log parsing. Sourced by tests/boot/run-scenario and scripts/demo.
# Facts behind every choice here: docs/reference/boot-lab.md (measured on these machines).
#
# Conventions: functions are prefixed bl_; they log to stderr; a missing prerequisite is reported
# through bl_skip (exit code 77, which CMake registers as SKIP_RETURN_CODE).

BL_SKIP_CODE=77

bl_log() { echo "bootlab: $*" >&2; }
bl_die() { echo "bootlab: FAIL: $*" >&2; exit 1; }
bl_skip() { echo "bootlab: SKIP: $*" >&2; exit "$BL_SKIP_CODE"; }

# bl_check DESCRIPTION COMMAND… : runs the command, logs ok/FAIL, counts failures in BL_FAILURES
# (a scenario goes on after a failed check so that one run shows every difference).
BL_FAILURES=0
bl_check() {
  local what="$1"
  shift
  if "$@"; then
    echo "bootlab: ok   - $what" >&2
  else
    echo "bootlab: FAIL - $what" >&2
    BL_FAILURES=$((BL_FAILURES + 1))
  fi
}
# bl_eq GOT EXPECTED : equality, showing both when they differ.
bl_eq() { [[ "$1" == "$2" ]] || { echo "bootlab:        got '$1', expected '$2'" >&2; return 1; }; }
# bl_not COMMAND… : true when the command fails.
bl_not() { ! "$@"; }

# bl_require_tools CMD… : skip (not fail) when a host tool of the lab is not installed.
bl_require_tools() {
  local missing=() c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  ((${#missing[@]} == 0)) || bl_skip "missing host tools: ${missing[*]} (run scripts/deps)"
}

# --- GRUB ISO ------------------------------------------------------------------------------------
# bl_mkiso ISO GRUB_CFG FILE… : builds a GRUB rescue ISO whose root holds each FILE (by base
# name) and /boot/grub/grub.cfg. ~0.5 s (docs/reference/boot-lab.md §3). BL_ISO=bios (default): GRUB i386-pc only; BL_ISO=hybrid:
# GRUB i386-pc and x86_64-efi, one image that boots under SeaBIOS and under OVMF.
bl_mkiso() {
  local iso="$1" cfg="$2"
  shift 2
  local tree
  tree=$(mktemp -d "${iso}.tree.XXXXXX")
  mkdir -p "$tree/boot/grub"
  cp "$cfg" "$tree/boot/grub/grub.cfg"
  local f
  for f in "$@"; do cp "$f" "$tree/"; done
  # BIOS images pin the i386-pc platform so that an installed EFI platform does not change them;
  # without -d, grub-mkrescue puts every installed platform into the image (grub-pc-bin and
  # grub-efi-amd64-bin: BIOS and x86_64 UEFI). Its output goes to the log only.
  local platform=(-d /usr/lib/grub/i386-pc)
  if [[ "${BL_ISO:-bios}" == hybrid ]]; then
    [[ -d /usr/lib/grub/x86_64-efi ]] || bl_skip "GRUB x86_64-efi files missing (install grub-efi-amd64-bin)"
    platform=()
  fi
  if ! grub-mkrescue "${platform[@]}" -o "$iso" "$tree" >"$iso.mkrescue.log" 2>&1; then
    cat "$iso.mkrescue.log" >&2
    rm -rf "$tree"
    bl_die "grub-mkrescue failed for $iso"
  fi
  rm -rf "$tree"
}

# bl_grub_cfg_header : the common start of every grub.cfg — serial console, no menu delay.
bl_grub_cfg_header() {
  cat <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
set default=0
CFG
}

# --- swtpm -----------------------------------------------------------------------------------------
# bl_free_port : prints a TCP port P such that P and P+1 look free on 127.0.0.1 (swtpm needs both:
# server and control channel). Random start so parallel tests rarely collide; `ss` (iproute2), when
# installed, rules out ports in use, and bl_swtpm_tcp_start retries on a bind failure anyway.
bl_free_port() {
  local p used=""
  command -v ss >/dev/null 2>&1 &&
    used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u)
  for _ in $(seq 200); do
    p=$((20000 + (RANDOM % 20000) * 2))
    if ! grep -qx "$p" <<<"$used" && ! grep -qx "$((p + 1))" <<<"$used"; then
      echo "$p"
      return 0
    fi
  done
  bl_die "no free TCP port pair found"
}

# bl_swtpm_init STATE_DIR [BANKS] : creates a fresh TPM 2.0 state with the PCR banks BANKS
# (default $BL_PCR_BANKS or sha256,sha384). The banks are explicit because swtpm_setup's own default
# comes from /etc/swtpm_setup.conf (sha256 only on Debian 12) while a state that `swtpm socket`
# manufactures by itself has all four banks (docs/reference/boot-lab.md §2).
bl_swtpm_init() {
  local dir="$1" banks="${2:-${BL_PCR_BANKS:-sha256,sha384}}"
  rm -rf "$dir"
  mkdir -p "$dir"
  swtpm_setup --tpm2 --tpmstate "$dir" --pcr-banks "$banks" --overwrite >"$dir/setup.log" 2>&1 ||
    { cat "$dir/setup.log" >&2; bl_die "swtpm_setup failed in $dir"; }
}

# bl_swtpm_tcp_start STATE_DIR : starts swtpm over TCP for provisioning from the host. Sets
# BL_SWTPM_PORT and BL_TCTI (the string tpm2-tss and `tlaunch nv --tcti` accept).
bl_swtpm_tcp_start() {
  local dir
  dir=$(cd "$1" && pwd)  # absolute: -d changes to / (a relative path puts the TPM in failure mode)
  for _ in $(seq 10); do
    BL_SWTPM_PORT=$(bl_free_port)
    rm -f "$dir/swtpm-tcp.pid"
    if swtpm socket --tpm2 --tpmstate dir="$dir" \
        --server type=tcp,port="$BL_SWTPM_PORT",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port="$((BL_SWTPM_PORT + 1))",bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear --pid file="$dir/swtpm-tcp.pid" \
        --log file="$dir/swtpm-tcp.log" -d 2>>"$dir/swtpm-tcp.err"; then
      BL_TCTI="swtpm:host=127.0.0.1,port=$BL_SWTPM_PORT"
      export BL_SWTPM_PORT BL_TCTI
      return 0
    fi
    sleep 0.2
  done
  cat "$dir/swtpm-tcp.err" >&2
  bl_die "could not start swtpm (tcp) on $dir"
}

# bl_swtpm_tcp_stop STATE_DIR : orderly shutdown (so the state is saved as after a clean power
# cycle), then stops the process through its control channel, then by pid if it is still alive.
bl_swtpm_tcp_stop() {
  local dir="$1" pid
  tpm2_shutdown -T "$BL_TCTI" >/dev/null 2>&1 || true
  swtpm_ioctl --tcp "127.0.0.1:$((BL_SWTPM_PORT + 1))" -s >/dev/null 2>&1 || true
  pid=$(cat "$dir/swtpm-tcp.pid" 2>/dev/null || true)
  bl_wait_pid_gone "$pid"
}

# bl_wait_pid_gone PID : waits up to 5 s for PID to exit, then kills it (by that pid only).
bl_wait_pid_gone() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  sleep 0.2
  kill -9 "$pid" 2>/dev/null || true
}

# bl_swtpm_unix_start STATE_DIR : starts swtpm for QEMU (unixio control channel, --terminate: it
# exits when QEMU disconnects). Sets BL_SWTPM_SOCK. The socket lives in /tmp under a name derived
# from the state dir: a Unix socket path holds at most 107 bytes (sockaddr_un), which a deep build
# tree's state dir can exceed.
bl_swtpm_unix_start() {
  local dir
  dir=$(cd "$1" && pwd)
  BL_SWTPM_SOCK="/tmp/tlaunch-swtpm-$(printf '%s' "$dir" | sha256sum | cut -c1-16).sock"
  rm -f "$BL_SWTPM_SOCK" "$dir/swtpm-qemu.pid"
  swtpm socket --tpm2 --tpmstate dir="$dir" --ctrl type=unixio,path="$BL_SWTPM_SOCK" \
    --terminate --pid file="$dir/swtpm-qemu.pid" --log file="$dir/swtpm-qemu.log" -d \
    2>>"$dir/swtpm-qemu.err" || { cat "$dir/swtpm-qemu.err" >&2; bl_die "swtpm (unixio) failed"; }
  for _ in $(seq 50); do [[ -S "$BL_SWTPM_SOCK" ]] && break; sleep 0.1; done
  [[ -S "$BL_SWTPM_SOCK" ]] || bl_die "swtpm socket $BL_SWTPM_SOCK did not appear"
  export BL_SWTPM_SOCK
}

# bl_cleanup_swtpms DIR… : on exit (also after a failure), stop every swtpm this run started in the
# given state directories — by the pids in their pid files, and only if that pid is still a swtpm.
bl_cleanup_swtpms() {
  local dir f pid
  for dir in "$@"; do
    for f in "$dir"/swtpm-tcp.pid "$dir"/swtpm-qemu.pid; do
      [[ -s "$f" ]] || continue
      pid=$(cat "$f")
      [[ "$(ps -p "$pid" -o comm= 2>/dev/null)" == swtpm ]] && kill "$pid" 2>/dev/null
    done
  done
  return 0
}

# bl_swtpm_unix_stop STATE_DIR : after QEMU, kill swtpm by its pid if --terminate did not end it.
bl_swtpm_unix_stop() {
  local dir="$1"
  bl_wait_pid_gone "$(cat "$dir/swtpm-qemu.pid" 2>/dev/null || true)"
}

# --- QEMU ------------------------------------------------------------------------------------------
# bl_qemu ISO SERIAL_LOG TIMEOUT_S [SWTPM_SOCK] : boots the ISO under TCG with the serial port in
# SERIAL_LOG and an isa-debug-exit device; prints QEMU's exit status (124 = timeout) on stdout.
#   BL_FIRMWARE=seabios (default) | ovmf: OVMF boots with OVMF_CODE_4M.fd and a fresh copy of
#     OVMF_VARS_4M.fd next to SERIAL_LOG (removed afterwards), so no boot sees another's variables.
#   BL_TPM_IF=tis (default) | crb: QEMU's tpm-tis or tpm-crb device in front of swtpm.
#   exit status 0     guest powered off (ACPI)
#   (v << 1) | 1      guest wrote v to port 0xf4 (isa-debug-exit)
# Always -accel tcg: /dev/kvm may exist without working VT-x and a KVM guest then hangs silently.
# q35 reaches the first serial line ~1.5 s earlier than pc under TCG. Further QEMU arguments (a
# disk, fw_cfg files) can be given in the array BL_QEMU_EXTRA.
# shellcheck disable=SC2054  # the commas belong to QEMU option values
bl_qemu() {
  local iso="$1" log="$2" timeout_s="$3" sock="${4:-}"
  local args=(-machine q35 -accel tcg -m "${BL_QEMU_MEM:-512M}" -smp 1 -nographic -no-reboot
    -monitor none -serial "file:$log" -display none
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -boot d -cdrom "$iso")
  local vars=""
  case "${BL_FIRMWARE:-seabios}" in
    seabios) ;;
    ovmf)
      vars="$(dirname "$log")/OVMF_VARS.fd"
      cp "$BL_OVMF_DIR/OVMF_VARS_4M.fd" "$vars"
      args+=(-drive "if=pflash,format=raw,readonly=on,file=$BL_OVMF_DIR/OVMF_CODE_4M.fd"
        -drive "if=pflash,format=raw,file=$vars")
      ;;
    *) bl_die "BL_FIRMWARE must be seabios or ovmf" ;;
  esac
  if [[ -n "$sock" ]]; then
    local dev
    case "${BL_TPM_IF:-tis}" in
      tis) dev=tpm-tis ;;
      crb) dev=tpm-crb ;;
      *) bl_die "BL_TPM_IF must be tis or crb" ;;
    esac
    args+=(-chardev "socket,id=chrtpm,path=$sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
      -device "$dev,tpmdev=tpm0")
  fi
  if [[ -n "${BL_QEMU_EXTRA+set}" ]]; then
    args+=("${BL_QEMU_EXTRA[@]}")
  fi
  local rc=0
  timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 "${args[@]}" \
    </dev/null >"$log.qemu-stdout" 2>"$log.qemu-stderr" || rc=$?
  [[ -z "$vars" ]] || rm -f "$vars"
  echo "$rc"
}

# Where Debian's ovmf package puts the firmware images.
BL_OVMF_DIR=${BL_OVMF_DIR:-/usr/share/OVMF}

# bl_require_ovmf : skip when the UEFI parts of the lab are not installed (scripts/deps has them).
bl_require_ovmf() {
  [[ -r "$BL_OVMF_DIR/OVMF_CODE_4M.fd" && -r "$BL_OVMF_DIR/OVMF_VARS_4M.fd" ]] ||
    bl_skip "OVMF firmware missing in $BL_OVMF_DIR (install ovmf)"
  [[ -d /usr/lib/grub/x86_64-efi ]] || bl_skip "GRUB x86_64-efi files missing (install grub-efi-amd64-bin)"
}

# --- platforms -------------------------------------------------------------------------------------
# bl_platform FIRMWARE INTERFACE : one cell of the platform matrix {seabios, ovmf} x {tis, crb}
# (issue 16) for bl_mkiso and bl_qemu: exports BL_FIRMWARE and BL_TPM_IF, and BL_ISO=hybrid under
# OVMF (whose GRUB is x86_64-efi); skips when OVMF is not installed. Sets what a launch measures
# on that TPM interface:
#   BL_PCR_MAP      the launcher's pcr_map= (and a launch spec's /pcr_map): da, or loc0 on CRB —
#                   QEMU's tpm-crb gives locality 0 only, where PCR 17-19 cannot be extended
#                   (launcher/README.md, "PCR mappings and localities")
#   BL_LAUNCH_PCRS  the PCRs the launch extends: "17 18 19" (da), "11 12 13" (loc0)
# shellcheck disable=SC2034  # BL_PCR_MAP and BL_LAUNCH_PCRS are for the scripts that source this
bl_platform() {
  local fw="$1" iface="$2"
  case "$fw" in seabios | ovmf) ;; *) bl_die "bl_platform: firmware seabios or ovmf, not '$fw'" ;; esac
  case "$iface" in tis | crb) ;; *) bl_die "bl_platform: interface tis or crb, not '$iface'" ;; esac
  export BL_FIRMWARE="$fw" BL_TPM_IF="$iface"
  if [[ "$fw" == ovmf ]]; then
    bl_require_ovmf
    export BL_ISO=hybrid
  fi
  if [[ "$iface" == crb ]]; then
    BL_PCR_MAP=loc0 BL_LAUNCH_PCRS="11 12 13"
  else
    BL_PCR_MAP=da BL_LAUNCH_PCRS="17 18 19"
  fi
}

# bl_expect_tpm_interface LOG : the launcher found the interface of QEMU's device (BL_TPM_IF).
bl_expect_tpm_interface() {
  local want=TIS/FIFO
  [[ "${BL_TPM_IF:-tis}" != crb ]] || want=CRB
  bl_check "launcher log: the TPM interface QEMU's tpm-${BL_TPM_IF:-tis} presents ($want)" \
    bl_log_has "$1" "^tlaunch: TPM: $want interface, "
}

# bl_expect_platform_linux LOG : what Linux kept of the platform (BL_FIRMWARE). ACPI always, with
# the TPM2 table (on UEFI from the RSDP the launcher passes and the EFI configuration table); on
# OVMF also EFI with its runtime services (Linux registers its EFI variable operations only when
# they work; lib/init), after the launcher's EFI hand-over.
bl_expect_platform_linux() {
  local log="$1"
  bl_check "Linux has ACPI, with the TPM2 table" bl_log_has "$log" '^TLAUNCH-GUEST: acpi: yes tables=.*TPM2'
  if [[ "${BL_FIRMWARE:-seabios}" == ovmf ]]; then
    bl_check "launcher: EFI system table and memory map handed to Linux" \
      bl_log_has "$log" '^tlaunch: UEFI: EFI64 system table 0x[0-9a-f]+, memory map [0-9]+ bytes .* handed to Linux$'
    bl_check "launcher: e820 table from the EFI memory map" \
      bl_log_has "$log" '^tlaunch: Linux: .* e820 entries \(from the EFI memory map\)'
    bl_check "launcher: the firmware's RSDP from the EFI configuration table, as GRUB's ACPI tag" \
      bl_log_has "$log" "^tlaunch: ACPI: RSDP revision 2 at 0x[0-9a-f]+ \\(EFI configuration table, same as the loader's ACPI tag\\)$"
    bl_check "Linux has EFI and its runtime services" \
      bl_log_has "$log" '^TLAUNCH-GUEST: efi: yes runtime=yes '
  else
    bl_check "BIOS path: no EFI hand-over" bl_not bl_log_has "$log" '^tlaunch: UEFI:'
    bl_check "Linux has no EFI (BIOS)" bl_log_has "$log" '^TLAUNCH-GUEST: efi: no$'
  fi
}

# --- serial log ------------------------------------------------------------------------------------
# The serial log has CR LF line ends and kernel noise; strip CRs before matching.
bl_serial_lines() { tr -d '\r' <"$1"; }

# bl_log_has LOG REGEX : true when a line of the serial log matches. (Not `… | grep -q` under
# pipefail: grep -q exits at the first match, the writer gets SIGPIPE and the pipeline "fails".)
bl_log_has() { grep -Eq -- "$2" < <(bl_serial_lines "$1"); }

# bl_guest_marker LOG : true when the initramfs /init printed its marker.
bl_guest_marker() { bl_log_has "$1" '^TLAUNCH-GUEST: marker: linux userspace reached'; }

# bl_guest_pcr LOG BANK INDEX [SOURCE] : the value the guest read (lower-case hex), or nothing.
bl_guest_pcr() {
  local src="${4:-tpm2_pcrread}"
  bl_serial_lines "$1" | sed -n "s/^TLAUNCH-GUEST: pcr source=$src bank=$2 index=$3 value=\([0-9a-f]*\)\$/\1/p" |
    tail -n 1
}

# bl_verdict_line LOG : the launcher's last verdict line
#   TLAUNCH: verdict=<pass|fail> action=<continue|unmeasured|halt> error=<tboot error name>
bl_verdict_line() { bl_serial_lines "$1" | grep -E '^TLAUNCH: verdict=' | tail -n 1; }

# bl_verdict_field LOG FIELD : one field (verdict, action, error) of that line.
bl_verdict_field() {
  bl_verdict_line "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# bl_show_log LOG [N] : the last N lines of a serial log, for a failure report.
bl_show_log() {
  echo "---- last ${2:-60} lines of $1 ----" >&2
  bl_serial_lines "$1" | tail -n "${2:-60}" >&2
  echo "----" >&2
}
