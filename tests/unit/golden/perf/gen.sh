#!/bin/sh
# Regenerates ../perf-*.txt: what perf stat 6.1 itself prints for fixed
# counter values, fed to it by fakepmu.c.  test_report.c renders the same
# values and must match these files byte for byte.
#
#   tests/unit/golden/perf/gen.sh        (needs perf 6.1, cc, python3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -shared -fPIC -O2 -o "$tmp/fakepmu.so" "$here/fakepmu.c" -ldl

case $(perf version) in
"perf version 6.1."*) ;;
*) echo "gen.sh: needs perf 6.1, found: $(perf version)" >&2; exit 1 ;;
esac

T=100000000          # time_enabled = time_running of hardware events (ns)
C=168150000          # task-clock (ns), also the software events' times
SW="s1=$C:$C:$C,s3=87:$C:$C,s4=28:$C:$C,s2=9766:$C:$C"
E10=task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,cache-references,cache-misses,branches,branch-misses

# run NAME FORMATS PERF-ARGS...: one golden per format
run() {
	name=$1 formats=$2
	shift 2
	for f in $formats; do
		case $f in
		text) set -- "$@" ;;
		csv) set -- -x, "$@" ;;
		csvsemi) set -- "-x;" "$@" ;;
		json) set -- -j "$@" ;;
		esac
		LD_PRELOAD=$tmp/fakepmu.so perf stat "$@" python3 -c pass \
			2>"$out/perf-$name.$f.txt" >/dev/null
		case $f in text) ;; *) shift ;; esac
	done
}

export FAKECLK=242944363 FAKERU=116989:57338

FAKEPMU="$SW,0=ENOENT,1=ENOENT,2=ENOENT,3=ENOENT,4=ENOENT,5=ENOENT" \
	run default "text csv csvsemi json" -e $E10

HW="0=1234567890:$T:$T,1=2345678901:$T:$T,2=12345678:$T:$T,3=1234567:$T:$T,4=456789012:$T:$T,5=3456789:$T:$T"
FAKEPMU="$SW,$HW" run metrics "text csv json" -e $E10

HW="0=1234567890:$T:75500000,1=2345678901:$T:75500000,2=12345678:$T:50123456,3=1234567:$T:50123456,4=456789012:$T:24987654,5=3456789:$T:24987654"
FAKEPMU="$SW,$HW" run mux "text csv json" -e $E10

HW="0=1234567890:$T:$T,1=0:$T:0,2=0:0:0,3=1234567:$T:$T,4=ENOENT,5=3456789:$T:$T"
FAKEPMU="$SW,$HW" run notcounted "text csv json" -e $E10

HW="0=1234567890:$T:$T,1=2345678901:$T:$T,7=234567890:$T:$T,8=ENOENT"
FAKEPMU="$SW,$HW" run stalled "text csv json" \
	-e task-clock,cycles,instructions,stalled-cycles-frontend,stalled-cycles-backend

FAKEPMU="s2=9766:$T:$T,0=1000:$T:$T" run noclock "text csv json" -e page-faults,cycles

HW="0=1234567890:$T:$T,1=2345678901:$T:$T,2=1000:$T:$T,3=10:$T:$T"
FAKEPMU="$SW,$HW" run modifiers "text" \
	-e task-clock:u,cycles:u,instructions,cache-references:u,cache-misses:u,page-faults:k

# Five runs whose last equals their mean: perf 6.1 prints the last run's
# counts where we print the mean (see stat.c), the rest must agree.
r5() { echo "$1:$T:$T/$2:$T:$T/$3:$T:$T/$4:$T:$T/$5:$T:$T"; }
NC="0:$T:0/0:$T:0/0:$T:0/0:$T:0/0:$T:0"
FAKECLK=252944363,232944363,262944363,222944363,242944363 \
FAKEPMU="s1=$(r5 170150000 166150000 169150000 167150000 168150000),s3=$(r5 89 85 88 86 87),s4=$(r5 28 28 28 28 28),s2=$(r5 9770 9760 9800 9734 9766),0=$(r5 1244567890 1224567890 1236567890 1232567890 1234567890),1=$(r5 2345678902 2345678900 2345678901 2345678901 2345678901),2=$(r5 12345678 12345678 12345678 12345678 12345678),3=$NC,4=ENOENT,5=$(r5 3556789 3356789 3456789 3456789 3456789)" \
	run r5 "text csv csvsemi json" -r 5 -e $E10

FAKECLK=242944363,242944363,242944363 FAKEPMU="s1=$C:$C:$C/$C:$C:$C/$C:$C:$C" \
	run sd0 "text" -r 3 -e task-clock
