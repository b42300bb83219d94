#!/bin/bash
# Initial customer sync through a real gateway (`qiao run` with sync:): qiao-sim's CRM and K/3
# seeded with N customers each, half of them the same companies (tax code / name variants);
# both lists read from the sims, POST /api/v1/sync/first-sync, then until every write (creates
# on both sides: K/3 Save + Submit + Audit, CRM POST) is delivered and confirmed. Prints the
# phases, the gateway's own first-sync log line and peak RSS of gateway and simulator.
#
#   tests/bench/sync_gateway_bench.sh [N=100000]      (BIN=build/bin by default)
set -u
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$SRC/build/bin}
N=${1:-100000}
# K3_CALLS=1: Save with IsAutoSubmitAndAudit (one K/3 call per create) instead of Save+Submit+Audit.
K3_OPS="submit: true, audit: true"
[ "${K3_CALLS:-3}" = "1" ] && K3_OPS="auto_submit_audit: true"
W=$(mktemp -d /tmp/qiao-sync-gw-bench.XXXX)
SP=$((20000 + RANDOM % 20000)); GP=$((SP + 1))
$BIN/qiao-sim --host 127.0.0.1 --port $SP > $W/sim.log 2>&1 & SIM=$!
# The work dir holds the request body and both databases (about 600 MB at 100,000): removed at
# the end unless KEEP=1.
trap 'kill $SIM $GW 2>/dev/null; wait 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$W"' EXIT
sleep 0.5
S=http://127.0.0.1:$SP
curl -s -XPOST $S/sim/crm/_customers/seed -d "{\"count\":$N,\"seed\":3,\"overlap_with_k3\":0.5}" > /dev/null
curl -s -XPOST $S/sim/k3cloud/_customers/seed -d "{\"count\":$N,\"seed\":3,\"overlap_with_crm\":0.5}" > /dev/null
echo "admin-$RANDOM$RANDOM" > $W/key; echo sim-app-secret > $W/k3; echo sim-crm-token > $W/crm
mkdir -p $W/config
cat > $W/config/g.yaml <<Y
gateway: {data_dir: $W/data, log_file: $W/qiao.log, mappings_dir: $SRC/mappings/standard, workers: 64}
server: {host: 127.0.0.1, port: $GP, max_body_bytes: 536870912}
store: {synchronous: normal}
security: {bootstrap_admin_key: "\${file:$W/key}"}
connectors:
  k3: {type: k3cloud, base_url: "$S/sim/k3cloud/k3cloud/", acct_id: sim-acct-001, auth: sign, username: administrator, app_id: sim_app_id, app_secret: "\${file:$W/k3}", form_id: BD_Customer, $K3_OPS, unaudit_to_update: true, external_ref_field: "", concurrency: 16, pull: {form_id: BD_Customer, envelope: save, entity: customer}}
  crm_put: {type: http, method: PUT, url: "$S/sim/crm/api/customers/{/customerId}", auth_token: "\${file:$W/crm}", remote_id_field: /customerId, concurrency: 16}
  crm_post: {type: http, url: "$S/sim/crm/api/customers", auth_token: "\${file:$W/crm}", remote_id_field: /customerId, concurrency: 16}
routes:
  k3_customers_in: {source: k3, sink: sync, entity: customer}
  sync_to_crm: {sink: crm_put}
  sync_to_crm_new: {sink: crm_post}
  sync_to_k3: {sink: k3}
sync:
  fields: [name, shortName, taxRegisterCode, phone, address]
  batch_max: 32
  sides:
    crm: {route: sync_to_crm, create_route: sync_to_crm_new, sources: [crm_hooks]}
    k3cloud: {route: sync_to_k3, mapping: crm_customer_to_k3_customer, id_path: /data/Model/FCUSTID, modified_path: /data/Model/FModifyDate, sources: [k3]}
Y
$BIN/qiao run --config $W/config > $W/qiao.out 2>&1 & GW=$!
KEY=$(cat $W/key)
for i in $(seq 100); do curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$GP/readyz | grep -q 200 && break; sleep 0.1; done
T0=$(date +%s.%N)
curl -s $S/sim/crm/_customers > $W/crm.json
curl -s $S/sim/k3cloud/_bills/BD_Customer > $W/k3.json
python3 - $W <<'PY'
import json,sys
w=sys.argv[1]
crm=json.load(open(w+'/crm.json')); k3=json.load(open(w+'/k3.json'))
json.dump({"crm":crm,"k3cloud":[{"formid":"BD_Customer","data":{"Model":d}} for d in k3]},open(w+'/body.json','w'),ensure_ascii=False)
PY
T1=$(date +%s.%N)
curl -s -XPOST -H "Authorization: Bearer $KEY" --data-binary @$W/body.json http://127.0.0.1:$GP/api/v1/sync/first-sync > $W/fs.json
T2=$(date +%s.%N)
FSHWM=$(grep VmHWM /proc/$GW/status | awk '{print $2/1024 " MB"}')
echo "first-sync: $(cat $W/fs.json | head -c 300)"
for i in $(seq 1200); do
  OPEN=$(curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GP/api/v1/sync/writes?limit=1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["total"])')
  [ "$OPEN" = "0" ] && break
  sleep 1
done
T3=$(date +%s.%N)
grep '"sync.first_sync"' $W/qiao.log | cut -c1-400
RSS=$(grep VmHWM /proc/$GW/status | awk '{print $2/1024 " MB"}')
SIMRSS=$(grep VmHWM /proc/$SIM/status | awk '{print $2/1024 " MB"}')
echo "per side $N: read both sides $(echo "$T1-$T0"|bc) s, first sync (match+plan+commit+enqueue) $(echo "$T2-$T1"|bc) s, writes delivered+confirmed $(echo "$T3-$T2"|bc) s, total $(echo "$T3-$T0"|bc) s; open writes left $OPEN; gateway peak RSS $RSS (by the end of the first-sync request $FSHWM, at the end $(grep VmRSS /proc/$GW/status | awk '{print $2/1024 " MB"}')); sim peak RSS $SIMRSS"
curl -s $S/sim/k3cloud/_stats | python3 -c 'import json,sys;d=json.load(sys.stdin);print("k3 calls",d["calls"])'
curl -s $S/sim/crm/_stats | python3 -c 'import json,sys;d=json.load(sys.stdin);print("crm writes",d["writes"], "customers", d["customers"])'
