#!/bin/sh
# Jibri's finalize script for Referee: sends the recording Jibri just finished to Referee.
#
# Jibri runs it with the recording's folder as its only argument (jibri.conf:
# jibri.recording.finalize-script = "/opt/referee/finalize.sh"). The folder holds the video
# (.mp4, or .webm) and metadata.json, whose meeting_url ends with the room name.
#
# Settings, from the environment or from /etc/jitsi/jibri/referee.env (KEY=value lines):
#   REFEREE_URL               Referee's address, e.g. https://referee.example.org (required)
#   RECORDING_UPLOAD_SECRET   the same secret as Referee's setting (required)
#   REFEREE_UPLOAD_ATTEMPTS   tries before giving up (default 8)
#   REFEREE_RETRY_SECONDS     the first wait between tries (default 10; doubled each time, at most 10 min)
#   REFEREE_KEEP_RECORDING    "yes" keeps the folder after a confirmed upload (default: deleted,
#                             so no face video stays on the Jibri host)
#
# The request: POST $REFEREE_URL/recordings/jibri, the file as the body, with
#   X-Referee-Room, X-Referee-Timestamp (Unix seconds) and X-Referee-Signature, the hex
#   HMAC-SHA256 under the secret of "<timestamp>.<room>.<hex SHA-256 of the file>".
# Referee answers 201 (stored) or 200 (already stored); 4xx refusals other than 408 and 429 are
# final (the reason is printed); anything else is retried with backoff, signed anew each time.
# The file is streamed (curl -T), never read into memory. Needs POSIX sh, curl and openssl.
set -eu

dir=${1:?usage: finalize.sh <recording folder>}
[ -f /etc/jitsi/jibri/referee.env ] && . /etc/jitsi/jibri/referee.env
: "${REFEREE_URL:?REFEREE_URL is not set}"
: "${RECORDING_UPLOAD_SECRET:?RECORDING_UPLOAD_SECRET is not set}"
attempts=${REFEREE_UPLOAD_ATTEMPTS:-8}

log() { echo "referee-finalize: $*" >&2; }

file=
for candidate in "$dir"/*.mp4 "$dir"/*.webm; do
  if [ -f "$candidate" ]; then file=$candidate; break; fi
done
[ -n "$file" ] || { log "no .mp4 or .webm file in $dir"; exit 1; }
[ -f "$dir/metadata.json" ] || { log "no metadata.json in $dir"; exit 1; }

# The room: the last path segment of meeting_url (without a query), lower case as Jitsi has it.
url=$(tr -d '\n' < "$dir/metadata.json" | sed -n 's/.*"meeting_url"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
room=$(printf '%s' "${url%%\?*}" | sed 's|/*$||; s|.*/||' | tr 'A-Z' 'a-z')
case "$room" in
  ''|*[!a-z0-9._-]*) log "no room name in metadata.json"; exit 1 ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
  hash=$(sha256sum "$file" | cut -d' ' -f1)
else
  hash=$(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)
fi

try=1
wait=${REFEREE_RETRY_SECONDS:-10}
while :; do
  timestamp=$(date +%s)
  signature=$(printf '%s' "$timestamp.$room.$hash" | openssl dgst -sha256 -hmac "$RECORDING_UPLOAD_SECRET" -r | cut -d' ' -f1)
  answer=$(mktemp)
  status=$(curl -sS -o "$answer" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/octet-stream' \
    -H "X-Referee-Room: $room" \
    -H "X-Referee-Timestamp: $timestamp" \
    -H "X-Referee-Signature: $signature" \
    -T "$file" \
    "$REFEREE_URL/recordings/jibri" || true)
  body=$(cat "$answer"); rm -f "$answer"
  case "$status" in
    2??)
      log "stored by Referee ($status): $body"
      if [ "${REFEREE_KEEP_RECORDING:-no}" != yes ]; then rm -rf "$dir"; fi
      exit 0 ;;
    408|429) ;;
    4??) log "refused by Referee ($status): $body"; exit 2 ;;
  esac
  if [ "$try" -ge "$attempts" ]; then
    log "gave up after $try attempts (last answer: ${status:-none})"
    exit 3
  fi
  log "attempt $try failed (${status:-no answer}); trying again in $wait s"
  sleep "$wait"
  try=$((try + 1))
  wait=$((wait * 2)); [ "$wait" -gt 600 ] && wait=600
done
