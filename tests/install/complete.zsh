# Runs the zsh completion of pyperf-stat on one command line in a real
# interactive zsh (under zpty) and prints what it offered: one "match X"
# line per candidate, then "buffer X" with the line after completion.
#
#   zsh -f complete.zsh FUNCTION_DIR WORKDIR 'COMMAND LINE'
#
# FUNCTION_DIR holds _pyperf-stat; WORKDIR (private, left for the caller
# to remove) is the shell's working directory and holds its files.
zmodload zsh/zpty || exit 77
fdir=$1 work=$2 line=$3
out=$work/.out

zpty z zsh -f -i
zpty -w z "cd ${(q)work}; PS1=; RPS1=; unsetopt beep"
zpty -w z "fpath=(${(q)fdir} \$fpath); autoload -Uz compinit; compinit -u -d ${(q)work}/.zcompdump"
# every compadd call also writes the matches it adds (calls with -O, -A or
# -D only collect, and pass through); TAB completes, then writes the line.
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a m; builtin compadd -O m \"\$@\"; print -rl -- \${m/#/match } >> ${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "tab() { zle complete-word; print -r -- \"buffer \$BUFFER\" >> ${(q)out}; : > ${(q)out}.done; }; zle -N tab; bindkey '^I' tab"
zpty -w -n z "$line"$'\t'

for i in {1..100}; do
    [[ -e $out.done ]] && break
    sleep 0.1
done
zpty -d z
[[ -e $out.done ]] || { print -u2 "no completion within 10 s"; exit 1; }
cat $out
