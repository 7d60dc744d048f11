#!/usr/bin/env bash
# Installs what synapse-pg needs on a Debian machine, as root: `app` for running the wizard, `test` for the whole test suite.
# Usage: sudo bash .ci/install.sh app|test
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-app}"
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (it installs Debian packages): sudo bash .ci/install.sh $what" >&2; exit 1; }
command -v node >/dev/null || { echo "install.sh: Node.js 20 or newer is needed (node not found)" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || { echo "install.sh: Node.js 20 or newer is needed (found $(node --version))" >&2; exit 1; }

pkgs=(postgresql-client python3 make g++)
if [ "$what" = test ]; then
  # the server binaries (initdb, pg_ctl) for throwaway clusters, tmux for the full-screen tests,
  # debootstrap for the real Synapse in a chroot, diffutils to compare our diffs with GNU diff,
  # iproute2 (ip netns) and openssl for "another host": a namespaced PostgreSQL with TLS;
  # locales (de_DE for a server that speaks German), e2fsprogs (chattr +i);
  # docker.io for the compose tests (Debian's engine; compose v2 and the Synapse image come from .ci/docker.sh)
  pkgs+=(postgresql tmux debootstrap diffutils procps iproute2 openssl docker.io locales e2fsprogs)
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null

# better-sqlite3@12 builds from source against Node's own headers (about two minutes)
export npm_config_nodedir=/usr
npm ci --no-audit --no-fund
npm run build --silent
# synapse-pg on PATH: a link to the built entry point (it starts with #!/usr/bin/env node)
chmod 755 dist/screens/main.js
ln -sfn "$PWD/dist/screens/main.js" /usr/local/bin/synapse-pg

if [ "$what" = test ]; then
  bash .ci/synapse-chroot.sh >/dev/null
  # compose v2 from sid's docker-compose package, dockerd started without systemd, the Synapse image built offline from the chroot
  bash .ci/docker.sh compose
  bash .ci/docker.sh start >/dev/null
  bash .ci/docker.sh image
fi
echo "install.sh: ready ($what)"
