#!/usr/bin/env bash
# The help page over the JSON API with curl and oathtool (an independent TOTP implementation):
# create a user, log in, Password window, setup, enable, log out, log in with a code, replay
# refused, the administrator disables two-factor, log in without a code.
# Usage: scripts/walkthrough.sh http://127.0.0.1:8080 <admin password>
# Needs curl, oathtool and python3 (for JSON). The administrator must not have two-factor on.
# Each run creates one user, walkNNNNN, and leaves it (there is no account deletion yet).
set -euo pipefail
for tool in curl oathtool python3; do
  command -v "$tool" >/dev/null || { echo "this walkthrough needs $tool" >&2; exit 2; }
done
base="${1:?base URL}/api/v1"
admin_password="${2:?admin password}"
user="walk$RANDOM"
json='content-type: application/json'

field() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
quote() { python3 -c 'import sys, json; print(json.dumps(sys.argv[1]))' "$1"; }
expect() { # expect <what> <pattern> <text>
  if [[ "$3" =~ $2 ]]; then echo "ok   $1"; else echo "FAIL $1: $3" >&2; exit 1; fi
}

password_json=$(quote "$admin_password")
admin_login=$(curl -s -X POST "$base/auth/login" -H "$json" -d "{\"username\":\"admin\",\"password\":$password_json,\"client\":\"desktop\"}" || echo "no answer from $base")
expect "the administrator logs in (no two-factor on admin)" '^\{"status":"ok"' "$admin_login"
admin=$(echo "$admin_login" | field "['token']")
curl -sf -X POST "$base/me/reauth" -H "$json" -H "authorization: Bearer $admin" -d "{\"password\":$password_json}" >/dev/null
created=$(curl -s -X POST "$base/admin/users" -H "$json" -H "authorization: Bearer $admin" -d "{\"username\":\"$user\",\"password\":\"walk-password-1\"}")
expect "administrator creates $user" "\"username\":\"$user\"" "$created"

token=$(curl -sf -X POST "$base/auth/login" -H "$json" -d "{\"username\":\"$user\",\"password\":\"walk-password-1\",\"client\":\"desktop\"}" | field "['token']")
expect "setup needs the Password window" 'reauth_required' "$(curl -s -X POST "$base/me/two-factor/totp/setup" -H "authorization: Bearer $token")"
curl -sf -X POST "$base/me/reauth" -H "$json" -H "authorization: Bearer $token" -d '{"password":"walk-password-1"}' >/dev/null
setup=$(curl -sf -X POST "$base/me/two-factor/totp/setup" -H "authorization: Bearer $token")
secret=$(echo "$setup" | field "['secret']")
expect "setup gives an otpauth URI" "otpauth://totp/.*secret=$secret.*algorithm=SHA1&digits=6&period=30" "$setup"

code=$(oathtool --totp -b "$secret")
expect "enable answers Edited successfully." 'Edited successfully\.' "$(curl -s -X POST "$base/me/two-factor/totp/enable" -H "$json" -H "authorization: Bearer $token" -d "{\"code\":\"$code\"}")"
curl -sf -X POST "$base/auth/logout" -H "authorization: Bearer $token" >/dev/null

first=$(curl -s -X POST "$base/auth/login" -H "$json" -d "{\"username\":\"$user\",\"password\":\"walk-password-1\",\"client\":\"mobile\"}")
expect "login now asks for the code, with no token" '^\{"status":"second_factor_required","challengeId":"[^"]+","methods":\["totp"' "$first"
challenge=$(echo "$first" | field "['challengeId']")
expect "the enrolment code cannot log in" 'invalid_code' "$(curl -s -X POST "$base/auth/login/second-factor" -H "$json" -d "{\"challengeId\":\"$challenge\",\"method\":\"totp\",\"code\":\"$code\"}")"
next=$(oathtool --totp -b -N "now + 30 seconds" "$secret")
expect "the next code logs in" '"status":"ok","token"' "$(curl -s -X POST "$base/auth/login/second-factor" -H "$json" -d "{\"challengeId\":\"$challenge\",\"method\":\"totp\",\"code\":\"$next\"}")"
again=$(curl -s -X POST "$base/auth/login" -H "$json" -d "{\"username\":\"$user\",\"password\":\"walk-password-1\",\"client\":\"web\"}" | field "['challengeId']")
expect "a used code is refused (replay)" 'invalid_code' "$(curl -s -X POST "$base/auth/login/second-factor" -H "$json" -d "{\"challengeId\":\"$again\",\"method\":\"totp\",\"code\":\"$next\"}")"

expect "the administrator disables two-factor" 'Edited successfully\.' "$(curl -s -X DELETE "$base/admin/users/$user/two-factor" -H "authorization: Bearer $admin")"
expect "login without a code" '^\{"status":"ok","token"' "$(curl -s -X POST "$base/auth/login" -H "$json" -d "{\"username\":\"$user\",\"password\":\"walk-password-1\",\"client\":\"desktop\"}")"
echo "walkthrough complete"
