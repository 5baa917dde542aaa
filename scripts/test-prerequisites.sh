#!/usr/bin/env sh
# What `npm test` needs besides node_modules (run as its pretest step): Debian's chromium, which
# the report and browser tests drive through playwright-core (which downloads no browser), and the
# AWS CLI and boto3, which the local-serve test drives against the local cloud. Installs the
# missing ones with apt-get, as root or through sudo; says what to install when it cannot.
set -eu
missing=''
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v aws >/dev/null 2>&1 || missing="$missing awscli"
python3 -c 'import boto3' >/dev/null 2>&1 || missing="$missing python3-boto3"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  as_root=''
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root='sudo'
else
  echo "npm test needs:$missing (Debian/Ubuntu: sudo apt-get install -y$missing); install them and run npm test again" >&2
  exit 1
fi
echo "installing$missing with apt-get for the tests" >&2
$as_root apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$as_root apt-get install -y -qq $missing >/dev/null
