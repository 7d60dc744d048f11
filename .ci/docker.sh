#!/usr/bin/env bash
# The Docker engine for the tests, as root on Debian, without systemd and without any registry:
#   compose  installs compose v2 (the plugin from Debian sid's docker-compose package) into /usr/libexec/docker/cli-plugins
#   start    starts dockerd in the background unless it answers already (prints "started" when this call started it)
#   stop     stops the dockerd that `start` started (nothing when it was running before)
#   image    builds the Synapse image from the sid chroot (docker import + .ci/synapse-image), once per chroot
set -euo pipefail
cd "$(dirname "$0")/.."

CHROOT="${SYNAPSE_CHROOT:-/var/cache/synapse-pg/synapse-sid}"
CHROOT="${CHROOT%/}"
IMAGE="${SYNAPSE_IMAGE:-synapse-pg/synapse:sid}"
BASE=synapse-pg/sid-base:latest
PIDFILE=/run/synapse-pg-dockerd.pid
LOG=/var/log/synapse-pg-dockerd.log
PLUGIN=/usr/libexec/docker/cli-plugins/docker-compose
MIRROR="http://deb.debian.org/debian"

log() { printf '[docker] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root: sudo bash $0 ${1:-}"

answers() { docker info >/dev/null 2>&1; }

compose() {
  if docker compose version >/dev/null 2>&1; then return; fi
  [ -f "$CHROOT/usr/share/keyrings/debian-archive-keyring.gpg" ] || die "the sid chroot is missing at $CHROOT: bash .ci/synapse-chroot.sh"
  # apt of this host, with its own lists and cache and the chroot's keyring: the shared chroot is only read, nothing is installed anywhere
  local d; d="$(mktemp -d)"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  echo "deb [signed-by=$CHROOT/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR sid main" >"$d/sources.list"
  local o=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/nonexistent -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
    -o "Dir::State::status=$CHROOT/var/lib/dpkg/status" -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
  apt-get -qq "${o[@]}" update >&2
  (cd "$d" && apt-get -qq "${o[@]}" download docker-compose >&2)
  dpkg -x "$d"/docker-compose_*.deb "$d/x"
  install -D -m 755 "$d/x/usr/libexec/docker/cli-plugins/docker-compose" "$PLUGIN"
  rm -rf "$d"
  docker compose version >&2 || die "docker compose does not answer after installing $PLUGIN"
}

start() {
  if answers; then return; fi
  command -v dockerd >/dev/null || die "dockerd is missing: apt-get install -y docker.io"
  # --iptables=false: this machine's firewall is not ours to change; published ports still work through docker-proxy.
  # Storage: no --storage-driver, so dockerd takes the first that works: overlay2 on an ext4/xfs root (these machines), and on a root
  # that is itself overlayfs (where overlay2 cannot stack) fuse-overlayfs or vfs; the driver chosen is logged below.
  setsid dockerd --iptables=false >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    if answers; then
      log "dockerd answers (storage driver $(docker info --format '{{.Driver}}'), log $LOG)"
      echo started
      return
    fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -n 20 "$LOG" >&2; rm -f "$PIDFILE"; die "dockerd exited; its log is $LOG"; }
    sleep 1
  done
  tail -n 20 "$LOG" >&2
  die "docker info does not answer 60 s after starting dockerd; its log is $LOG"
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  rm -f "$PIDFILE"
}

image() {
  [ -f "$CHROOT/.synapse-pg-chroot" ] || die "the sid chroot is missing at $CHROOT: bash .ci/synapse-chroot.sh"
  local stamp; stamp="$(cat "$CHROOT/.synapse-pg-chroot" .ci/synapse-image/* | sha256sum | cut -c1-16)"
  if [ "$(docker image inspect -f '{{index .Config.Labels "synapse-pg.stamp"}}' "$IMAGE" 2>/dev/null)" = "$stamp" ]; then return; fi
  log "importing $CHROOT as $BASE"
  tar -C "$CHROOT" --exclude=./proc --exclude=./sys --exclude=./dev -c . | docker import - "$BASE" >/dev/null
  log "building $IMAGE"
  DOCKER_BUILDKIT=0 docker build -q --label "synapse-pg.stamp=$stamp" -t "$IMAGE" .ci/synapse-image >/dev/null
}

case "${1:-}" in
  compose|start|stop|image) "$1" ;;
  *) die "usage: bash $0 compose|start|stop|image" ;;
esac
