#!/usr/bin/env bash
# Ensures a Debian sid chroot with the real Synapse exists (built atomically, marked with its version) for tests and `synapse-pg sandbox`.
# Usage (as root on Debian): bash .ci/synapse-chroot.sh   — prints the Synapse version on stdout; progress goes to stderr.
set -euo pipefail

TARGET="${SYNAPSE_CHROOT:-/var/cache/synapse-pg/synapse-sid}"
TARGET="${TARGET%/}"
MIRROR="http://deb.debian.org/debian"
MARKER_NAME=".synapse-pg-chroot"
PARENT="$(dirname "$TARGET")"
BASE="$(basename "$TARGET")"

log() { printf '[synapse-chroot] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mount need it): sudo bash $0"
command -v apt-get >/dev/null || die "needs a Debian-like host with apt-get"

is_mounted() { awk -v p="$1" '$2 == p { found = 1 } END { exit !found }' /proc/mounts; }

# Unmounts everything under a directory, deepest first (a killed debootstrap can leave proc/sys mounted).
umount_under() {
  local dir="$1" m
  awk -v p="$dir" 'index($2, p "/") == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}

remove_tree() {
  umount_under "$1"
  rm -rf --one-file-system "$1"
}

ensure_proc() {
  mkdir -p "$1/proc"
  is_mounted "$1/proc" || mount -t proc proc "$1/proc"
}

mkdir -p "$PARENT"
exec 9>"$PARENT/.$BASE.lock"
flock 9 # one build at a time; a second caller waits and then finds the finished chroot

if [ -e "$TARGET" ] && [ ! -f "$TARGET/$MARKER_NAME" ]; then
  die "$TARGET exists but has no $MARKER_NAME marker, so this script did not build it; move it away or set SYNAPSE_CHROOT to another path"
fi

if [ ! -e "$TARGET" ]; then
  for stale in "$PARENT/.$BASE.build."*; do
    [ -d "$stale" ] || continue
    log "removing an interrupted build: $stale"
    remove_tree "$stale"
  done
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2 ||
      { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >&2; }
  fi
  BUILD="$(mktemp -d "$PARENT/.$BASE.build.XXXXXX")"
  trap 'log "build failed; cleaning up $BUILD"; remove_tree "$BUILD"' EXIT
  trap 'exit 130' INT TERM HUP
  chmod 755 "$BUILD"
  started=$SECONDS
  log "debootstrap sid into $BUILD"
  debootstrap --variant=minbase sid "$BUILD" "$MIRROR" >&2
  # No init runs in a chroot: tell maintainer scripts not to start services.
  printf '#!/bin/sh\nexit 101\n' >"$BUILD/usr/sbin/policy-rc.d"
  chmod 755 "$BUILD/usr/sbin/policy-rc.d"
  ensure_proc "$BUILD"
  log "installing matrix-synapse, python3-psycopg2 and ca-certificates (the compose doctor test installs a private CA)"
  chroot "$BUILD" sh -c 'apt-get -o Acquire::Check-Valid-Until=false update &&
    DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false install -y --no-install-recommends matrix-synapse python3-psycopg2 ca-certificates &&
    apt-get clean' >&2
  version="$(chroot "$BUILD" dpkg-query -W -f='${Version}' matrix-synapse)"
  [ -n "$version" ] || die "matrix-synapse is not installed in $BUILD"
  for tool in synctl synapse_port_db update_synapse_database; do
    [ -x "$BUILD/usr/bin/$tool" ] || die "/usr/bin/$tool missing in the chroot"
  done
  printf 'matrix-synapse=%s\nbuilt=%s\nmirror=%s\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$MIRROR" >"$BUILD/$MARKER_NAME"
  umount_under "$BUILD"
  mv -T "$BUILD" "$TARGET" # rename(2) within one directory: the chroot appears complete or not at all
  trap - EXIT
  log "built $TARGET in $((SECONDS - started)) s"
fi

ensure_proc "$TARGET"
sed -n 's/^matrix-synapse=//p' "$TARGET/$MARKER_NAME"
