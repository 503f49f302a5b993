#!/usr/bin/env bash
# Makes sure the local services the tests and the demo use are up (PostgreSQL, Redis, RabbitMQ),
# starting any that has stopped with the machine's own commands. Exits non-zero if one cannot start.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # name port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    port_open "$2" && return 0
    sleep 0.1
  done
  echo "ensure-services: $1 is not listening on 127.0.0.1:$2" >&2
  return 1
}

status=0
if ! port_open 5432; then
  echo "ensure-services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_port PostgreSQL 5432 30 || status=1
fi
if ! port_open 6379; then
  echo "ensure-services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_port Redis 6379 15 || status=1
fi
if [ "${SHOPSYNC_NEED_RABBITMQ:-1}" = 1 ] && ! port_open 5672; then
  echo "ensure-services: starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_port RabbitMQ 5672 90 || status=1
fi
exit $status
