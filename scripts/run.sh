#!/usr/bin/env bash
# `make run`: the whole chain on this machine. It starts the cloud (bbolt
# store, generated CA and KEK, embedded MQTT broker), registers a gateway,
# a destination and three devices (OTAA 1.0.3, OTAA 1.1, ABP 1.0.3 class
# C), starts an agent on the simulated concentrator whose simulated devices
# send (the OTAA ones after joining, the ABP one from the start), and
# prints the decoded AWS-shaped messages as they reach the destination
# topic.
#
# Runs until Ctrl-C, or for RUN_DURATION (e.g. 60s) when set. RUN_COUNT=N
# stops after N messages on the destination topic (the CI smoke test).
# Ports: LORAEDGE_GW_PORT (6039), LORAEDGE_MQTT_PORT (1883),
# LORAEDGE_API_PORT (6040). Everything lives in ./run (RUN_DIR), made anew.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-bin/loraedge}")
dir=${RUN_DIR:-run}
gw_port=${LORAEDGE_GW_PORT:-6039}
mqtt_port=${LORAEDGE_MQTT_PORT:-1883}
api_port=${LORAEDGE_API_PORT:-6040}
duration=${RUN_DURATION:-0}
count=${RUN_COUNT:-0}

rm -rf "$dir"
mkdir -p "$dir"
dir=$(realpath "$dir")
data=$dir/cloud
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gw_eui=0016c001ff10a235
region=EU868
# The ABP device: registered in the cloud and simulated by the agent with
# the same address and session keys (demo keys, in clear). Its DevAddr
# belongs to the cloud's NetID (000000), or the gateway would filter it.
abp_deveui=70b3d57ed0000003
abp_devaddr=01abcdef
abp_nwkskey=99d58493d1205b43efff8a11e7b39e0b
abp_appskey=0c4b3a7d1c5f8e2a6b9d0e1f2a3b4c5d
cat >"$dir/cloud.toml" <<EOF
data_dir = "$data"
log_level = "info"
[gateways]
listen = "127.0.0.1:$gw_port"
public_host = "127.0.0.1"
[mqtt]
embedded_listen = "127.0.0.1:$mqtt_port"
[api]
listen = "127.0.0.1:$api_port"
EOF

le() { "$bin" "$@" --config "$dir/cloud.toml"; }
echo "== registering a gateway, a destination and three devices (store: $data)"
le gateway add --eui $gw_eui --region $region --name demo-gateway
le destination add demo --mqtt-topic 'loraedge/uplink/{{.DevEui}}'
le device add --deveui 70b3d57ed0000001 --joineui 70b3d57ed0000000 --appkey 2b7e151628aed2a6abf7158809cf4f3c \
	--mac 1.0.3 --class A --region $region --destination demo --name sensor-1-0-3
le device add --deveui 70b3d57ed0000002 --joineui 70b3d57ed0000000 --appkey 000102030405060708090a0b0c0d0e0f \
	--nwkkey 0f0e0d0c0b0a09080706050403020100 --mac 1.1 --class A --region $region --destination demo --name sensor-1-1
le device add --deveui $abp_deveui --devaddr $abp_devaddr --nwkskey $abp_nwkskey \
	--appskey $abp_appskey --mac 1.0.3 --class C --region $region --destination demo --name abp-class-c
le gateway cert --eui $gw_eui --out "$dir/gateway"

cat >"$dir/agent.toml" <<EOF
data_dir = "$dir/agent"
log_level = "info"
[radio]
backend = "sim"
[radio.sim]
region = "$region"
path_loss = 110.0
[[radio.sim.devices]]
dev_eui = "70b3d57ed0000001"
join_eui = "70b3d57ed0000000"
app_key = "2b7e151628aed2a6abf7158809cf4f3c"
mac_version = "1.0.3"
class = "A"
data_rate = 5
interval = "10s"
fport = 1
payload = "48656c6c6f"
[[radio.sim.devices]]
dev_eui = "70b3d57ed0000002"
join_eui = "70b3d57ed0000000"
app_key = "000102030405060708090a0b0c0d0e0f"
nwk_key = "0f0e0d0c0b0a09080706050403020100"
mac_version = "1.1"
class = "A"
data_rate = 3
interval = "12s"
fport = 2
payload = "0102030405"
[[radio.sim.devices]]
activation = "abp"
dev_eui = "$abp_deveui"
dev_addr = "$abp_devaddr"
nwk_s_key = "$abp_nwkskey"
app_s_key = "$abp_appskey"
mac_version = "1.0.3"
class = "C"
data_rate = 4
interval = "10s"
fport = 3
payload = "0a0b"
EOF

echo "== starting the cloud (gateways on :$gw_port, MQTT on :$mqtt_port, API on :$api_port)"
"$bin" cloud --config "$dir/cloud.toml" 2>"$dir/cloud.log" &
pids+=($!)
# The cloud writes admin.json once its API listens.
for _ in $(seq 100); do
	[ -f "$data/admin.json" ] && break
	kill -0 "${pids[0]}" 2>/dev/null || { cat "$dir/cloud.log"; exit 1; }
	sleep 0.1
done
[ -f "$data/admin.json" ] || { echo "cloud did not start"; cat "$dir/cloud.log"; exit 1; }

echo "== starting the agent on the simulated concentrator (home: $dir/gateway)"
"$bin" agent --home "$dir/gateway" --config "$dir/agent.toml" 2>"$dir/agent.log" &
pids+=($!)

echo "== uplinks on loraedge/uplink/# as the destination receives them (logs: $dir/*.log)"
watch_args=(--broker "tcp://127.0.0.1:$mqtt_port" --topic 'loraedge/uplink/#')
[ "$count" -gt 0 ] && watch_args+=(--count "$count")
[ "$duration" != 0 ] && watch_args+=(--timeout "$duration")
status=0
"$bin" watch "${watch_args[@]}" || status=$?
if [ "$status" -ne 0 ]; then
	echo "== cloud log (tail)"; tail -n 30 "$dir/cloud.log"
	echo "== agent log (tail)"; tail -n 30 "$dir/agent.log"
fi
exit $status
