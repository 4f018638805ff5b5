# Shared by scripts/demo and scripts/check: install what is missing, build.
# Idempotent, needs no input (CI runs it with no stdin).

PP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PP_BUILD=${PP_BUILD:-$PP_ROOT/build}

# Debian 12 packages: build, unit tests, e2e comparisons with perf.
PP_APT_PACKAGES="meson ninja-build gcc pkg-config libpfm4-dev libelf-dev
 libcriterion-dev zlib1g-dev linux-perf python3 python3-numpy util-linux procps
 protobuf-compiler chromium zsh bash-completion man-db python3-venv
 clang libclang-rt-14-dev valgrind"

pp_say() { printf '==> %s\n' "$*"; }

pp_install_deps() {
	local missing=() p
	for p in $PP_APT_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	pp_say "installing with apt: ${missing[*]}"
	local sudo=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "scripts: need root (or sudo) to apt-get install: ${missing[*]}" >&2
			return 1
		}
		sudo="sudo -n"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq </dev/null >/dev/null || true
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

pp_build() {
	if [ -f "$PP_BUILD/build.ninja" ]; then
		meson setup --reconfigure "$PP_BUILD" "$PP_ROOT" "$@" >/dev/null
	else
		meson setup "$PP_BUILD" "$PP_ROOT" "$@" >/dev/null
	fi
	ninja -C "$PP_BUILD" >/dev/null
}
