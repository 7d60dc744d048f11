#!/bin/sh
# Like the official image's start.py in "run" mode: Synapse with SYNAPSE_CONFIG_PATH (default /data/homeserver.yaml),
# dropping from root to UID:GID (991:991 by default). Any other command is run as given (for `docker run IMAGE sh`).
set -eu
if [ "$#" -gt 0 ] && [ "$1" != run ]; then exec "$@"; fi
config="${SYNAPSE_CONFIG_PATH:-${SYNAPSE_CONFIG_DIR:-/data}/homeserver.yaml}"
[ -f "$config" ] || { echo "start.sh: config file '$config' does not exist (mount it in /data or set SYNAPSE_CONFIG_PATH)" >&2; exit 1; }
cd "${SYNAPSE_DATA_DIR:-/data}"
if [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid="${UID:-991}" --regid="${GID:-991}" --clear-groups -- python3 -m synapse.app.homeserver --config-path "$config"
fi
exec python3 -m synapse.app.homeserver --config-path "$config"
