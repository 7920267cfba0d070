# Sourced by the ensure-*.sh scripts: apt_install NAME PACKAGE... installs Debian packages as root,
# or through sudo when not root; tries without `apt-get update` first, then with it.
apt_install() {
  local name=$1; shift
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo="sudo"
    else
      echo "$name: not root and sudo is not available; install the package(s) $* by hand" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends "$@"; then
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "$@"
  fi
}
