#!/usr/bin/env bash
# Starts any of the machine's shared services that is down, with the distribution's own
# commands, and waits until each answers on loopback. Never stops or restarts a running one.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && { echo "$name is up on $port"; return 0; }
    sleep 1
  done
  echo "$name did not come up on port $port" >&2
  return 1
}

ensure() {
  local name=$1 port=$2; shift 2
  if port_open "$port"; then echo "$name is up on $port"; return 0; fi
  echo "starting $name"
  "$@" || echo "could not start $name with: $*" >&2
  wait_port "$name" "$port"
}

ensure postgresql 5432 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start'
ensure mariadb 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
ensure redis 6379 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
ensure rabbitmq 5672 rabbitmq-server -detached
ensure nats 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log

# Browser tests (the status page, Swagger UI) drive Debian's Chromium through playwright-core.
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium" >&2
fi
# kubectl renders deploy/kubernetes (test/deploy installs it itself when missing, too).
if ! command -v kubectl >/dev/null 2>&1; then
  echo "installing kubectl for the Kubernetes manifest tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null) || echo "could not install kubectl" >&2
fi
