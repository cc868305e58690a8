#!/bin/sh
# Runs `dialer <command>`. MEDIA_ADDRESS (the address put in SDP offers) defaults to this
# container's own address, so every replica advertises where its RTP sockets really are.
set -e
if [ -z "${MEDIA_ADDRESS:-}" ]; then
  MEDIA_ADDRESS="$(hostname -i | cut -d' ' -f1)"
  export MEDIA_ADDRESS
fi
exec node /app/bin/dialer.js "$@"
