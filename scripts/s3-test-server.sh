#!/usr/bin/env bash
# A throw-away single-node Ceph RADOS Gateway on 127.0.0.1: the real S3 peer for the
# storage driver's tests (it checks SigV4 signatures, signed lengths and multipart rules).
#
#   s3-test-server.sh start <dir> <port> [mon-port]   start (or find running) and print env lines
#   s3-test-server.sh env <dir>                        print the env lines of a running server
#   s3-test-server.sh stop <dir>                       stop what start started, then remove <dir>
#
# One monitor, one memstore OSD (data lives in RAM and is lost on stop), authentication off,
# msgr2 on 127.0.0.1 only, no manager. Everything (data, logs, pid files, admin sockets) is
# under <dir>. MEMSTORE_BYTES sets the OSD's size (default 2 GiB); BUCKET names the bucket
# created for R2_BUCKET_NAME (default "airlift").
# Needs: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw curl
set -Eeuo pipefail
trap 'echo "s3-test-server: \"$BASH_COMMAND\" failed (exit $?); see the logs in ${DIR:-<dir>}/log" >&2' ERR

ACCESS_KEY=AIRLIFTTESTACCESSKEY
SECRET_KEY=airlift-test-secret-key-0000000000000000
REGION=us-east-1 # for curl's CreateBucket: RGW refuses LocationConstraint=auto (the driver signs with "auto")
BUCKET=${BUCKET:-airlift}
MEMSTORE_BYTES=${MEMSTORE_BYTES:-$((2 * 1024 * 1024 * 1024))}
DAEMONS=(client.rgw.test osd.0 mon.a) # pid file names, in stop order: gateway first, monitor last

die() { echo "s3-test-server: $*" >&2; exit 1; }

usage() { die "usage: $0 start <dir> <port> [mon-port] | env <dir> | stop <dir>"; }

need_binaries() {
  local missing=()
  for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl; do
    command -v "$bin" >/dev/null || missing+=("$bin")
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing ${missing[*]}; install them with: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw curl"
}

alive() { # alive <pidfile>: the process it names is running
  [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

endpoint_answers() { # any HTTP answer from the gateway counts
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"
}

wait_for() { # wait_for <seconds> <what> <command...>
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out waiting for $what; see the logs in $DIR/log"
    sleep 0.5
  done
}

s3() { # s3 <method> <path>: a SigV4-signed request as the test user
  # curl 7.88 signs the payload hash without sending it unless the header is given
  curl -sS --fail-with-body --max-time 10 -X "$1" --aws-sigv4 "aws:amz:$REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --user "$ACCESS_KEY:$SECRET_KEY" "http://127.0.0.1:$PORT$2"
}

print_env() {
  cat "$DIR/env"
}

write_conf() {
  cat >"$DIR/ceph.conf" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = none
auth service required = none
auth client required = none
# with authentication off, clients loop on "get_initial_auth_request returned -13" without it
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $DIR/run
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$cluster-\$name.asok
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$id
osd data = $DIR/osd/\$id
keyring = $DIR/keyring
[osd]
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
[client.rgw.test]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
# deleted and aborted data stays in RAM until garbage collection: collect within seconds
rgw gc obj min wait = 5
rgw gc processor period = 5
rgw gc processor max time = 5
EOF
}

start() {
  need_binaries
  [[ $PORT =~ ^[0-9]+$ && $MON_PORT =~ ^[0-9]+$ ]] || usage
  if [[ -d $DIR && ! -f $DIR/ceph.conf && -n $(ls -A "$DIR") ]]; then
    die "$DIR exists and is not a test server directory; not using it"
  fi
  if [[ -f $DIR/env ]]; then
    if alive "$DIR/run/client.rgw.test.pid" && endpoint_answers "$(cat "$DIR/port")"; then
      print_env
      return
    fi
    stop_daemons # a half-dead earlier run: start afresh
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"/{run,log,mon/a,osd/0,rgw}
  trap '[[ -f $DIR/env ]] || stop_daemons' EXIT # a failed start stops what it started, keeping the logs
  : >"$DIR/keyring"
  FSID=$(cat /proc/sys/kernel/random/uuid)
  write_conf
  local conf=(-c "$DIR/ceph.conf")

  monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  local out=$DIR/log/start.log # the daemons' chatter before they fork
  ceph-mon "${conf[@]}" -i a --mkfs --monmap "$DIR/monmap" >>"$out" 2>&1
  ceph-mon "${conf[@]}" -i a >>"$out" 2>&1
  wait_for 30 "the monitor" ceph "${conf[@]}" --connect-timeout 2 mon stat >/dev/null 2>&1

  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph "${conf[@]}" osd new "$osd_uuid" >/dev/null
  ceph-osd "${conf[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$out" 2>&1
  ceph-osd "${conf[@]}" -i 0 >>"$out" 2>&1
  wait_for 60 "the OSD" sh -c "ceph -c '$DIR/ceph.conf' osd stat 2>/dev/null | grep -q '1 up'"

  radosgw "${conf[@]}" -n client.rgw.test >>"$out" 2>&1
  wait_for 90 "the gateway on 127.0.0.1:$PORT" endpoint_answers "$PORT"

  radosgw-admin "${conf[@]}" user create --uid=airlift-test --display-name="Airlift tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  s3 PUT "/$BUCKET" >/dev/null

  echo "$PORT" >"$DIR/port"
  cat >"$DIR/env" <<EOF
R2_ENDPOINT_URL=http://127.0.0.1:$PORT
R2_ACCESS_KEY_ID=$ACCESS_KEY
R2_SECRET_ACCESS_KEY=$SECRET_KEY
R2_BUCKET_NAME=$BUCKET
R2_REGION=auto
R2_FORCE_PATH_STYLE=true
EOF
  print_env
}

stop_daemons() { # TERM what our pid files name, KILL what is still there after 3 s (no data is kept anyway)
  local pids=() pidfile pid
  for name in "${DAEMONS[@]}"; do
    pidfile=$DIR/run/$name.pid
    if alive "$pidfile"; then
      pid=$(cat "$pidfile")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + 3))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

stop() {
  [[ -d $DIR ]] || return 0
  [[ -f $DIR/ceph.conf ]] || die "$DIR does not look like a test server directory; not removing it"
  stop_daemons
  rm -rf "$DIR"
}

CMD=${1:-}
DIR=${2:-}
[[ -n $DIR ]] || usage
DIR=$(realpath -m "$DIR")
case $CMD in
  start)
    PORT=${3:-}
    MON_PORT=${4:-$((PORT + 1))}
    start
    ;;
  env)
    [[ -f $DIR/env ]] || die "no test server in $DIR; start one with: $0 start $DIR <port>"
    print_env
    ;;
  stop) stop ;;
  *) usage ;;
esac
