# Runs the bash completion of pyperf-stat on one command line, as readline
# would, and prints the candidates (COMPREPLY) one per line.
#
#   bash complete.bash COMPLETION_FILE yes|no WORD...
#
# WORD... is the command line (the last word is the one being completed,
# "" for a new one); yes loads bash-completion's bash_completion first, as
# an interactive shell that loads our file would have.
set -u
file=$1 with_lib=$2
shift 2
if [[ $with_lib == yes ]]; then
    # bash_completion reads the shell's own settings; keep it quiet
    BASH_COMPLETION_USER_DIR=/nonexistent
    source /usr/share/bash-completion/bash_completion >/dev/null 2>&1
fi
source "$file"

# COMP_WORDS as readline splits the line: at blanks, and around runs of
# COMP_WORDBREAKS characters such as '=' and ':'.
breaks=${COMP_WORDBREAKS:-$' \t\n"\'><=;|&(:'}
COMP_WORDS=()
for arg in "$@"; do
    word='' kind=''
    for ((i = 0; i < ${#arg}; i++)); do
        c=${arg:i:1}
        if [[ $breaks == *"$c"* ]]; then k=break; else k=text; fi
        if [[ $word && $k != "$kind" ]]; then
            COMP_WORDS+=("$word")
            word=''
        fi
        word+=$c kind=$k
    done
    COMP_WORDS+=("$word")
done
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_pyperf_stat
printf '%s\n' "${COMPREPLY[@]}"
