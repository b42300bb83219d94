#!/usr/bin/env bash
# The Excel benchmark on the peer kit's data (issue 6 point 8): makes 100,000 order-line rows x
# 18 columns with ../shared/peers/gen_data.py (UTF-8 and GBK CSV) and the .xlsx from them with
# openpyxl, as the peers measured, then runs qiao_excel_peers_bench on them. Builds nothing.
#
#   bash tests/bench/excel_peers.sh [--runs N] [--only read,csv,write,import]
#
#   QIAO_BUILD   build folder holding bin/qiao_excel_peers_bench (default: build)
#   PEERS_DIR    the peer kit (default: /work/shared/peers)
#   PEERS_DATA   where the data goes (default: /tmp/qiao-excel-peers; reused when complete)
#   PEERS_ROWS   rows to generate (default: the kit's 100,000)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${QIAO_BUILD:-$root/build}"
peers="${PEERS_DIR:-/work/shared/peers}"
data="${PEERS_DATA:-/tmp/qiao-excel-peers}"
bin="$build/bin/qiao_excel_peers_bench"

if [[ ! -f "$peers/gen_data.py" || ! -f "$peers/xlsx_openpyxl.py" ]]; then
  echo "excel_peers.sh: the peer kit is not at $peers (set PEERS_DIR); nothing to compare against, skipped"
  exit 0
fi
# Debian's python3-openpyxl; a pyenv/venv python3 first on PATH may not see it.
py=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "import openpyxl" 2>/dev/null; then
    py="$candidate"
    break
  fi
done
if [[ -z "$py" ]]; then
  echo "excel_peers.sh: no python3 can import openpyxl (apt-get install python3-openpyxl); skipped"
  exit 0
fi
if [[ ! -x "$bin" ]]; then
  echo "excel_peers.sh: $bin is missing; build it first:" >&2
  echo "  cmake --build $build -j2 --target qiao_excel_peers_bench" >&2
  exit 1
fi

mkdir -p "$data"
if [[ ! -s "$data/customers_orders_gbk.csv" || ! -s "$data/customers_orders_utf8bom.csv" || ! -s "$data/customers_orders.xlsx" ]]; then
  echo "generating the data into $data ..." >&2
  rows_opt=()
  if [[ -n "${PEERS_ROWS:-}" ]]; then rows_opt=(--rows "$PEERS_ROWS"); fi
  timeout 600 "$py" "$peers/gen_data.py" --out "$data" "${rows_opt[@]}" >&2
  rm -f "$data/orders.ndjson"  # the mapping data, not needed here (163 MB)
  timeout 600 "$py" "$peers/xlsx_openpyxl.py" write "$data/customers_orders_utf8bom.csv" "$data/customers_orders.xlsx" >&2
fi

timeout 900 "$bin" "$data" "$@"
