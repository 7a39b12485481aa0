#!/usr/bin/env bash
# `make run`: the main job. Until the cloud and the agent land, it shows the
# LoRaWAN layer at work: frames decoded, MICs checked, payloads decrypted.
set -euo pipefail
bin=${1:-bin/loraedge}
cd "$(dirname "$0")/.."

show() { echo; echo "\$ loraedge decode $*"; "$bin" decode "$@" || echo "(exit $?)"; }

echo "loraedge $("$bin" version | cut -d' ' -f2): decoding sample frames"
# A LoRaWAN 1.0 uplink "hello" on FPort 1 (brocaar/lorawan test frame).
show --nwkskey 02020202020202020202020202020202 --appskey 01010101010101010101010101010101 \
  400403020180010001a694642615d6c3b582
# The same frame with a wrong network key: the MIC check fails (exit 1).
show --nwkskey 03030303030303030303030303030303 400403020180010001a694642615d6c3b582
