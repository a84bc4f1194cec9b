#!/usr/bin/env bash
# ICU's headers and a C++ compiler, which PyICU builds against (the sanctions screening's
# confusables skeleton, services/kyc/domain/text.py). PyPI has no wheel of PyICU, so pip
# compiles it once per machine (its wheel cache keeps the result). Installs what is
# missing from Debian's packages when run as root; otherwise says what to install.
set -euo pipefail
missing=()
pkg-config --exists icu-i18n 2>/dev/null || missing+=(libicu-dev pkg-config)
command -v c++ >/dev/null || missing+=(g++)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (PyICU builds against ICU) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
  exit 0
fi
echo "PyICU needs ICU's headers and a C++ compiler: install ${missing[*]} (Debian/Ubuntu)," \
  "or libicu + pkg-config elsewhere" >&2
exit 1
