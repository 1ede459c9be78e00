# shellcheck shell=bash
# A real Debian 12 system for the package and kernel-update tests (tests/debian/README.md): a root
# file system made with mmdebstrap from Debian's package registry, cached outside the build tree,
# used as a chroot (tests/debian/package-lifecycle) or written into a disk image without loop
# devices (mke2fs -d) and booted under QEMU (tests/debian/kernel-update).
#
# Functions are prefixed dg_ and log to stderr. A prerequisite that cannot be had (no mmdebstrap,
# not root, the registry unreachable and nothing cached) is a skip: exit 77 through dg_skip.

# shellcheck source=../../boot/lib/bootlab.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../boot/lib/bootlab.sh"

DG_SKIP_CODE=77
dg_log() { echo "debian-guest: $*" >&2; }
dg_die() { echo "debian-guest: FAIL: $*" >&2; exit 1; }
dg_skip() { echo "debian-guest: SKIP: $*" >&2; exit "$DG_SKIP_CODE"; }

# The kernel metapackage whose bookworm and bookworm-security versions are the two real kernels
# of the update (6.1.176-1 -> linux-image-6.1.0-50-cloud-amd64 and 6.1.192-3 ->
# linux-image-6.1.0-57-cloud-amd64 when this was written). The cloud flavour boots fastest under
# TCG (LZ4) and has the TPM TIS driver and the 8250 console built in.
DG_KERNEL_METAPACKAGE="${TLAUNCH_GUEST_KERNEL_METAPACKAGE:-linux-image-cloud-amd64}"

# dg_cache_dir : where downloads and the base tarball are kept between runs (and between build
# trees and fresh clones): $TLAUNCH_CACHE_DIR, else ~/.cache/tlaunch, as scripts/fetch-kernel.
dg_cache_dir() {
  local c="${TLAUNCH_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/tlaunch}/debian"
  mkdir -p "$c" 2>/dev/null && [[ -w "$c" ]] || dg_die "cache directory $c is not writable (set TLAUNCH_CACHE_DIR)"
  echo "$c"
}

# dg_require_root_tools : mmdebstrap in root mode, chroot and the mount namespace need root.
dg_require_root_tools() {
  [[ $(id -u) -eq 0 ]] || dg_skip "needs root (mmdebstrap, chroot, mount namespaces)"
  local missing=() c
  for c in mmdebstrap unshare chroot mke2fs debugfs dpkg-deb apt-cache apt-get flock; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || dg_skip "missing host tools: ${missing[*]} (run scripts/deps)"
}

# dg_mirror SUITE : the URI of the machine's apt source for SUITE/main (apt-cache policy), so the
# guest comes from the same registry (and proxy) as the host's packages.
dg_mirror() {
  apt-cache policy 2>/dev/null |
    awk -v s="$1/main" '$3 == s && $4 == "amd64" && $5 == "Packages" { print $2; exit }'
}

# dg_kernel_package SUITE : the versioned kernel package the metapackage depends on in SUITE
# (apt-cache show PKG/SUITE), e.g. linux-image-6.1.0-50-cloud-amd64.
dg_kernel_package() {
  apt-cache show "$DG_KERNEL_METAPACKAGE/$1" 2>/dev/null |
    awk '$1 == "Depends:" { for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-[0-9]/) { print $i; exit } }'
}

# dg_resolve : sets DG_MIRROR, DG_SECURITY_MIRROR, DG_OLD_KERNEL (the bookworm kernel package,
# installed in the base) and DG_NEW_KERNEL (bookworm-security's, the update). Skips when the
# machine's apt knows neither suite.
dg_resolve() {
  DG_MIRROR=$(dg_mirror bookworm)
  DG_SECURITY_MIRROR=$(dg_mirror bookworm-security)
  if [[ -z "$DG_MIRROR" || -z "$DG_SECURITY_MIRROR" ]]; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || true
    DG_MIRROR=$(dg_mirror bookworm)
    DG_SECURITY_MIRROR=$(dg_mirror bookworm-security)
  fi
  [[ -n "$DG_MIRROR" && -n "$DG_SECURITY_MIRROR" ]] ||
    dg_skip "the machine's apt sources name no bookworm and bookworm-security suites"
  DG_OLD_KERNEL="${TLAUNCH_GUEST_OLD_KERNEL:-$(dg_kernel_package bookworm)}"
  DG_NEW_KERNEL="${TLAUNCH_GUEST_NEW_KERNEL:-$(dg_kernel_package bookworm-security)}"
  [[ -n "$DG_OLD_KERNEL" && -n "$DG_NEW_KERNEL" ]] ||
    dg_skip "apt-cache cannot resolve $DG_KERNEL_METAPACKAGE in bookworm and bookworm-security"
  [[ "$DG_OLD_KERNEL" != "$DG_NEW_KERNEL" ]] ||
    dg_die "bookworm and bookworm-security have the same kernel ($DG_OLD_KERNEL): no update to test;" \
      "set TLAUNCH_GUEST_OLD_KERNEL / TLAUNCH_GUEST_NEW_KERNEL to two kernel packages"
  export DG_MIRROR DG_SECURITY_MIRROR DG_OLD_KERNEL DG_NEW_KERNEL
}

# dg_deb_depends DEB : the package names DEB depends on (versions and alternatives dropped), one
# per line: the base must hold them because the guest has no network to fetch them.
dg_deb_depends() {
  { dpkg-deb -f "$1" Depends; dpkg-deb -f "$1" Pre-Depends; } | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
    grep -v '^$' | sort -u
}

# dg_base_tarball DEB : prints the path of the cached base root file system (a tar made by
# mmdebstrap), building it when absent. Its key is everything that goes into it: the mirrors,
# the package list (which includes DEB's dependencies) and mmdebstrap's version. Two runs at once
# build it once (flock).
dg_base_tarball() {
  local deb="$1" cache includes key tar tmp
  cache=$(dg_cache_dir)
  dg_resolve
  # systemd + udev: a booting system; initramfs-tools + the bookworm kernel: the old kernel with
  # its initrd; grub2-common: update-grub, /etc/grub.d/10_linux and the zz-update-grub kernel
  # hook; tpm2-tools: the guest's independent TPM reader.
  includes=$({ printf '%s\n' systemd-sysv udev kmod initramfs-tools tpm2-tools grub2-common \
    "$DG_OLD_KERNEL"; dg_deb_depends "$deb"; } | sort -u | tr '\n' ',' | sed 's/,$//')
  key=$(printf '%s\n' "$DG_MIRROR" "$DG_SECURITY_MIRROR" "$includes" "$(mmdebstrap --version)" |
    sha256sum | cut -c1-16)
  tar="$cache/base-bookworm-$key.tar"
  exec 7>"$cache/.base.lock"
  flock 7
  if [[ ! -s "$tar" ]]; then
    dg_log "building the base system with mmdebstrap (bookworm, $DG_OLD_KERNEL, from $DG_MIRROR)"
    tmp="$cache/.base-$key.tmp.tar"
    local t0=$SECONDS
    if ! mmdebstrap --variant=minbase --include="$includes" --aptopt='Acquire::Languages "none"' \
        bookworm "$tmp" "deb $DG_MIRROR bookworm main" \
        "deb $DG_SECURITY_MIRROR bookworm-security main" >"$cache/mmdebstrap.log" 2>&1; then
      tail -n 30 "$cache/mmdebstrap.log" >&2
      rm -f "$tmp"
      flock -u 7
      if grep -Eq 'Failed to fetch|Could not resolve|Temporary failure resolving' "$cache/mmdebstrap.log"; then
        dg_skip "mmdebstrap could not reach the package registry; log: $cache/mmdebstrap.log"
      fi
      dg_die "mmdebstrap failed; log: $cache/mmdebstrap.log"
    fi
    mv "$tmp" "$tar"
    dg_log "base system built in $((SECONDS - t0)) s: $tar ($(du -m "$tar" | cut -f1) MB)"
    # Only the newest base is kept.
    find "$cache" -maxdepth 1 -name 'base-bookworm-*.tar' ! -name "$(basename "$tar")" -delete
  fi
  flock -u 7
  echo "$tar"
}

# dg_fetch_deb PACKAGE : prints the path of PACKAGE's .deb in the cache, downloading it with
# `apt-get download` (checked by apt against the signed archive index) when absent.
dg_fetch_deb() {
  local pkg="$1" dir f
  dir="$(dg_cache_dir)/debs"
  mkdir -p "$dir"
  exec 6>"$dir/.lock"
  flock 6
  f=$(ls -1 "$dir/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
  if [[ -z "$f" ]]; then
    local tmp
    tmp=$(mktemp -d "$dir/.dl.XXXXXX")
    if ! (cd "$tmp" && apt-get -q download "$pkg") >"$tmp/log" 2>&1; then
      cat "$tmp/log" >&2
      rm -rf "$tmp"
      flock -u 6
      dg_skip "apt-get download $pkg failed and it is not cached"
    fi
    mv "$tmp"/*.deb "$dir/"
    rm -rf "$tmp"
    f=$(ls -1 "$dir/${pkg}_"*.deb | head -n 1)
  fi
  flock -u 6
  echo "$f"
}

# dg_unpack TAR DIR : a fresh root file system in DIR.
dg_unpack() {
  rm -rf "$2"
  mkdir -p "$2"
  tar -x -p --numeric-owner -f "$1" -C "$2"
}

# dg_chroot DIR CMD… : runs CMD in the root file system DIR with /proc, /sys and /dev mounted, in
# a private mount namespace: the mounts vanish with the command, whatever happens to it. Policy
# for invoke-rc.d: start no services.
dg_chroot() {
  local dir="$1"
  shift
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  unshare --mount --propagation private --fork -- sh -c '
    d="$1"; shift
    mount -t proc proc "$d/proc" && mount -t sysfs sysfs "$d/sys" && mount --bind /dev "$d/dev" &&
      exec chroot "$d" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' sh "$dir" "$@"
  local rc=$?
  rm -f "$dir/usr/sbin/policy-rc.d"
  return "$rc"
}

# Checks: bl_check DESCRIPTION COMMAND… and bl_eq GOT WANT of the boot lab's library (a failure is
# counted in BL_FAILURES and the test goes on, so one run reports every check).
dg_not() { ! "$@"; }
